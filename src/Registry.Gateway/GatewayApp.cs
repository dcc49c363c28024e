using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;
using Prometheus;
using Registry.Formats;
using Registry.Gateway.Proxy;
using Registry.Gateway.Validation;

namespace Registry.Gateway;

/// <summary>Builds the gateway: the Kafka listeners as a hosted service, and /metrics and /health over HTTP.</summary>
public static class GatewayApp
{
    private static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--upstream"] = "Gateway:Upstream",
        ["--registry"] = "Gateway:Registry",
        ["--port"] = "Gateway:BootstrapPort",
        ["--advertised-host"] = "Gateway:AdvertisedHost",
    };

    // One listener per process: the instruments are static, and a second adapter would export every count twice. prometheus-net
    // starts an unfiltered adapter of its own with its default metrics on the first scrape unless told not to.
    private static readonly Lazy<IDisposable> MeterListening = new(() =>
    {
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressMeters = true });
        return MeterAdapter.StartListening(new MeterAdapterOptions { InstrumentFilterPredicate = i => i.Meter.Name == GatewayMetrics.MeterName });
    });

    private static readonly System.Text.Json.JsonSerializerOptions RefusalJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    public static WebApplication Build(string[] args)
    {
        _ = MeterListening.Value;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        builder.Configuration.AddCommandLine(args, SwitchMappings);
        if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls("http://0.0.0.0:9464");
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateDataAnnotations()
            .Validate(o => Uri.TryCreate(o.Registry, UriKind.Absolute, out _), "Gateway:Registry must be an absolute URL")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<GatewayOptions>>().Value;
            var config = sp.GetRequiredService<IConfiguration>();
            var http = new HttpClient { BaseAddress = new Uri(o.Registry.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(10) };
            if (config["Gateway:RegistryUser"] is { Length: > 0 } user)
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{config["Gateway:RegistryPassword"]}")));
            var registry = new RegistryClient(http, TimeSpan.FromMilliseconds(o.RecheckMs));
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Registry.Gateway");
            var formats = FormatCatalog.Create(new FormatLimits { MaxNestingDepth = o.MaxNestingDepth });
            var policies = new PolicyStore(registry, TimeSpan.FromMilliseconds(o.PolicyRefreshMs), logger);
            return new GatewayContext(o, policies, new RecordValidator(registry, formats, o.MaxNestingDepth), registry, logger);
        });
        builder.Services.AddSingleton<GatewayService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<GatewayService>());
        var app = builder.Build();
        app.MapGet("/health/live", () => "live");
        app.MapGet("/health/ready", (GatewayService gateway) => gateway.Ready ? Results.Text("ready") : Results.Text("not ready", statusCode: 503));
        app.MapGet("/v1/gateway/refusals", (GatewayContext gateway, string? topic) => Results.Json(gateway.Refusals.Recent(topic), RefusalJson));
        app.MapMetrics();
        return app;
    }
}

/// <summary>Runs the listeners and the policy refresher for the life of the host.</summary>
internal sealed class GatewayService(GatewayContext context) : BackgroundService
{
    private GatewayServer? _server;

    public bool Ready => _server is not null && context.Policies.Loaded;

    /// <summary>The bootstrap port (useful when configured as 0).</summary>
    public int BootstrapPort => _server?.BootstrapPort ?? 0;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _server = new GatewayServer(context);
        _server.Start();
        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => context.Options.UsageReportMs <= 0
        ? context.Policies.RunAsync(stoppingToken)
        : Task.WhenAll(context.Policies.RunAsync(stoppingToken),
            context.Usage.RunAsync(context.Registry, TimeSpan.FromMilliseconds(context.Options.UsageReportMs), context.Logger, stoppingToken));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_server is not null) await _server.DisposeAsync();
    }
}
