using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Registry.Storage;

namespace Registry.Server.Hosting;

/// <summary>
/// OpenTelemetry tracing, off unless <c>Registry:Tracing:Enabled</c>: a span per HTTP request (W3C trace
/// context from callers is continued) and per store append, exported over OTLP to
/// <c>Registry:Tracing:OtlpEndpoint</c> (or the standard OTEL_EXPORTER_OTLP_* variables).
/// </summary>
public static class Tracing
{
    public static void Add(WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        if (!config.GetValue<bool>("Registry:Tracing:Enabled")) return;
        var endpoint = config["Registry:Tracing:OtlpEndpoint"];
        var protocol = config["Registry:Tracing:OtlpProtocol"] ?? "grpc";
        if (protocol is not ("grpc" or "http/protobuf"))
            throw new InvalidOperationException("Registry:Tracing:OtlpProtocol must be \"grpc\" or \"http/protobuf\"");
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(config["Registry:Tracing:ServiceName"] ?? "registry"))
            .WithTracing(tracing => tracing
                .AddSource(StorageMetrics.MeterName)
                .AddAspNetCoreInstrumentation(o => o.Filter = context =>
                    !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments("/metrics"))
                .AddOtlpExporter(o =>
                {
                    if (!string.IsNullOrEmpty(endpoint)) o.Endpoint = new Uri(endpoint);
                    o.Protocol = protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                    o.BatchExportProcessorOptions.ScheduledDelayMilliseconds = config.GetValue<int?>("Registry:Tracing:ExportDelayMs") ?? 5000;
                }));
    }
}
