using System.Collections.Immutable;
using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Core.State;

namespace Registry.Core.Decisions;

/// <summary>A proposal to open: the schema for a subject, as <c>POST /subjects/{s}/versions</c> takes it, and why.</summary>
public sealed record ProposeCommand(string Subject, SchemaInput Input, bool Normalize, string? Description, string Proposer);

/// <summary>
/// A review by <paramref name="Reviewer"/>, who holds <paramref name="Roles"/> (reader, writer, admin) on the proposal's subject.
/// </summary>
public sealed record ReviewCommand(long Id, string Reviewer, IReadOnlySet<string> Roles, string Decision, string? Comment);

/// <summary>Contract review: proposals, their reviews and the review policies that require them, all in the log.</summary>
public sealed partial class RegistryDecider
{
    public const int ReviewRequired = 40380;
    public const int SelfApproval = 40381;
    public const int NotAnApprover = 40382;
    public const int ProposalNotFound = 40480;
    public const int ReviewPolicyNotFound = 40481;
    public const int ProposalNotPending = 40980;
    public const int TooManyProposals = 40981;
    public const int InvalidProposal = 42280;
    public const int InvalidReviewPolicy = 42281;

    public static RegistryException ReviewRequiredError(string subject, string scope, ReviewPolicy policy) =>
        new(ReviewRequired, $"Subject '{Errors.Printable(subject)}' is under the review policy '{Errors.Printable(scope)}' " +
            $"({policy.RequiredApprovals} approval{(policy.RequiredApprovals == 1 ? "" : "s")}): propose the change with POST /v1/proposals");

    /// <summary>POST /v1/proposals: a change the registry would accept now, opened for review.</summary>
    public Decision<Proposal> Propose(RegistryState state, ProposeCommand command)
    {
        var subject = ValidSubject(command.Subject);
        if ((command.Description?.Length ?? 0) > settings.MaxReviewTextLength)
            throw new RegistryException(InvalidProposal, $"The description is longer than the limit of {settings.MaxReviewTextLength} characters");
        if (state.Proposals.Values.Count(p => p.IsPending) >= settings.MaxOpenProposals)
            throw new RegistryException(TooManyProposals, $"The limit of {settings.MaxOpenProposals} open proposals is reached");
        // Checked as a registration would be: a proposal that could not be applied now is refused with the same error.
        var trial = Register(state, ToRegister(subject, command.Input, command.Normalize));
        if (trial.Events.IsDefaultOrEmpty)
            throw new RegistryException(InvalidProposal, $"Subject '{Errors.Printable(subject)}' already has this schema as version {trial.Result.Version}");
        var input = command.Input;
        var now = Now;
        var proposal = new Proposal(
            state.Proposals.IsEmpty ? 1 : state.Proposals.Keys.Last() + 1, subject, input.SchemaType ?? "AVRO", input.Schema ?? "",
            [.. input.References ?? []], input.Metadata, input.RuleSet, command.Normalize, command.Description ?? "", command.Proposer, now,
            state.Subjects.GetValueOrDefault(subject)?.LatestLive?.Version, Proposal.Open, null, now, [], null, null);
        return Put(proposal);
    }

    /// <summary>Parses a proposal's schema ahead of its decision, as <see cref="Warm(RegistryState, RegisterCommand)"/>.</summary>
    public void Warm(RegistryState state, ProposeCommand command) => Warm(state, ToRegister(command.Subject, command.Input, command.Normalize));

    /// <summary>
    /// POST /v1/proposals/{id}/reviews. The approval that completes the policy applies the change through
    /// <see cref="Register"/>, checked against the state at that moment: a change that no longer passes (the subject moved
    /// on) leaves the proposal STALE and registers nothing. A refusal that is not about the change (read-only mode)
    /// refuses the review instead, so it can be given again.
    /// </summary>
    public Decision<Proposal> Review(RegistryState state, ReviewCommand command)
    {
        var proposal = PendingProposal(state, command.Id);
        if (!ProposalReview.Decisions.Contains(command.Decision))
            throw new RegistryException(InvalidProposal, $"decision must be one of {string.Join(", ", ProposalReview.Decisions)}");
        if ((command.Comment?.Length ?? 0) > settings.MaxReviewTextLength)
            throw new RegistryException(InvalidProposal, $"The comment is longer than the limit of {settings.MaxReviewTextLength} characters");
        if (proposal.Reviews.Length >= settings.MaxReviewsPerProposal)
            throw new RegistryException(InvalidProposal, $"Proposal {proposal.Id} already has the limit of {settings.MaxReviewsPerProposal} reviews");
        var now = Now;
        var review = new ProposalReview(command.Reviewer, command.Decision, string.IsNullOrEmpty(command.Comment) ? null : command.Comment, now);
        var after = proposal with { Reviews = proposal.Reviews.Add(review), UpdatedAt = now };
        if (command.Decision == ProposalReview.CommentOnly) return Put(after);

        var (scope, policy) = PolicyOf(state, proposal.Subject);
        CheckApprover(state, proposal, scope, policy, command.Reviewer, command.Roles);
        if (command.Decision == ProposalReview.RequestChanges || Approvals(after) < policy.RequiredApprovals) return Put(after);

        var approvers = string.Join(", ", ApprovedBy(after));
        Decision<RegisteredSchema> registration;
        try
        {
            registration = Register(state, ToRegister(proposal.Subject, InputOf(proposal), proposal.Normalize));
        }
        catch (RegistryException e) when (e.ErrorCode != Errors.OperationNotPermitted)
        {
            return Put(after with { State = Proposal.Stale, StateReason = $"approved by {approvers}, but no longer passes: {e.Message}" });
        }
        var r = registration.Result;
        var applied = after with
        {
            State = Proposal.Applied,
            StateReason = $"registered as version {r.Version} (id {r.Schema.Id}), approved by {approvers}",
            AppliedVersion = r.Version,
            AppliedId = r.Schema.Id,
        };
        return new Decision<Proposal>(applied, [.. registration.Events, new ProposalPut(applied)]);
    }

    private static Decision<Proposal> Put(Proposal proposal) => new(proposal, [new ProposalPut(proposal)]);

    /// <summary>POST /v1/proposals/{id}/withdraw: by the proposer (or an admin of the subject).</summary>
    public Decision<Proposal> Withdraw(RegistryState state, long id, string who, bool admin, string? reason) =>
        Close(state, id, Proposal.Withdrawn, reason ?? $"withdrawn by {who}",
            p => p.Proposer == who || admin ? null : $"Only the proposer ({p.Proposer}) or an admin may withdraw proposal {id}");

    /// <summary>POST /v1/proposals/{id}/reject: by anyone who may approve it.</summary>
    public Decision<Proposal> Reject(RegistryState state, long id, string who, IReadOnlySet<string> roles, string? reason) =>
        Close(state, id, Proposal.Rejected, string.IsNullOrEmpty(reason) ? $"rejected by {who}" : $"rejected by {who}: {reason}", p =>
        {
            var (scope, policy) = PolicyOf(state, p.Subject);
            CheckApprover(state, p, scope, policy, who, roles);
            return null;
        });

    /// <summary>PUT /v1/review-policies/{scope}.</summary>
    public Decision<ReviewPolicy> SetReviewPolicy(RegistryState state, string scope, ReviewPolicy policy)
    {
        var valid = ValidReviewScope(scope);
        policy = policy with { Approvers = policy.Approvers.IsDefault ? [] : policy.Approvers };
        if (policy.Problem() is { } problem) throw new RegistryException(InvalidReviewPolicy, $"Invalid review policy: {problem}");
        return state.ReviewPolicies.TryGetValue(valid, out var known) && known.RequiredApprovals == policy.RequiredApprovals && known.Approvers.SequenceEqual(policy.Approvers)
            ? Decision<ReviewPolicy>.NoChange(known)
            : new Decision<ReviewPolicy>(policy, [new ReviewPolicySet(valid, policy)]);
    }

    /// <summary>DELETE /v1/review-policies/{scope}: returns the policy removed.</summary>
    public Decision<ReviewPolicy> DeleteReviewPolicy(RegistryState state, string scope)
    {
        var valid = ValidReviewScope(scope);
        return state.ReviewPolicies.TryGetValue(valid, out var known)
            ? new Decision<ReviewPolicy>(known, [new ReviewPolicyDeleted(valid)])
            : throw ReviewPolicyNotFoundError(scope);
    }

    public static RegistryException ReviewPolicyNotFoundError(string scope) =>
        new(ReviewPolicyNotFound, $"No review policy for '{Errors.Printable(scope, 100)}'");

    public static Proposal GetProposal(RegistryState state, long id) =>
        state.Proposals.GetValueOrDefault(id) ?? throw new RegistryException(ProposalNotFound, $"Proposal {id} not found");

    /// <summary>The policy in force for a subject; without one, a single approval by any writer of the subject.</summary>
    public static (string? Scope, ReviewPolicy Policy) PolicyOf(RegistryState state, string subject) =>
        state.ReviewPolicyFor(subject) is { } found ? (found.Scope, found.Policy) : (null, new ReviewPolicy(1, []));

    /// <summary>The distinct reviewers whose latest verdict on the proposal is APPROVE.</summary>
    public static IEnumerable<string> ApprovedBy(Proposal proposal) =>
        proposal.Reviews.Where(r => r.Decision != ProposalReview.CommentOnly).GroupBy(r => r.Reviewer, StringComparer.Ordinal)
            .Where(g => g.Last().Decision == ProposalReview.Approve).Select(g => g.Key);

    public static int Approvals(Proposal proposal) => ApprovedBy(proposal).Count();

    /// <summary>Whether <paramref name="who"/> may approve changes to the subject under the policy, and if not, why.</summary>
    public static string? ApproverProblem(RegistryState state, Proposal proposal, string? scope, ReviewPolicy policy, string who, IReadOnlySet<string> roles)
    {
        if (who == proposal.Proposer) return $"'{Errors.Printable(who)}' proposed this change and cannot review it: another approver must";
        if (policy.Approvers.IsDefaultOrEmpty) return roles.Contains("writer") ? null : $"'{Errors.Printable(who)}' may not write subject '{Errors.Printable(proposal.Subject)}'";
        foreach (var a in policy.Approvers)
        {
            if (a == who) return null;
            if (a.StartsWith(ReviewPolicy.RolePrefix, StringComparison.Ordinal) && roles.Contains(a[ReviewPolicy.RolePrefix.Length..])) return null;
            if (a == ReviewPolicy.OwnerApprover && OwnersOf(state, proposal.Subject).Contains(who)) return null;
        }
        return $"'{Errors.Printable(who)}' is not an approver under the review policy '{Errors.Printable(scope ?? proposal.Subject)}' (approvers: {string.Join(", ", policy.Approvers)})";
    }

    /// <summary>The owners a subject's latest version names in <c>metadata.properties.owner</c> (comma separated).</summary>
    public static IReadOnlyList<string> OwnersOf(RegistryState state, string subject) =>
        state.Subjects.GetValueOrDefault(subject)?.LatestLive is { } latest
        && state.SchemaOf(subject, latest).Metadata?.Properties?.GetValueOrDefault("owner") is { } owner
            ? [.. owner.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]
            : [];

    /// <summary>The schema a proposal carries, as a registration takes it.</summary>
    public static SchemaInput InputOf(Proposal p) => new(p.Schema, p.SchemaType, p.References, p.Metadata, p.RuleSet);

    private static void CheckApprover(RegistryState state, Proposal proposal, string? scope, ReviewPolicy policy, string who, IReadOnlySet<string> roles)
    {
        if (ApproverProblem(state, proposal, scope, policy, who, roles) is { } problem)
            throw new RegistryException(who == proposal.Proposer ? SelfApproval : NotAnApprover, problem);
    }

    private Decision<Proposal> Close(RegistryState state, long id, string to, string reason, Func<Proposal, string?> refusal)
    {
        var proposal = PendingProposal(state, id);
        if (refusal(proposal) is { } problem) throw new RegistryException(NotAnApprover, problem);
        if (reason.Length > settings.MaxReviewTextLength) throw new RegistryException(InvalidProposal, $"The reason is longer than the limit of {settings.MaxReviewTextLength} characters");
        return Put(proposal with { State = to, StateReason = reason, UpdatedAt = Now });
    }

    private static Proposal PendingProposal(RegistryState state, long id)
    {
        var proposal = GetProposal(state, id);
        return proposal.IsPending ? proposal
            : throw new RegistryException(ProposalNotPending, $"Proposal {id} is {proposal.State}{(proposal.StateReason is { } why ? $" ({why})" : "")}: it takes no more reviews");
    }

    private static RegisterCommand ToRegister(string subject, SchemaInput input, bool normalize) => new(subject, input, null, null, normalize, false, ReviewBypass: true);

    private string ValidReviewScope(string scope)
    {
        if (scope.EndsWith('*'))
        {
            var prefix = scope[..^1];
            if (prefix.Length > settings.MaxSubjectLength || prefix.Any(char.IsControl)) throw new RegistryException(InvalidReviewPolicy, "Invalid review policy scope");
            return QualifiedSubject.Normalize(prefix) + "*";
        }
        return ValidSubject(scope, allowContextScope: true);
    }
}

/// <summary>What a proposal would break at one compatibility level: no messages means compatible.</summary>
public sealed record LevelVerdict(string Level, IReadOnlyList<string> Messages);

/// <summary>
/// A proposal's verdict and impact against the current state: its subject's level and every level, the schema it would
/// follow, the subject versions that reference the subject (transitively) and the gateway topics whose policy uses it.
/// <see cref="Invalid"/> says why it can no longer be registered at all (a reference gone), when so.
/// </summary>
public sealed record ProposalImpact(
    string Level,
    IReadOnlyList<string> Messages,
    IReadOnlyList<LevelVerdict> Levels,
    string? Invalid,
    StoredSchema? Latest,
    int? LatestVersion,
    string? ProposedText,
    IReadOnlyList<SubjectVersionRef> ReferencedBy,
    IReadOnlyList<string> Topics);

public sealed partial class RegistryDecider
{
    public ProposalImpact Impact(RegistryState state, Proposal proposal)
    {
        var subject = proposal.Subject;
        var level = EffectiveLevel(state, subject).ToName();
        var latest = state.Subjects.GetValueOrDefault(subject)?.LatestLive;
        var referencedBy = ReferencingVersions(state, subject);
        var topics = state.Policies.Where(p => UsesSubject(p.Key, p.Value, subject)).Select(p => p.Key).ToList();
        Candidate candidate;
        var config = EffectiveConfig(state, subject);
        try
        {
            candidate = Prepare(state, subject, InputOf(proposal), proposal.Normalize || config.Normalize == true, mergeContract: true, allowDeletedReferences: false);
        }
        catch (RegistryException e)
        {
            return new ProposalImpact(level, [], [], e.Message, latest is null ? null : state.SchemaOf(subject, latest), latest?.Version, null, referencedBy, topics);
        }
        var levels = Enum.GetValues<CompatibilityLevel>()
            .Select(l => new LevelVerdict(l.ToName(), CheckCompatibility(state, subject, candidate, l, config, only: null))).ToList();
        return new ProposalImpact(level, levels.First(l => l.Level == level).Messages, levels, null,
            latest is null ? null : state.SchemaOf(subject, latest), latest?.Version, candidate.Parsed.Canonical, referencedBy, topics);
    }

    /// <summary>The live subject versions whose schemas reference <paramref name="subject"/>, directly or through others.</summary>
    public static IReadOnlyList<SubjectVersionRef> ReferencingVersions(RegistryState state, string subject)
    {
        var found = new List<SubjectVersionRef>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { subject };
        var queue = new Queue<string>([subject]);
        while (queue.Count > 0)
        {
            var target = queue.Dequeue();
            foreach (var (name, holder) in state.Subjects)
            {
                foreach (var v in holder.Live)
                {
                    var schema = state.SchemaOf(name, v);
                    if (!schema.References.Any(r => QualifiedSubject.QualifyIn(schema.Context, r.Subject) == target)) continue;
                    found.Add(new SubjectVersionRef(name, v.Version));
                    if (seen.Add(name)) queue.Enqueue(name);
                }
            }
        }
        return [.. found.Distinct().OrderBy(r => r.Subject, StringComparer.Ordinal).ThenBy(r => r.Version)];
    }

    /// <summary>Whether a topic's gateway policy checks records against a subject (by TopicName or TopicRecordName strategy).</summary>
    public static bool UsesSubject(string topic, TopicPolicy policy, string subject) =>
        (policy.Key is { } key && Names(key.Strategy, topic, "-key", subject)) || (policy.Value is { } value && Names(value.Strategy, topic, "-value", subject));

    private static bool Names(string strategy, string topic, string suffix, string subject) => strategy switch
    {
        "TopicNameStrategy" => subject == topic + suffix,
        "TopicRecordNameStrategy" => subject.StartsWith(topic + "-", StringComparison.Ordinal),
        _ => false,
    };
}
