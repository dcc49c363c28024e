using Registry.Core;
using Registry.Core.Model;
using Registry.Core.State;
using Registry.Server.Hosting;
using Registry.Server.Http;
using Registry.Server.Usage;

namespace Registry.Server.Apis;

/// <summary>
/// <c>/v1/usage</c>: who fetches and produces each schema (docs/review.md). Readers of a subject see its usage; the
/// gateway reports what it let through with <c>POST /v1/usage/produce</c>.
/// </summary>
public static class UsageApi
{
    public sealed record ProduceReport(string? Topic, int Id, string? Context, string? ClientId, long Count);

    public sealed record ProduceReports(List<ProduceReport>? Reports);

    public sealed record SchemaUsage(int Id, string Context, IReadOnlyList<UsageTracker.UsageEntry> Fetches, IReadOnlyList<UsageTracker.UsageEntry> Produces);

    public sealed record VersionUsage(int Version, int Id, IReadOnlyList<UsageTracker.UsageEntry> Fetches, IReadOnlyList<UsageTracker.UsageEntry> Produces);

    /// <summary>Most reports in one POST.</summary>
    public const int MaxReports = 10_000;

    public static IEndpointRouteBuilder MapUsageApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/usage");
        group.MapGet("/schemas/{id}", (HttpContext context, RegistryService registry, string id, string? subject) =>
        {
            var state = registry.State;
            var schema = SchemasApi.FindById(context, state, id, subject).Schema;
            // Only for a caller who may read a subject using the id, as GET /schemas/ids/{id} itself.
            if (!state.UsagesOf(schema.Key).Any(u => Security.AccessControl.CanRead(context, u.Subject))) throw Errors.SchemaNotFoundError(schema.Id);
            var entries = registry.Usage.Of(new HashSet<ContextId> { schema.Key })[schema.Key];
            return RegistryJson.Ok(new SchemaUsage(schema.Id, schema.Context, Kind(entries, UsageTracker.Fetch), Kind(entries, UsageTracker.Produce)));
        });
        group.MapGet("/subjects/{subject}", (HttpContext context, RegistryService registry, string subject) =>
        {
            var name = SubjectsApi.Subject(registry, subject);
            if (!Security.AccessControl.CanRead(context, name) || !registry.State.Subjects.ContainsKey(name)) throw Errors.SubjectNotFoundError(name);
            return RegistryJson.Ok(OfSubject(registry, name));
        });
        group.MapPost("/produce", async (HttpContext context, RegistryService registry) =>
        {
            var body = await RequestBody.ReadAsync<ProduceReports>(context);
            var reports = body.Reports ?? [];
            if (reports.Count > MaxReports) throw new RegistryException(Errors.UnprocessableEntity, $"At most {MaxReports} reports in one request");
            foreach (var r in reports)
            {
                if (string.IsNullOrEmpty(r.Topic) || r.Topic.Length > 249 || r.Id <= 0 || r.Count <= 0 || (r.ClientId?.Length ?? 0) > 255)
                    throw new RegistryException(Errors.UnprocessableEntity, "A report needs a topic, a positive id and count, and a client id of at most 255 characters");
            }
            foreach (var r in reports)
                registry.Usage.Record(new ContextId(r.Context ?? QualifiedSubject.DefaultContext, r.Id), UsageTracker.Produce, string.IsNullOrEmpty(r.ClientId) ? "(no client id)" : r.ClientId, r.Topic, r.Count);
            return Results.NoContent();
        });
        return app;
    }

    /// <summary>The usage of every live version of a subject, newest first.</summary>
    internal static IReadOnlyList<VersionUsage> OfSubject(RegistryService registry, string subject)
    {
        var state = registry.State;
        var tracker = registry.Usage;
        if (!state.Subjects.TryGetValue(subject, out var s)) return [];
        var versions = s.Live.Reverse().ToList();
        var entries = tracker.Of(versions.Select(v => ContextId.Of(subject, v.Id)).ToHashSet());
        return [.. versions.Select(v => Of(v, entries[ContextId.Of(subject, v.Id)]))];
    }

    private static VersionUsage Of(SubjectVersion v, IReadOnlyList<UsageTracker.UsageEntry> e) =>
        new(v.Version, v.Id, Kind(e, UsageTracker.Fetch), Kind(e, UsageTracker.Produce));

    private static IReadOnlyList<UsageTracker.UsageEntry> Kind(IReadOnlyList<UsageTracker.UsageEntry> entries, string kind) => [.. entries.Where(e => e.Kind == kind)];
}
