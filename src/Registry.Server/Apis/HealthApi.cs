using Registry.Server.Hosting;

namespace Registry.Server.Apis;

/// <summary>/health/live (the process answers) and /health/ready (the log is replayed).</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => Results.Text("live"));
        app.MapGet("/health/ready", (RegistryService registry) =>
            registry.IsReady ? Results.Text("ready") : Results.Text("not ready", statusCode: StatusCodes.Status503ServiceUnavailable));
        return app;
    }
}
