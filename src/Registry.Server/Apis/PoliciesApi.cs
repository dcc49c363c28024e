using Registry.Core.Decisions;
using Registry.Core.Model;
using Registry.Server.Hosting;
using Registry.Server.Http;

namespace Registry.Server.Apis;

/// <summary>/v1/policies: what the produce-time gateway enforces per topic (docs/gateway.md).</summary>
public static class PoliciesApi
{
    public static IEndpointRouteBuilder MapPoliciesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/policies");
        group.MapGet("", (RegistryService registry) => RegistryJson.Ok(registry.State.Policies));
        group.MapGet("/{topic}", (RegistryService registry, string topic) =>
            RegistryJson.Ok(registry.State.Policies.TryGetValue(topic, out var policy) ? policy : throw RegistryDecider.PolicyNotFoundError(topic)));
        group.MapPut("/{topic}", async (HttpContext context, RegistryService registry, string topic) =>
        {
            var policy = await RequestBody.ReadAsync<TopicPolicy>(context);
            return RegistryJson.Ok(await registry.ExecuteAsync(state => RegistryDecider.SetPolicy(state, topic, policy), context.RequestAborted));
        });
        group.MapDelete("/{topic}", async (HttpContext context, RegistryService registry, string topic) =>
            RegistryJson.Ok(await registry.ExecuteAsync(state => RegistryDecider.DeletePolicy(state, topic), context.RequestAborted)));
        return app;
    }
}
