using System.Globalization;
using System.Text;
using Registry.Core;
using Registry.Core.Decisions;
using Registry.Core.Model;
using Registry.Core.State;
using Registry.Server.Apis;
using Registry.Server.Hosting;
using static Registry.Server.Ui.Html;

namespace Registry.Server.Ui;

/// <summary>Contract review in the UI: the review queue, a proposal's page with its verdict and impact, and reviewing.</summary>
public static partial class UiApi
{
    private static void MapReviewUi(IEndpointRouteBuilder app)
    {
        app.MapGet("/ui/proposals", (HttpContext http, RegistryService registry) => Guard(() => Queue(http, registry)));
        app.MapGet("/ui/proposals/{id:long}", (HttpContext http, RegistryService registry, long id) => Guard(() => ProposalPage(http, registry, id, null)));
        app.MapPost("/ui/subjects/{subject}/open-proposal", async (HttpContext context, RegistryService registry, string subject) =>
            await ForgeryRefusal(context) ?? await GuardAsync(() => OpenAsync(context, registry, Http.SubjectPath.Decode(subject))))
            .DisableAntiforgery();
        app.MapPost("/ui/proposals/{id:long}/review", async (HttpContext context, RegistryService registry, long id) =>
            await ForgeryRefusal(context) ?? await GuardAsync(() => ReviewAsync(context, registry, id)))
            .DisableAntiforgery();
    }

    /// <summary>The form that opens a checked draft for review, with a description for the reviewers.</summary>
    private static string ReviewForm(HttpContext http, RegistryState state, string name, Draft draft)
    {
        var policy = state.ReviewPolicyFor(name);
        var hint = policy is { } p
            ? $"<p class=\"muted\" id=\"policy\">Changes to {E(name)} need {p.Policy.RequiredApprovals} approval(s) under the review policy <code>{E(p.Scope)}</code>.</p>"
            : "";
        return $"""
            {hint}
            <form method="post" action="/ui/subjects/{Url(name)}/open-proposal">{Token(http)}
              <input type="hidden" name="schema" value="{E(draft.Schema)}"><input type="hidden" name="schemaType" value="{E(draft.SchemaType)}">
              <input type="hidden" name="normalize" value="{(draft.Normalize ? "true" : "false")}">
              <p><input name="description" id="description" placeholder="Why this change (for the reviewers)" aria-label="description" size="60">
              <button type="submit" id="open-proposal">Open for review</button></p>
            </form>
            """;
    }

    private static async Task<IResult> OpenAsync(HttpContext context, RegistryService registry, string name)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var draft = Draft.From(form);
        var state = registry.State;
        var latest = state.Subjects.GetValueOrDefault(name)?.LatestLive is { } l ? state.SchemaOf(name, l) : null;
        var input = new SchemaInput(draft.Schema, draft.SchemaType, latest?.References, null, null);
        Proposal opened;
        try
        {
            var command = new ProposeCommand(name, input, draft.Normalize, form["description"].ToString(), ProposalsApi.Principal(context));
            opened = await registry.ExecuteAsync(s => registry.Decider.Propose(s, command), context.RequestAborted, s => registry.Decider.Warm(s, command));
        }
        catch (RegistryException e) when (e.HttpStatus < 500)
        {
            return Propose(context, registry, name, draft, $"Not opened: {e.Message}");
        }
        ProposalsApi.Done(context, opened);
        return Results.Redirect($"/ui/proposals/{opened.Id}");
    }

    private static async Task<IResult> ReviewAsync(HttpContext context, RegistryService registry, long id)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var proposal = ProposalsApi.Readable(context, registry, id);
        var who = ProposalsApi.Principal(context);
        var roles = ProposalsApi.RolesOn(context, proposal.Subject);
        var decision = form["decision"].ToString();
        var comment = form["comment"].ToString();
        Proposal reviewed;
        try
        {
            reviewed = await registry.ExecuteAsync(state => decision switch
            {
                "WITHDRAW" => registry.Decider.Withdraw(state, id, who, roles.Contains("admin"), comment.Length > 0 ? comment : null),
                "REJECT" => registry.Decider.Reject(state, id, who, roles, comment),
                _ => registry.Decider.Review(state, new ReviewCommand(id, who, roles, decision, comment)),
            }, context.RequestAborted);
        }
        catch (RegistryException e) when (e.HttpStatus < 500)
        {
            return ProposalPage(context, registry, id, e.Message, e.HttpStatus);
        }
        ProposalsApi.Done(context, reviewed, decision);
        return Results.Redirect($"/ui/proposals/{id}");
    }

    /// <summary>The review queue: what waits for the viewer's review, the viewer's own proposals, and the rest.</summary>
    private static IResult Queue(HttpContext http, RegistryService registry)
    {
        var state = registry.State;
        var me = ProposalsApi.Principal(http);
        var visible = state.Proposals.Values.Reverse().Where(p => Security.AccessControl.CanRead(http, p.Subject)).ToList();
        var waiting = visible.Where(p => p.IsPending && p.Proposer != me && !RegistryDecider.ApprovedBy(p).Contains(me) && CanApprove(http, state, p)).ToList();
        var mine = visible.Where(p => p.Proposer == me).ToList();
        var sb = new StringBuilder("<h1>Reviews</h1>");
        sb.Append("<h2>Waiting for your review</h2>").Append(Table("waiting", waiting, state, "Nothing waits for your review."));
        sb.Append("<h2>Your proposals</h2>").Append(Table("mine", mine, state, "You have proposed nothing."));
        sb.Append("<h2>All proposals</h2>").Append(Table("all", visible.Take(PageSize).ToList(), state, "No proposals yet. Open one from a subject's “Propose a change”."));
        return Page("Reviews", sb.ToString());
    }

    private static string Table(string id, IReadOnlyList<Proposal> proposals, RegistryState state, string empty)
    {
        if (proposals.Count == 0) return $"<p class=\"muted\" id=\"{id}\">{E(empty)}</p>";
        var sb = new StringBuilder($"<table id=\"{id}\"><tr><th>#</th><th>Subject</th><th>State</th><th>Proposer</th><th>Approvals</th><th>Description</th><th>Opened</th></tr>");
        foreach (var p in proposals)
        {
            var required = RegistryDecider.PolicyOf(state, p.Subject).Policy.RequiredApprovals;
            sb.Append($"<tr><td><a href=\"/ui/proposals/{p.Id}\">{p.Id}</a></td><td>{E(p.Subject)}</td><td><span class=\"tag\">{p.State}</span></td><td>{E(p.Proposer)}</td>" +
                $"<td>{RegistryDecider.Approvals(p)}/{required}</td><td>{E(p.Description)}</td><td>{When(p.CreatedAt)}</td></tr>");
        }
        return sb.Append("</table>").ToString();
    }

    /// <summary>The proposals still open on a subject, for its page.</summary>
    private static string OpenProposals(RegistryState state, string name)
    {
        var open = state.Proposals.Values.Where(p => p.Subject == name && p.IsPending).ToList();
        if (open.Count == 0) return "";
        return "<h2>Open proposals</h2>" + Table("open-proposals", open, state, "");
    }

    private static IResult ProposalPage(HttpContext http, RegistryService registry, long id, string? error, int status = 200)
    {
        var state = registry.State;
        Proposal p;
        try
        {
            p = ProposalsApi.Readable(http, registry, id);
        }
        catch (RegistryException e) when (e.ErrorCode == RegistryDecider.ProposalNotFound)
        {
            return NotFound(e.Message);
        }
        var view = ProposalsApi.View(registry, p);
        var sb = new StringBuilder($"<h1>Proposal {p.Id}: {E(p.Subject)}</h1>");
        if (error is not null) sb.Append($"<div class=\"box bad\" id=\"error\">{E(error)}</div>");
        sb.Append($"<p id=\"state\"><span class=\"tag\">{p.State}</span> {E(p.StateReason)}</p>");
        sb.Append($"<p class=\"muted\">Proposed by <strong id=\"proposer\">{E(p.Proposer)}</strong> on {When(p.CreatedAt)} · <a href=\"/ui/subjects/{Url(p.Subject)}\">{E(p.Subject)}</a>" +
            $"{(p.BaseVersion is { } b ? $" · written against v{b}" : "")}{(view.LatestVersion is { } latest ? $" · latest v{latest}" : "")}</p>");
        if (p.Description.Length > 0) sb.Append($"<p id=\"description\">{E(p.Description)}</p>");
        var policy = view.Policy;
        sb.Append($"<p id=\"approvals\">{view.ApprovedBy.Count} of {policy.RequiredApprovals} approval(s)" +
            (view.ApprovedBy.Count > 0 ? $": {E(string.Join(", ", view.ApprovedBy))}" : "") +
            (policy.Scope is null ? " (no review policy: any writer of the subject approves)" : $" under the review policy <code>{E(policy.Scope)}</code>" +
                (policy.Approvers.IsDefaultOrEmpty ? "" : $", approvers {E(string.Join(", ", policy.Approvers))}")) + "</p>");

        var v = view.Verdict;
        if (v.Invalid is not null) sb.Append($"<div class=\"box bad\" id=\"verdict\">It can no longer be registered: {E(v.Invalid)}</div>");
        else if (v.Compatible) sb.Append($"<div class=\"box ok\" id=\"verdict\">Compatible at {v.Level}, the subject's level: no consumer or producer of {E(p.Subject)} breaks.</div>");
        else sb.Append($"<div class=\"box bad\" id=\"verdict\">Breaks at {v.Level}, the subject's level:<ul>{string.Concat(v.Differences.Select(d => $"<li><span class=\"tag\">{E(d.Type)}</span> {(d.Path is null ? "" : $"<code>{E(d.Path)}</code> ")}{E(d.Sentence)}</li>"))}</ul></div>");
        if (v.Levels.Count > 0)
            sb.Append("<table id=\"levels\"><tr><th>Level</th><th>Verdict</th></tr>")
              .Append(string.Concat(v.Levels.Select(l => $"<tr><td>{l.Key}</td><td>{(l.Value ? "compatible" : "breaks")}</td></tr>"))).Append("</table>");
        sb.Append("<h2>Changes against the latest version</h2>").Append(view.Diff.Length > 0 ? Html.Diff(view.Diff) : "<p class=\"muted\">No diff.</p>");
        sb.Append("<h2>Impact</h2><div class=\"grid\"><div><h3>Referenced by</h3>");
        sb.Append(view.Impact.ReferencedBy.Count == 0 ? "<p class=\"muted\">No subject references it.</p>" : $"<ul id=\"referenced-by\">{string.Concat(view.Impact.ReferencedBy.Select(r => $"<li>{E(r)}</li>"))}</ul>");
        sb.Append("</div><div><h3>Gateway topics</h3>");
        sb.Append(view.Impact.Topics.Count == 0 ? "<p class=\"muted\">No gateway policy checks records against it.</p>" : $"<ul id=\"topics\">{string.Concat(view.Impact.Topics.Select(t => $"<li>{E(t)}</li>"))}</ul>");
        sb.Append("</div></div>");
        sb.Append(UsageTable(view.Usage));

        sb.Append("<h2>Reviews and comments</h2>");
        if (p.Reviews.IsEmpty) sb.Append("<p class=\"muted\">None yet.</p>");
        else sb.Append("<table id=\"reviews\"><tr><th>Who</th><th>Decision</th><th>Comment</th><th>When</th></tr>")
            .Append(string.Concat(p.Reviews.Select(r => $"<tr><td>{E(r.Reviewer)}</td><td>{r.Decision}</td><td>{E(r.Comment)}</td><td>{When(r.Timestamp)}</td></tr>"))).Append("</table>");
        if (p.IsPending)
        {
            var me = ProposalsApi.Principal(http);
            var buttons = new StringBuilder("<button type=\"submit\" name=\"decision\" value=\"COMMENT\" id=\"comment-button\">Comment</button>");
            if (CanApprove(http, state, p))
                buttons.Append(" <button type=\"submit\" name=\"decision\" value=\"APPROVE\" id=\"approve\">Approve</button>")
                    .Append(" <button type=\"submit\" name=\"decision\" value=\"REQUEST_CHANGES\" id=\"request-changes\">Request changes</button>")
                    .Append(" <button type=\"submit\" name=\"decision\" value=\"REJECT\" id=\"reject\">Reject</button>");
            if (p.Proposer == me) buttons.Append(" <button type=\"submit\" name=\"decision\" value=\"WITHDRAW\" id=\"withdraw\">Withdraw</button>");
            sb.Append($"""
                <form method="post" action="/ui/proposals/{p.Id}/review">{Token(http)}
                  <p><textarea name="comment" id="comment" aria-label="comment" rows="3"></textarea></p>
                  <p class="inline">{buttons}</p>
                </form>
                """);
        }
        sb.Append("<h2>Proposed schema</h2>").Append(Code(p.Schema, p.SchemaType));
        return Page($"Proposal {p.Id}", sb.ToString(), status);
    }

    /// <summary>Who produces and reads each version, as observed: "v3 is produced by payments-svc (12/s, last seen 2 min ago)".</summary>
    private static string UsageTable(IReadOnlyList<UsageApi.VersionUsage> usage)
    {
        var seen = usage.Where(u => u.Fetches.Count > 0 || u.Produces.Count > 0).ToList();
        if (seen.Count == 0) return "<h2>Observed usage</h2><p class=\"muted\" id=\"usage\">No producer or consumer of this subject has been seen by this node.</p>";
        var sb = new StringBuilder("<h2>Observed usage</h2><table id=\"usage\"><tr><th>Version</th><th>Produced by</th><th>Read by</th></tr>");
        foreach (var u in seen)
            sb.Append($"<tr><td>v{u.Version} (id {u.Id})</td><td>{string.Join("<br>", u.Produces.Select(e => $"{E(e.Who)} to {E(e.Topic)} ({Seen(e)})"))}</td>" +
                $"<td>{string.Join("<br>", u.Fetches.Select(e => $"{E(e.Who)} ({Seen(e)})"))}</td></tr>");
        return sb.Append("</table>").ToString();
    }

    private static string Seen(Usage.UsageTracker.UsageEntry e) =>
        $"{e.Count} in all, {e.PerSecond.ToString("0.##", CultureInfo.InvariantCulture)}/s, last seen {When(e.LastSeen)}";

    private static bool CanApprove(HttpContext http, RegistryState state, Proposal p)
    {
        var (scope, policy) = RegistryDecider.PolicyOf(state, p.Subject);
        return RegistryDecider.ApproverProblem(state, p, scope, policy, ProposalsApi.Principal(http), ProposalsApi.RolesOn(http, p.Subject)) is null;
    }

    private static string When(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
