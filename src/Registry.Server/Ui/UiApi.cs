using System.Text;
using Registry.Core;
using Registry.Core.Decisions;
using Registry.Core.Model;
using Registry.Core.State;
using Registry.Formats;
using Registry.Server.Hosting;
using static Registry.Server.Ui.Html;

namespace Registry.Server.Ui;

/// <summary>
/// The review UI at /ui: subjects, a subject's versions and contract, diffs, and proposing a change. Every
/// action goes through the same decider and engine as the REST API.
/// </summary>
public static partial class UiApi
{
    private const int PageSize = 50;

    public static IEndpointRouteBuilder MapUiApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ui", () => Results.Redirect("/ui/subjects"));
        app.MapGet("/ui/subjects", (HttpContext http, RegistryService registry, string? q, string? type, string? context, int? page) => Guard(() => Subjects(http, registry, q, type, context, page ?? 1)));
        app.MapGet("/ui/subjects/{subject}", (HttpContext http, RegistryService registry, string subject, int? version, bool? deleted) =>
            GuardAsync(() => SubjectAsync(http, registry, Http.SubjectPath.Decode(subject), version, deleted == true)));
        app.MapGet("/ui/subjects/{subject}/diff", (RegistryService registry, string subject, int from, int to) => Guard(() => Diff(registry, Http.SubjectPath.Decode(subject), from, to)));
        app.MapGet("/ui/registry.css", () => Results.Text(Html.Css, "text/css; charset=utf-8"));
        app.MapGet("/ui/subjects/{subject}/propose", (HttpContext http, RegistryService registry, string subject) => Guard(() => Propose(http, registry, Http.SubjectPath.Decode(subject), null)));
        // Forms that change state (or render a form that does) are checked for forgery first; the check is ours, so the
        // endpoint's own automatic check is off.
        app.MapPost("/ui/subjects/{subject}/propose", async (HttpContext context, RegistryService registry, string subject) =>
            await ForgeryRefusal(context) ?? await GuardAsync(async () =>
                Propose(context, registry, Http.SubjectPath.Decode(subject), Draft.From(await context.Request.ReadFormAsync(context.RequestAborted)))))
            .DisableAntiforgery();
        app.MapPost("/ui/subjects/{subject}/register", async (HttpContext context, RegistryService registry, string subject) =>
            await ForgeryRefusal(context) ?? await GuardAsync(async () =>
                await Register(context, registry, Http.SubjectPath.Decode(subject), Draft.From(await context.Request.ReadFormAsync(context.RequestAborted)))))
            .DisableAntiforgery();
        MapReviewUi(app);
        return app;
    }

    /// <summary>
    /// Cross-site request forgery: a form post from another origin (Origin header) is 403; one without this site's
    /// anti-forgery token for the signed-in user is 400. Null when the post may proceed.
    /// </summary>
    private static async Task<IResult?> ForgeryRefusal(HttpContext context)
    {
        // "null" (a privacy or sandboxed context) names no site; the token still decides.
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && origin != "null" && !string.Equals(origin, $"{context.Request.Scheme}://{context.Request.Host}", StringComparison.OrdinalIgnoreCase))
            return Page("Refused", "<div class=\"box bad\">This form was sent from another site and was refused.</div>", 403);
        try
        {
            await context.RequestServices.GetRequiredService<Microsoft.AspNetCore.Antiforgery.IAntiforgery>().ValidateRequestAsync(context);
            return null;
        }
        catch (Microsoft.AspNetCore.Antiforgery.AntiforgeryValidationException)
        {
            return Page("Refused", "<div class=\"box bad\">This form was refused: it has expired or did not come from this site. Reload the page and send it again.</div>", 400);
        }
    }

    /// <summary>The hidden anti-forgery field every state-changing form carries.</summary>
    private static string Token(HttpContext http)
    {
        var tokens = http.RequestServices.GetRequiredService<Microsoft.AspNetCore.Antiforgery.IAntiforgery>().GetAndStoreTokens(http);
        return $"<input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken)}\">";
    }

    private sealed record Draft(string Schema, string SchemaType, string? Level, bool Normalize)
    {
        public static Draft From(IFormCollection form) => new(form["schema"].ToString(), form["schemaType"].ToString() is { Length: > 0 } t ? t : "AVRO",
            form["level"].ToString() is { Length: > 0 } l ? l : null, form["normalize"].ToString() is "on" or "true");
    }

    private static IResult Subjects(HttpContext http, RegistryService registry, string? q, string? type, string? context, int page)
    {
        var state = registry.State;
        var all = state.Subjects.Values.Where(s => s.HasLive && Security.AccessControl.CanRead(http, s.Name));
        if (!string.IsNullOrWhiteSpace(q)) all = all.Where(s => s.Name.Contains(q.Trim(), StringComparison.OrdinalIgnoreCase));
        if (!string.IsNullOrWhiteSpace(context)) all = all.Where(s => QualifiedSubject.Parse(s.Name).Context == context);
        if (!string.IsNullOrWhiteSpace(type)) all = all.Where(s => state.SchemaOf(s.Name, s.LatestLive!).SchemaType == type);
        var matching = all.ToList();
        page = Math.Clamp(page, 1, Math.Max(1, (matching.Count + PageSize - 1) / PageSize));
        // The context filter offers only contexts in which the viewer may read a subject.
        var contexts = state.Subjects.Keys.Where(s => Security.AccessControl.CanRead(http, s)).Select(s => QualifiedSubject.Parse(s).Context).Distinct().Order(StringComparer.Ordinal);
        var sb = new StringBuilder($"<h1>Subjects</h1>");
        sb.Append($"""
            <form class="inline" method="get" action="/ui/subjects">
              <input name="q" placeholder="Search by name" value="{E(q)}" aria-label="search">
              <select name="type" aria-label="format"><option value="">All formats</option>{string.Concat(new[] { "AVRO", "JSON", "PROTOBUF" }.Select(t => $"<option{(t == type ? " selected" : "")}>{t}</option>"))}</select>
              <select name="context" aria-label="context"><option value="">All contexts</option>{string.Concat(contexts.Select(c => $"<option{(c == context ? " selected" : "")}>{E(c)}</option>"))}</select>
              <button type="submit">Filter</button>
            </form>
            """);
        if (matching.Count == 0)
        {
            sb.Append(state.Subjects.Count == 0
                ? "<div class=\"box info\">No subjects yet. Register a schema with the REST API or <code>registry apply</code>.</div>"
                : "<div class=\"box info\">No subjects match this filter.</div>");
            return Page("Subjects", sb.ToString());
        }
        sb.Append("<table id=\"subjects\"><tr><th>Subject</th><th>Context</th><th>Format</th><th>Latest</th><th>Compatibility</th><th>Tags</th></tr>");
        foreach (var s in matching.Skip((page - 1) * PageSize).Take(PageSize))
        {
            var latest = s.LatestLive!;
            var schema = state.SchemaOf(s.Name, latest);
            var tags = schema.Metadata?.Tags?.SelectMany(t => t.Value).Distinct() ?? [];
            sb.Append($"<tr><td><a href=\"/ui/subjects/{Url(s.Name)}\">{E(s.Name)}</a></td><td>{E(QualifiedSubject.Parse(s.Name).Context)}</td><td>{schema.SchemaType}</td><td>v{latest.Version} (id {latest.Id})</td><td>{registry.Decider.EffectiveLevel(state, s.Name).ToName()}</td><td>{string.Concat(tags.Select(t => $"<span class=\"tag\">{E(t)}</span>"))}</td></tr>");
        }
        sb.Append("</table>");
        var pages = (matching.Count + PageSize - 1) / PageSize;
        string Link(int p, string label) => $"<a href=\"/ui/subjects?q={Url(q ?? "")}&type={Url(type ?? "")}&context={Url(context ?? "")}&page={p}\">{label}</a>";
        sb.Append($"<nav class=\"pages\">{(page > 1 ? Link(page - 1, "← previous") : "")}<span class=\"muted\">page {page} of {pages} · {matching.Count} subjects</span>{(page < pages ? Link(page + 1, "next →") : "")}</nav>");
        return Page("Subjects", sb.ToString());
    }

    private static async Task<IResult> SubjectAsync(HttpContext http, RegistryService registry, string name, int? version, bool showDeleted)
    {
        var state = registry.State;
        if (!state.Subjects.TryGetValue(name, out var subject) || (!subject.HasLive && !showDeleted))
            return NotFound($"Subject '{name}' does not exist" + (state.Subjects.ContainsKey(name) ? " (it was deleted; show deleted versions to see it)" : "") + ".");
        var versions = subject.Versions.Values.Where(v => showDeleted || !v.Deleted).ToList();
        var shown = version is int n ? versions.FirstOrDefault(v => v.Version == n) : versions.LastOrDefault(v => !v.Deleted) ?? versions.LastOrDefault();
        if (shown is null) return NotFound($"Subject '{name}' has no version {version}.");
        var schema = state.SchemaOf(name, shown);
        var config = state.Configs.GetValueOrDefault(name);
        var mode = RegistryDecider.EffectiveMode(state, name);
        var sb = new StringBuilder($"<h1>{E(name)}</h1>");
        sb.Append($"<p class=\"muted\">Compatibility {registry.Decider.EffectiveLevel(state, name).ToName()}{(config?.CompatibilityLevel is null ? " (inherited)" : " (subject)")} · mode {mode.ToName()} · <a href=\"/ui/subjects/{Url(name)}/propose\">Propose a change</a> · " +
            (showDeleted ? $"<a href=\"/ui/subjects/{Url(name)}\">hide deleted</a>" : $"<a href=\"/ui/subjects/{Url(name)}?deleted=true\">show deleted versions</a>") + "</p>");
        // Who registered each version, from this node's audit trail (a version registered through another node shows none).
        var by = (await http.RequestServices.GetRequiredService<Security.AuditLog>().QueryAsync(name, null, 0, 10_000))
            .Where(e => e.Status is 200 or 302 && e.Version is not null && e.Action.StartsWith("POST ", StringComparison.Ordinal)
                && (e.Action.EndsWith("/versions", StringComparison.Ordinal) || e.Action.EndsWith("/register", StringComparison.Ordinal)))
            .GroupBy(e => e.Version!.Value).ToDictionary(g => g.Key, g => g.First().Principal);
        sb.Append("<h2>Versions</h2><table id=\"versions\"><tr><th>Version</th><th>Id</th><th>Registered</th><th>By</th><th></th></tr>");
        foreach (var v in versions.AsEnumerable().Reverse())
        {
            var when = When(v.Timestamp);
            var previous = versions.LastOrDefault(p => p.Version < v.Version);
            var who = by.TryGetValue(v.Version, out var principal) ? E(principal) : "<span class=\"muted\">not recorded here</span>";
            var current = v.Version == shown.Version ? " class=\"current\" aria-current=\"true\"" : "";
            sb.Append($"<tr{current}><td><a href=\"/ui/subjects/{Url(name)}?version={v.Version}{(showDeleted ? "&deleted=true" : "")}\">v{v.Version}</a>{(v.Deleted ? " <span class=\"tag\">deleted</span>" : "")}</td><td>{v.Id}</td><td>{when}</td><td>{who}</td>" +
                $"<td>{(previous is null ? "" : $"<a href=\"/ui/subjects/{Url(name)}/diff?from={previous.Version}&to={v.Version}\">diff with v{previous.Version}</a>")}</td></tr>");
        }
        sb.Append("</table>");
        sb.Append(OpenProposals(state, name)).Append(UsageTable(Apis.UsageApi.OfSubject(registry, name)));
        sb.Append($"<h2>Schema v{shown.Version} ({schema.SchemaType}, id {schema.Id})</h2>").Append(Code(schema.Schema, schema.SchemaType));
        sb.Append("<h2>Contract</h2>");
        if (schema.Metadata is null && schema.RuleSet is null) sb.Append("<p class=\"muted\">No metadata or rules.</p>");
        if (schema.Metadata?.Properties is { Count: > 0 } props)
            sb.Append("<table><tr><th>Property</th><th>Value</th></tr>").Append(string.Concat(props.Select(p => $"<tr><td>{E(p.Key)}</td><td>{E(p.Value)}</td></tr>"))).Append("</table>");
        if (schema.Metadata?.Tags is { Count: > 0 } tags)
            sb.Append("<p>Tags: ").Append(string.Join("; ", tags.Select(t => $"{E(t.Key)}: {string.Concat(t.Value.Select(v => $"<span class=\"tag\">{E(v)}</span>"))}"))).Append("</p>");
        if (schema.RuleSet is { } rules)
            sb.Append("<table><tr><th>Rule</th><th>Kind</th><th>Mode</th><th>Type</th><th>Expression</th><th>On failure</th></tr>")
              .Append(string.Concat(rules.AllRules.Select(r => $"<tr><td>{E(r.Name)}</td><td>{E(r.Kind ?? "TRANSFORM")}</td><td>{E(r.Mode ?? "WRITEREAD")}</td><td>{E(r.Type)}</td><td><code>{E(r.Expr)}</code></td><td>{E(r.OnFailure)}</td></tr>"))).Append("</table>");
        sb.Append("<div class=\"grid\"><div><h2>Uses</h2>");
        sb.Append(schema.References.IsDefaultOrEmpty ? "<p class=\"muted\">No references.</p>" :
            "<ul>" + string.Concat(schema.References.Select(r => $"<li>{E(r.Name)} → <a href=\"/ui/subjects/{Url(r.Subject)}?version={r.Version}\">{E(r.Subject)} v{r.Version}</a></li>")) + "</ul>");
        sb.Append("</div><div><h2>Used by</h2>");
        // Only referrers the viewer may read are named.
        var users = RegistryDecider.ReferencedBy(state, name, shown.Version, includeDeleted: false)
            .SelectMany(id => state.UsagesOf(id)).Where(u => Security.AccessControl.CanRead(http, u.Subject)).ToList();
        sb.Append(users.Count == 0 ? "<p class=\"muted\">Nothing references this version.</p>" :
            "<ul>" + string.Concat(users.Select(u => $"<li><a href=\"/ui/subjects/{Url(u.Subject)}?version={u.Version}\">{E(u.Subject)} v{u.Version}</a></li>")) + "</ul>");
        sb.Append("</div></div>");
        return Page(name, sb.ToString());
    }

    private static IResult Diff(RegistryService registry, string name, int from, int to)
    {
        var state = registry.State;
        if (!state.Subjects.TryGetValue(name, out var subject)) return NotFound($"Subject '{name}' does not exist.");
        if (!subject.Versions.TryGetValue(from, out var a) || !subject.Versions.TryGetValue(to, out var b)) return NotFound($"Subject '{name}' has no version {from} or {to}.");
        var older = state.SchemaOf(name, a);
        var newer = state.SchemaOf(name, b);
        // At NONE nothing is checked on registration; the page still shows what BACKWARD would say.
        var configured = registry.Decider.EffectiveLevel(state, name);
        var level = configured == CompatibilityLevel.None ? CompatibilityLevel.Backward : configured;
        // The registration rules themselves, with the newer version as the candidate and the older as the one version compared.
        var messages = registry.Decider.CheckCompatibility(state, name, registry.Decider.CandidateOf(state, newer), level, registry.Decider.EffectiveConfig(state, name), only: a);
        var sb = new StringBuilder($"<h1>{E(name)}: v{from} → v{to}</h1>");
        sb.Append(messages.Count == 0
            ? $"<div class=\"box ok\" id=\"verdict\">v{to} is compatible with v{from} at {level.ToName()}.</div>"
            : $"<div class=\"box bad\" id=\"verdict\">v{to} is not compatible with v{from} at {level.ToName()}:<ul>{Items(messages)}</ul></div>");
        sb.Append(Html.Diff(SchemaTextDiff.Unified(older.Schema, newer.Schema, newer.SchemaType)));
        sb.Append($"<p><a href=\"/ui/subjects/{Url(name)}\">← back to {E(name)}</a></p>");
        return Page($"{name} diff", sb.ToString());
    }

    /// <summary>Compatibility messages as list items: type, path and sentence, not Confluent's raw strings.</summary>
    private static string Items(IReadOnlyList<string> messages) =>
        string.Concat(Registry.Formats.CompatibilityText.Sentences(messages).Select(m => $"<li>{E(m)}</li>"));

    private static IResult Propose(HttpContext http, RegistryService registry, string name, Draft? proposal, string? error = null)
    {
        var state = registry.State;
        registry.Decider.ValidSubject(name);
        var latest = state.Subjects.GetValueOrDefault(name)?.LatestLive is { } l ? state.SchemaOf(name, l) : null;
        var effective = registry.Decider.EffectiveLevel(state, name);
        var sb = new StringBuilder($"<h1>Propose a change to {E(name)}</h1>");
        if (error is not null) sb.Append($"<div class=\"box bad\" id=\"error\">{E(error)}</div>");
        if (latest is null) sb.Append("<div class=\"box info\">This subject has no versions yet: the first version is always compatible.</div>");
        var levelName = proposal?.Level ?? effective.ToName();
        if (proposal is not null)
        {
            if (proposal.Schema.Length > registry.Options.MaxSchemaLength)
            {
                sb.Append($"<div class=\"box bad\" id=\"verdict\">The schema has {proposal.Schema.Length} characters; the limit is {registry.Options.MaxSchemaLength}.</div>");
            }
            else if (!CompatibilityLevels.TryParse(levelName, out var level))
            {
                sb.Append("<div class=\"box bad\" id=\"verdict\">Unknown compatibility level.</div>");
            }
            else
            {
                try
                {
                    var input = new SchemaInput(proposal.Schema, proposal.SchemaType, latest?.References, null, null);
                    var candidate = registry.Decider.Prepare(state, name, input, proposal.Normalize, mergeContract: true, allowDeletedReferences: false);
                    var messages = registry.Decider.CheckCompatibility(state, name, candidate, level, registry.Decider.EffectiveConfig(state, name), only: null);
                    if (messages.Count == 0 && level != effective)
                    {
                        // Registering is checked at the subject's level, so only a check at that level can offer it.
                        sb.Append($"<div class=\"box ok\" id=\"verdict\">Compatible at {level.ToName()}.</div>" +
                            $"<div class=\"box info\" id=\"register-hint\">{E(name)} is checked at {effective.ToName()} when a version is registered; check at {effective.ToName()} to register.</div>");
                    }
                    else if (messages.Count == 0)
                    {
                        sb.Append($"<div class=\"box ok\" id=\"verdict\">Compatible at {level.ToName()}.</div>");
                        sb.Append(ReviewForm(http, state, name, proposal));
                        if (state.ReviewPolicyFor(name) is null) sb.Append($"""
                            <form method="post" action="/ui/subjects/{Url(name)}/register">{Token(http)}
                              <input type="hidden" name="schema" value="{E(proposal.Schema)}"><input type="hidden" name="schemaType" value="{E(proposal.SchemaType)}">
                              <input type="hidden" name="normalize" value="{(proposal.Normalize ? "true" : "false")}">
                              <button type="submit" id="register">Register this version</button>
                            </form>
                            """);
                    }
                    else
                    {
                        sb.Append($"<div class=\"box bad\" id=\"verdict\">Not compatible at {level.ToName()}:<ul>{Items(messages)}</ul></div>");
                    }
                    if (latest is not null) sb.Append("<h2>Changes against the latest version</h2>").Append(Html.Diff(SchemaTextDiff.Unified(latest.Schema, candidate.Parsed.Canonical, candidate.SchemaType)));
                }
                catch (RegistryException e)
                {
                    sb.Append($"<div class=\"box bad\" id=\"verdict\">{E(e.Message)}</div>");
                }
            }
        }
        var text = proposal?.Schema ?? latest?.Schema ?? "";
        var type = proposal?.SchemaType ?? latest?.SchemaType ?? "AVRO";
        sb.Append($"""
            <form method="post" action="/ui/subjects/{Url(name)}/propose">{Token(http)}
              <p><textarea name="schema" id="schema" aria-label="schema">{E(text)}</textarea></p>
              <p class="inline">Format <select name="schemaType">{string.Concat(new[] { "AVRO", "JSON", "PROTOBUF" }.Select(t => $"<option{(t == type ? " selected" : "")}>{t}</option>"))}</select>
              Level <select name="level">{string.Concat(Enum.GetValues<CompatibilityLevel>().Select(l => $"<option{(l.ToName() == levelName ? " selected" : "")}>{l.ToName()}</option>"))}</select>
              <label><input type="checkbox" name="normalize"> normalize</label>
              <button type="submit" id="check">Check</button></p>
            </form>
            """);
        return Page($"Propose {name}", sb.ToString());
    }

    private static async Task<IResult> Register(HttpContext context, RegistryService registry, string name, Draft proposal)
    {
        if (!registry.Options.UiAllowsWrites) return Page("Not allowed", "<div class=\"box bad\">Registering from the UI is turned off (Registry:UiAllowsWrites).</div>", 403);
        var state = registry.State;
        var latest = state.Subjects.GetValueOrDefault(name)?.LatestLive is { } l ? state.SchemaOf(name, l) : null;
        var command = new RegisterCommand(name, new SchemaInput(proposal.Schema, proposal.SchemaType, latest?.References, null, null), null, null, proposal.Normalize, false);
        RegisteredSchema registered;
        try
        {
            registered = await registry.ExecuteAsync(s => registry.Decider.Register(s, command), context.RequestAborted, s => registry.Decider.Warm(s, command));
        }
        catch (RegistryException e) when (e.HttpStatus < 500)
        {
            // The proposal page again, with the schema as pasted and why it was not registered.
            return Propose(context, registry, name, proposal, $"Not registered: {e.Message}");
        }
        context.Items[Security.AuditMiddleware.VersionKey] = registered.Version;
        context.Items[Security.AuditMiddleware.IdKey] = registered.Schema.Id;
        return Results.Redirect($"/ui/subjects/{Url(name)}?version={registered.Version}");
    }

    private static IResult NotFound(string message) => Page("Not found", $"<h1>Not found</h1><div class=\"box bad\">{E(message)}</div><p><a href=\"/ui/subjects\">All subjects</a></p>", 404);

    private static IResult Guard(Func<IResult> page)
    {
        try
        {
            return page();
        }
        catch (RegistryException e)
        {
            return ErrorPage(e);
        }
    }

    private static async Task<IResult> GuardAsync(Func<Task<IResult>> page)
    {
        try
        {
            return await page();
        }
        catch (RegistryException e)
        {
            return ErrorPage(e);
        }
    }

    private static IResult ErrorPage(RegistryException e) =>
        Page("Error", $"<h1>Something is not right</h1><div class=\"box bad\">{E(e.Message)}</div><p><a href=\"/ui/subjects\">All subjects</a></p>", e.HttpStatus >= 500 ? 503 : 400);
}
