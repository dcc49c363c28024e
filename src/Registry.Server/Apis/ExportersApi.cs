using System.Collections.Immutable;
using Registry.Core;
using Registry.Core.Decisions;
using Registry.Core.Model;
using Registry.Server.Exporters;
using Registry.Server.Hosting;
using Registry.Server.Http;

namespace Registry.Server.Apis;

/// <summary>/exporters: Confluent's Schema Linking API (docs/dr.md); admins only.</summary>
public static class ExportersApi
{
    /// <summary>The body of POST /exporters and PUT /exporters/{name}; absent members keep their value on update.</summary>
    public sealed class ExporterRequest
    {
        public string? Name { get; set; }

        public string? ContextType { get; set; }

        public string? Context { get; set; }

        public List<string>? Subjects { get; set; }

        public string? SubjectRenameFormat { get; set; }

        public string? KekRenameFormat { get; set; }

        public Dictionary<string, string>? Config { get; set; }
    }

    public sealed record ExporterInfo(string Name, string ContextType, string? Context, ImmutableArray<string> Subjects, string? SubjectRenameFormat,
        string? KekRenameFormat, ImmutableSortedDictionary<string, string> Config);

    /// <summary>Confluent's status, and ours beside it: how far behind the destination is and which node runs the exporter.</summary>
    public sealed record ExporterStatus(string Name, string State, long Offset, long Ts, string Trace, long? LagEvents, double? LagSeconds, string? Node);

    private sealed record NameBody(string Name);

    public static IEndpointRouteBuilder MapExportersApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/exporters");
        group.MapGet("", (RegistryService registry) => RegistryJson.Ok(registry.State.Exporters.Keys));
        group.MapPost("", async (HttpContext context, RegistryService registry, ExporterSecrets secrets) =>
        {
            var body = await RequestBody.ReadAsync<ExporterRequest>(context);
            if (!registry.ReadsFromAnyPosition)
                throw new RegistryException(RegistryDecider.InvalidExporterConfig, "Exporters run on the embedded and Postgres stores; the Kafka store does not run them yet");
            var definition = new ExporterDefinition(body.Name ?? "", body.ContextType ?? ExporterDefinition.Auto, body.Context, [.. body.Subjects ?? []],
                body.SubjectRenameFormat, body.KekRenameFormat, secrets.Seal(body.Config, null), false);
            return Named(await registry.ExecuteAsync(s => registry.Decider.CreateExporter(s, definition), context.RequestAborted));
        });
        group.MapGet("/{name}", (RegistryService registry, string name) =>
        {
            var d = RegistryDecider.Exporter(registry.State, name).Definition;
            return RegistryJson.Ok(new ExporterInfo(d.Name, d.ContextType, d.Context, d.Subjects, d.SubjectRenameFormat, d.KekRenameFormat, ExporterSecrets.Mask(d.Config)));
        });
        group.MapPut("/{name}", async (HttpContext context, RegistryService registry, ExporterSecrets secrets, string name) =>
        {
            var body = await RequestBody.ReadAsync<ExporterRequest>(context);
            return Named(await registry.ExecuteAsync(s => registry.Decider.UpdateExporter(s, name, d => d with
            {
                ContextType = body.ContextType ?? d.ContextType,
                Context = body.Context ?? d.Context,
                Subjects = body.Subjects is null ? d.Subjects : [.. body.Subjects],
                SubjectRenameFormat = body.SubjectRenameFormat ?? d.SubjectRenameFormat,
                KekRenameFormat = body.KekRenameFormat ?? d.KekRenameFormat,
                Config = body.Config is null ? d.Config : secrets.Seal(body.Config, d.Config),
            }), context.RequestAborted));
        });
        group.MapDelete("/{name}", async (HttpContext context, RegistryService registry, string name) =>
        {
            await registry.ExecuteAsync(s => RegistryDecider.DeleteExporter(s, name), context.RequestAborted);
            return Results.NoContent();
        });
        group.MapGet("/{name}/status", (RegistryService registry, ExporterService exporters, string name) =>
        {
            var (definition, progress) = RegistryDecider.Exporter(registry.State, name);
            var run = exporters.RunOf(name);
            var leased = progress.Owner is not null && progress.LeaseUntil > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var state = definition.Paused ? "PAUSED" : run?.State ?? (leased ? "RUNNING" : "STARTING");
            if (run is not null)
            {
                var (events, seconds) = exporters.Lag(run);
                return RegistryJson.Ok(new ExporterStatus(name, state, Interlocked.Read(ref run.Position), progress.Timestamp, run.Trace, events, seconds, exporters.Node));
            }
            return RegistryJson.Ok(new ExporterStatus(name, state, progress.Position, progress.Timestamp, progress.Trace, null, null, leased ? progress.Owner : null));
        });
        group.MapGet("/{name}/config", (RegistryService registry, string name) =>
            RegistryJson.Ok(ExporterSecrets.Mask(RegistryDecider.Exporter(registry.State, name).Definition.Config)));
        group.MapPut("/{name}/config", async (HttpContext context, RegistryService registry, ExporterSecrets secrets, string name) =>
        {
            var config = await RequestBody.ReadAsync<Dictionary<string, string>>(context);
            return Named(await registry.ExecuteAsync(s => registry.Decider.UpdateExporter(s, name, d => d with { Config = secrets.Seal(config, d.Config) }), context.RequestAborted));
        });
        group.MapPut("/{name}/pause", async (HttpContext context, RegistryService registry, string name) =>
            Named(await registry.ExecuteAsync(s => RegistryDecider.PauseExporter(s, name), context.RequestAborted)));
        group.MapPut("/{name}/resume", async (HttpContext context, RegistryService registry, string name) =>
            Named(await registry.ExecuteAsync(s => RegistryDecider.ResumeExporter(s, name), context.RequestAborted)));
        group.MapPut("/{name}/reset", async (HttpContext context, RegistryService registry, string name) =>
            Named(await registry.ExecuteAsync(s => RegistryDecider.ResetExporter(s, name), context.RequestAborted)));
        return app;
    }

    private static IResult Named(string name) => RegistryJson.Ok(new NameBody(name));
}
