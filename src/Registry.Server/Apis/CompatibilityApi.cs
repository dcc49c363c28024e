using Registry.Core;
using Registry.Server.Contracts;
using Registry.Server.Hosting;
using Registry.Server.Http;

namespace Registry.Server.Apis;

/// <summary>/compatibility: would this schema be accepted, and if not, why.</summary>
public static class CompatibilityApi
{
    public static IEndpointRouteBuilder MapCompatibilityApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/compatibility/subjects/{subject}/versions");
        group.MapPost("", (HttpContext context, RegistryService registry, string subject, bool? normalize, bool? verbose) =>
            Check(context, registry, subject, null, normalize, verbose));
        group.MapPost("/{version}", (HttpContext context, RegistryService registry, string subject, string version, bool? normalize, bool? verbose) =>
            Check(context, registry, subject, version, normalize, verbose));
        return app;
    }

    private static async Task<IResult> Check(HttpContext context, RegistryService registry, string subject, string? version, bool? normalize, bool? verbose)
    {
        var body = await RequestBody.ReadAsync<RegisterSchemaRequest>(context);
        IReadOnlyList<string> messages;
        try
        {
            messages = registry.Decider.TestCompatibility(registry.State, SubjectPath.Decode(subject), version, Security.AccessControl.InputOf(context, SubjectPath.Decode(subject), body), normalize == true);
        }
        catch (RegistryException e) when (e.ErrorCode == Errors.InvalidSchema && verbose == true)
        {
            messages = [e.Message];
        }
        var compatible = messages.Count == 0;
        if (!compatible) ServerMetrics.CompatibilityFailures.Add(1);
        return RegistryJson.Ok(new CompatibilityResponse(compatible, verbose == true ? messages : null));
    }
}
