using Registry.Core;
using Registry.Core.Model;
using Registry.Server.Contracts;
using Registry.Server.Hosting;
using Registry.Server.Http;

namespace Registry.Server.Apis;

/// <summary>/config and /config/{subject}.</summary>
public static class ConfigApi
{
    public static IEndpointRouteBuilder MapConfigApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/config");
        group.MapGet("", (RegistryService registry) => RegistryJson.Ok(ConfigResponse.From(registry.Decider.EffectiveConfig(registry.State, null))));
        group.MapPut("", (HttpContext context, RegistryService registry) => Put(context, registry, null));
        group.MapDelete("", (HttpContext context, RegistryService registry) => Delete(context, registry, null));
        group.MapGet("/{subject}", Get);
        group.MapPut("/{subject}", (HttpContext context, RegistryService registry, string subject) => Put(context, registry, SubjectPath.Decode(subject)));
        group.MapDelete("/{subject}", (HttpContext context, RegistryService registry, string subject) => Delete(context, registry, SubjectPath.Decode(subject)));
        return app;
    }

    private static IResult Get(RegistryService registry, string subject, bool? defaultToGlobal)
    {
        var scope = registry.Decider.Scope(SubjectPath.Decode(subject));
        var state = registry.State;
        if (scope is not null && !defaultToGlobal.GetValueOrDefault())
        {
            // A config set without a level (say only normalize) reports the level in force, as Confluent does.
            return state.Configs.TryGetValue(scope, out var own)
                ? RegistryJson.Ok(ConfigResponse.From(own.CompatibilityLevel is null ? own with { CompatibilityLevel = registry.Decider.EffectiveLevel(state, scope).ToName() } : own))
                : throw Errors.CompatibilityNotConfiguredError(scope);
        }
        return RegistryJson.Ok(ConfigResponse.From(registry.Decider.EffectiveConfig(state, scope)));
    }

    private static async Task<IResult> Put(HttpContext context, RegistryService registry, string? subject)
    {
        var body = await RequestBody.ReadAsync<ConfigUpdateRequest>(context);
        var update = await registry.ExecuteAsync(state => registry.Decider.SetConfig(state, subject, body.ToConfig(), body.Cleared), context.RequestAborted);
        return RegistryJson.Ok(ConfigUpdateResponse.From(update));
    }

    private static async Task<IResult> Delete(HttpContext context, RegistryService registry, string? subject)
    {
        var removed = await registry.ExecuteAsync(state => registry.Decider.DeleteConfig(state, subject), context.RequestAborted);
        return RegistryJson.Ok(ConfigResponse.From(removed));
    }
}
