using Registry.Core.Model;
using Registry.Server.Hosting;
using Registry.Server.Http;

namespace Registry.Server.Apis;

/// <summary>GET /, /contexts and /v1/metadata/*.</summary>
public static class RootApi
{
    public static IEndpointRouteBuilder MapRootApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => RegistryJson.Ok(new { }));
        app.MapPost("/", () => RegistryJson.Ok(new { }));
        app.MapGet("/contexts", GetContexts);
        app.MapDelete("/contexts/{context}", (HttpContext http, RegistryService registry, string context) => DeleteContext(http, registry, context));
        app.MapGet("/v1/metadata/id", GetClusterId);
        app.MapGet("/v1/audit", GetAudit);
        app.MapGet("/v1/metadata/version", () => RegistryJson.Ok(new { version = Version, commitId = "" }));
        // Confluent's community build answers {"attributes":["opensource"]}; clients use it to tell Confluent Cloud apart.
        app.MapGet("/v1/metadata/deployment", () => RegistryJson.Ok(new { attributes = new[] { "opensource" } }));
        return app;
    }

    private static string Version => typeof(RootApi).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private static IResult GetContexts(HttpContext http, RegistryService registry, int? offset, int? limit, string? contextPrefix)
    {
        // Only the contexts in which the caller may read a subject (and the default context, which always exists).
        var contexts = registry.State.Subjects.Keys
            .Where(s => Security.AccessControl.CanRead(http, s))
            .Select(s => QualifiedSubject.Parse(s).Context)
            .Append(QualifiedSubject.DefaultContext)
            .Distinct(StringComparer.Ordinal)
            .Where(c => string.IsNullOrEmpty(contextPrefix) || c.StartsWith(contextPrefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        return RegistryJson.Ok(registry.Page(contexts, offset, limit).ToList());
    }

    /// <summary>DELETE /contexts/{context}: 42211 while the context holds subjects; once empty, its config and mode go and the answer is 204.</summary>
    private static async Task<IResult> DeleteContext(HttpContext http, RegistryService registry, string context)
    {
        await registry.ExecuteAsync(state => registry.Decider.DeleteContext(state, SubjectPath.Decode(context)), http.RequestAborted);
        return Results.NoContent();
    }

    /// <summary>The audit trail: JSON, or JSON lines with format=jsonl (for export).</summary>
    private static async Task<IResult> GetAudit(Security.AuditLog audit, string? subject, string? principal, long? after, int? limit, string? format)
    {
        var entries = await audit.QueryAsync(subject, principal, after ?? 0, Math.Clamp(limit ?? 1000, 1, 100_000));
        if (string.Equals(format, "jsonl", StringComparison.OrdinalIgnoreCase))
            return Results.Text(string.Concat(entries.Select(e => e.ToJson().ToJsonString() + "\n")), "application/x-ndjson");
        return RegistryJson.Ok(entries);
    }

    private static IResult GetClusterId(RegistryService registry) => RegistryJson.Ok(new
    {
        scope = new
        {
            path = Array.Empty<string>(),
            clusters = new Dictionary<string, string>
            {
                ["kafka-cluster"] = registry.Options.KafkaClusterId,
                ["schema-registry-cluster"] = registry.Options.ClusterId,
            },
        },
        id = "",
    });
}
