using System.Collections.Immutable;
using Registry.Core;
using Registry.Core.Decisions;
using Registry.Core.Model;
using Registry.Formats;
using Registry.Server.Contracts;
using Registry.Server.Hosting;
using Registry.Server.Http;
using Registry.Server.Security;

namespace Registry.Server.Apis;

/// <summary>
/// Contract review (docs/review.md): <c>/v1/proposals</c> and <c>/v1/review-policies</c>. Every user with a grant reaches
/// them; each endpoint checks the proposal's subject: reading it to see a proposal, writing it to propose, and the review
/// policy's approvers to approve, request changes or reject.
/// </summary>
public static class ProposalsApi
{
    /// <summary>The body of POST /v1/proposals: a registration's body, with the subject and a description.</summary>
    public sealed class ProposalRequest
    {
        public string? Subject { get; set; }

        public string? Description { get; set; }

        public bool Normalize { get; set; }

        public string? Schema { get; set; }

        public string? SchemaType { get; set; }

        public List<SchemaReference>? References { get; set; }

        public Metadata? Metadata { get; set; }

        public RuleSet? RuleSet { get; set; }
    }

    public sealed record ReviewRequest(string? Decision, string? Comment);

    public sealed record ReasonRequest(string? Reason);

    public sealed record ReviewPolicyRequest(int? RequiredApprovals, List<string>? Approvers);

    public sealed record ReviewPolicyInfo(string Scope, int RequiredApprovals, ImmutableArray<string> Approvers);

    public sealed record PolicyInForce(string? Scope, int RequiredApprovals, ImmutableArray<string> Approvers, bool Required);

    public sealed record Difference(string Type, string? Path, string Sentence, string Message);

    public sealed record Verdict(string Level, bool Compatible, IReadOnlyList<Difference> Differences, string? Invalid, IReadOnlyDictionary<string, bool> Levels);

    public sealed record Impact(IReadOnlyList<string> ReferencedBy, IReadOnlyList<string> Topics);

    public sealed record ProposalSummary(long Id, string Subject, string State, string Proposer, string Description, long CreatedAt, long UpdatedAt, int Approvals, int RequiredApprovals);

    public sealed record ProposalView(
        long Id, string Subject, string State, string? StateReason, string Proposer, string Description, long CreatedAt, long UpdatedAt,
        string SchemaType, string Schema, ImmutableArray<SchemaReference> References, Metadata? Metadata, RuleSet? RuleSet,
        int? BaseVersion, int? LatestVersion, int? AppliedVersion, int? AppliedId,
        PolicyInForce Policy, IReadOnlyList<string> ApprovedBy, Verdict Verdict, string Diff, Impact Impact,
        IReadOnlyList<ProposalReview> Reviews, IReadOnlyList<ProposalReview> Comments, IReadOnlyList<UsageApi.VersionUsage> Usage);

    public static IEndpointRouteBuilder MapProposalsApi(this IEndpointRouteBuilder app)
    {
        var proposals = app.MapGroup("/v1/proposals");
        proposals.MapPost("", async (HttpContext context, RegistryService registry) =>
        {
            var body = await RequestBody.ReadAsync<ProposalRequest>(context);
            var subject = registry.Decider.ValidSubject(body.Subject ?? throw new RegistryException(RegistryDecider.InvalidProposal, "A proposal needs a subject"));
            Require(AccessControl.CanWrite(context, subject), context, "write", subject);
            var input = AccessControl.InputOf(context, subject, new RegisterSchemaRequest
            {
                Schema = body.Schema,
                SchemaType = body.SchemaType,
                References = body.References,
                Metadata = body.Metadata,
                RuleSet = body.RuleSet,
            });
            var command = new ProposeCommand(subject, input, body.Normalize, body.Description, Principal(context));
            var proposal = await registry.ExecuteAsync(state => registry.Decider.Propose(state, command), context.RequestAborted, state => registry.Decider.Warm(state, command));
            Done(context, proposal);
            return RegistryJson.Created(View(registry, proposal));
        });
        proposals.MapGet("", (HttpContext context, RegistryService registry, string? subject, string? state, int? offset, int? limit) =>
        {
            var snapshot = registry.State;
            var name = string.IsNullOrEmpty(subject) ? null : registry.Decider.ValidSubject(SubjectPath.Decode(subject));
            var list = snapshot.Proposals.Values.Reverse()
                .Where(p => (name is null || p.Subject == name) && (state is null || p.State == state.ToUpperInvariant()) && AccessControl.CanRead(context, p.Subject))
                .Select(p => new ProposalSummary(p.Id, p.Subject, p.State, p.Proposer, p.Description, p.CreatedAt, p.UpdatedAt,
                    RegistryDecider.Approvals(p), RegistryDecider.PolicyOf(snapshot, p.Subject).Policy.RequiredApprovals));
            return RegistryJson.Ok(registry.Page(list, offset, limit));
        });
        proposals.MapGet("/{id:long}", (HttpContext context, RegistryService registry, long id) => RegistryJson.Ok(View(registry, Readable(context, registry, id))));
        proposals.MapPost("/{id:long}/reviews", async (HttpContext context, RegistryService registry, long id) =>
        {
            var body = await RequestBody.ReadAsync<ReviewRequest>(context);
            var proposal = await ReadableToChangeAsync(context, registry, id);
            var command = new ReviewCommand(id, Principal(context), RolesOn(context, proposal.Subject), body.Decision?.ToUpperInvariant() ?? "", body.Comment);
            var reviewed = await registry.ExecuteAsync(state => registry.Decider.Review(state, command), context.RequestAborted);
            Done(context, reviewed, command.Decision);
            return RegistryJson.Ok(View(registry, reviewed));
        });
        proposals.MapPost("/{id:long}/withdraw", async (HttpContext context, RegistryService registry, long id) =>
        {
            var body = await RequestBody.ReadOptionalAsync<ReasonRequest>(context);
            var proposal = await ReadableToChangeAsync(context, registry, id);
            var admin = RolesOn(context, proposal.Subject).Contains("admin");
            var withdrawn = await registry.ExecuteAsync(state => registry.Decider.Withdraw(state, id, Principal(context), admin, body?.Reason), context.RequestAborted);
            Done(context, withdrawn);
            return RegistryJson.Ok(View(registry, withdrawn));
        });
        proposals.MapPost("/{id:long}/reject", async (HttpContext context, RegistryService registry, long id) =>
        {
            var body = await RequestBody.ReadOptionalAsync<ReasonRequest>(context);
            var proposal = await ReadableToChangeAsync(context, registry, id);
            var rejected = await registry.ExecuteAsync(
                state => registry.Decider.Reject(state, id, Principal(context), RolesOn(context, proposal.Subject), body?.Reason), context.RequestAborted);
            Done(context, rejected);
            return RegistryJson.Ok(View(registry, rejected));
        });

        var policies = app.MapGroup("/v1/review-policies");
        policies.MapGet("", (RegistryService registry) =>
            RegistryJson.Ok(registry.State.ReviewPolicies.Select(p => new ReviewPolicyInfo(p.Key, p.Value.RequiredApprovals, p.Value.Approvers))));
        policies.MapGet("/{scope}", (RegistryService registry, string scope) =>
        {
            var name = SubjectPath.Decode(scope);
            return registry.State.ReviewPolicies.TryGetValue(name, out var p)
                ? RegistryJson.Ok(new ReviewPolicyInfo(name, p.RequiredApprovals, p.Approvers))
                : throw RegistryDecider.ReviewPolicyNotFoundError(name);
        });
        policies.MapPut("/{scope}", async (HttpContext context, RegistryService registry, string scope) =>
        {
            var body = await RequestBody.ReadAsync<ReviewPolicyRequest>(context);
            var policy = new ReviewPolicy(body.RequiredApprovals ?? 1, [.. body.Approvers ?? []]);
            var set = await registry.ExecuteAsync(state => registry.Decider.SetReviewPolicy(state, SubjectPath.Decode(scope), policy), context.RequestAborted);
            return RegistryJson.Ok(new ReviewPolicyInfo(SubjectPath.Decode(scope), set.RequiredApprovals, set.Approvers));
        });
        policies.MapDelete("/{scope}", async (HttpContext context, RegistryService registry, string scope) =>
        {
            var removed = await registry.ExecuteAsync(state => registry.Decider.DeleteReviewPolicy(state, SubjectPath.Decode(scope)), context.RequestAborted);
            return RegistryJson.Ok(new ReviewPolicyInfo(SubjectPath.Decode(scope), removed.RequiredApprovals, removed.Approvers));
        });
        return app;
    }

    /// <summary>A proposal with its verdict, diff and impact against the current state.</summary>
    internal static ProposalView View(RegistryService registry, Proposal p)
    {
        var state = registry.State;
        var impact = registry.Decider.Impact(state, p);
        var (scope, policy) = RegistryDecider.PolicyOf(state, p.Subject);
        var differences = CompatibilityText.Differences(impact.Messages).Select(Differ).ToList();
        var diff = impact.ProposedText is null ? "" : SchemaTextDiff.Unified(impact.Latest?.Schema ?? "", impact.ProposedText, p.SchemaType);
        return new ProposalView(p.Id, p.Subject, p.State, p.StateReason, p.Proposer, p.Description, p.CreatedAt, p.UpdatedAt,
            p.SchemaType, p.Schema, p.References, p.Metadata, p.RuleSet, p.BaseVersion, impact.LatestVersion, p.AppliedVersion, p.AppliedId,
            new PolicyInForce(scope, policy.RequiredApprovals, policy.Approvers, scope is not null), [.. RegistryDecider.ApprovedBy(p)],
            new Verdict(impact.Level, impact.Invalid is null && differences.Count == 0, differences, impact.Invalid,
                impact.Levels.ToDictionary(l => l.Level, l => l.Messages.Count == 0)),
            diff,
            new Impact([.. impact.ReferencedBy.Select(r => $"{r.Subject} v{r.Version}")], impact.Topics),
            [.. p.Reviews.Where(r => r.Decision != ProposalReview.CommentOnly)], [.. p.Reviews.Where(r => r.Comment is not null)],
            UsageApi.OfSubject(registry, p.Subject));
    }

    /// <summary>One compatibility message as its type, the path it names (when it names one), and a sentence.</summary>
    internal static Difference Differ(string message)
    {
        var sentence = CompatibilityText.Sentence(message);
        var colon = sentence.IndexOf(':');
        var type = colon > 0 && sentence[..colon].All(c => char.IsUpper(c) || c == '_') ? sentence[..colon] : "INCOMPATIBLE";
        var at = sentence.IndexOf("path '", StringComparison.Ordinal);
        var path = at < 0 ? null : sentence[(at + 6)..].Split('\'')[0];
        return new Difference(type, path, sentence, message);
    }

    /// <summary>The principal a request acts as, as the audit names it.</summary>
    internal static string Principal(HttpContext context) => Security.AccessControl.ItemOf<Authentication>(context)?.Principal ?? "anonymous";

    /// <summary>The roles (reader, writer, admin) the caller holds on a subject; every role when authentication is off.</summary>
    internal static IReadOnlySet<string> RolesOn(HttpContext context, string subject) =>
        new[] { "reader", "writer", "admin" }.Where(r => AccessControl.Allows(context, r, subject)).ToHashSet();

    /// <summary>A proposal the caller may read; one on a subject they may not read is answered as missing.</summary>
    internal static Proposal Readable(HttpContext context, RegistryService registry, long id)
    {
        var proposal = RegistryDecider.GetProposal(registry.State, id);
        return AccessControl.CanRead(context, proposal.Subject) ? proposal : throw new RegistryException(RegistryDecider.ProposalNotFound, $"Proposal {id} not found");
    }

    /// <summary>
    /// The proposal a change is about. A proposal opened through another node may not have reached this one yet (the
    /// Kafka and Postgres stores follow the log): one not found here is looked for again after reading the log to its end.
    /// </summary>
    private static async Task<Proposal> ReadableToChangeAsync(HttpContext context, RegistryService registry, long id)
    {
        if (!registry.State.Proposals.ContainsKey(id)) await registry.CatchUpAsync(context.RequestAborted);
        return Readable(context, registry, id);
    }

    private static void Require(bool allowed, HttpContext context, string verb, string subject)
    {
        if (!allowed) throw new RegistryException(40301, $"User '{Principal(context)}' is not allowed to {verb} subject '{Errors.Printable(subject)}'");
    }

    /// <summary>After a proposal changed: the audit records what happened, and the webhooks are told.</summary>
    internal static void Done(HttpContext context, Proposal p, string? decision = null)
    {
        context.RequestServices.GetRequiredService<Review.WebhookNotifier>()
            .Notify(p, $"{context.Request.Scheme}://{context.Request.Host}/ui/proposals/{p.Id}", Principal(context), decision);
        context.Items[AuditMiddleware.SubjectKey] = p.Subject;
        context.Items[AuditMiddleware.VersionKey] = p.AppliedVersion;
        context.Items[AuditMiddleware.IdKey] = p.AppliedId;
        context.Items[AuditMiddleware.NoteKey] = $"proposal {p.Id} by {p.Proposer}: {(decision is null ? "" : decision + ", ")}{p.State}"
            + (p.StateReason is { } why ? $" ({why})" : "");
    }
}
