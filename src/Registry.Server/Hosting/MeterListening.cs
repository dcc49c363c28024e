using Prometheus;

namespace Registry.Server.Hosting;

/// <summary>Starts prometheus-net's bridge from System.Diagnostics.Metrics once per process.</summary>
internal static class MeterListening
{
    private static readonly Lazy<IDisposable> Listener = new(() =>
    {
        // Not prometheus-net's own meter bridge (started below, filtered) nor its EventCounter bridge: the runtime's
        // figures come from the System.Runtime meter, and ASP.NET Core's request counters cost every request.
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressMeters = true, SuppressEventCounters = true });
        // The registry's own meters and the runtime's (observed at scrape time only). Not the gateway's: a gateway hosted
        // in the same process (tests) exports it itself. Not ASP.NET Core's and Kestrel's: HTTP requests are already
        // counted by http_request_duration_seconds, and listening to them made every request record tagged measurements
        // that the adapter turns into labels, a third of the cost of a read (docs/performance.md).
        return MeterAdapter.StartListening(new MeterAdapterOptions
        {
            InstrumentFilterPredicate = i => i.Meter.Name == "System.Runtime" || (i.Meter.Name.StartsWith("Registry.", StringComparison.Ordinal) && i.Meter.Name != "Registry.Gateway"),
        });
    });

    public static void Start() => _ = Listener.Value;
}
