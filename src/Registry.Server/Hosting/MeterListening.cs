using Prometheus;

namespace Registry.Server.Hosting;

/// <summary>Starts prometheus-net's bridge from System.Diagnostics.Metrics once per process.</summary>
internal static class MeterListening
{
    private static readonly Lazy<IDisposable> Listener = new(() =>
    {
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressMeters = true });
        return MeterAdapter.StartListening();
    });

    public static void Start() => _ = Listener.Value;
}
