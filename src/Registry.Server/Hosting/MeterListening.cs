using Prometheus;

namespace Registry.Server.Hosting;

/// <summary>Starts prometheus-net's bridge from System.Diagnostics.Metrics once per process.</summary>
internal static class MeterListening
{
    private static readonly Lazy<IDisposable> Listener = new(() =>
    {
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressMeters = true });
        // Not the gateway's meter: a gateway hosted in the same process (tests) exports it itself.
        return MeterAdapter.StartListening(new MeterAdapterOptions { InstrumentFilterPredicate = i => i.Meter.Name != "Registry.Gateway" });
    });

    public static void Start() => _ = Listener.Value;
}
