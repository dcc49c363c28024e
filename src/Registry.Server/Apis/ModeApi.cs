using Registry.Core;
using Registry.Core.Decisions;
using Registry.Core.Model;
using Registry.Server.Contracts;
using Registry.Server.Hosting;
using Registry.Server.Http;

namespace Registry.Server.Apis;

/// <summary>/mode and /mode/{subject}.</summary>
public static class ModeApi
{
    public static IEndpointRouteBuilder MapModeApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/mode");
        group.MapGet("", (RegistryService registry) => Mode(RegistryDecider.EffectiveMode(registry.State, null)));
        group.MapPut("", (HttpContext context, RegistryService registry, bool? force) => Put(context, registry, null, force));
        group.MapDelete("", (HttpContext context, RegistryService registry, bool? recursive) => Delete(context, registry, null, recursive));
        group.MapGet("/{subject}", Get);
        group.MapPut("/{subject}", (HttpContext context, RegistryService registry, string subject, bool? force) => Put(context, registry, SubjectPath.Decode(subject), force));
        group.MapDelete("/{subject}", (HttpContext context, RegistryService registry, string subject, bool? recursive) => Delete(context, registry, SubjectPath.Decode(subject), recursive));
        return app;
    }

    private static IResult Get(RegistryService registry, string subject, bool? defaultToGlobal)
    {
        var scope = registry.Decider.Scope(SubjectPath.Decode(subject));
        var state = registry.State;
        if (scope is not null && !defaultToGlobal.GetValueOrDefault())
        {
            return state.Modes.TryGetValue(scope, out var own) ? Mode(own) : throw Errors.ModeNotConfiguredError(scope);
        }
        return Mode(RegistryDecider.EffectiveMode(state, scope));
    }

    private static async Task<IResult> Put(HttpContext context, RegistryService registry, string? subject, bool? force)
    {
        var body = await RequestBody.ReadAsync<ModeBody>(context);
        var mode = await registry.ExecuteAsync(state => registry.Decider.SetMode(state, subject, body.Mode, force == true), context.RequestAborted);
        return Mode(mode);
    }

    private static async Task<IResult> Delete(HttpContext context, RegistryService registry, string? subject, bool? recursive)
    {
        var removed = await registry.ExecuteAsync(state => registry.Decider.DeleteMode(state, subject, recursive == true), context.RequestAborted);
        return Mode(removed);
    }

    private static IResult Mode(RegistryMode? mode) => RegistryJson.Ok(new ModeBody(mode?.ToName()));
}
