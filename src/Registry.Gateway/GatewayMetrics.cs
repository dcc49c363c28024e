using System.Diagnostics.Metrics;

namespace Registry.Gateway;

/// <summary>The gateway's instruments (System.Diagnostics.Metrics, exported at /metrics in Prometheus format).</summary>
public static class GatewayMetrics
{
    public const string MeterName = "Registry.Gateway";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Records checked against a policy, by topic.</summary>
    public static readonly Counter<long> RecordsChecked = Meter.CreateCounter<long>("records_checked", description: "Records checked against a topic policy");

    /// <summary>Records rejected, by topic and reason.</summary>
    public static readonly Counter<long> RecordsRejected = Meter.CreateCounter<long>("records_rejected", description: "Records rejected, by topic and reason");

    /// <summary>Partition batches rejected, by topic.</summary>
    public static readonly Counter<long> BatchesRejected = Meter.CreateCounter<long>("batches_rejected", description: "Partition batches rejected with INVALID_RECORD");

    /// <summary>Invalid batches dropped from acks=0 requests (the producer is told nothing).</summary>
    public static readonly Counter<long> Acks0Dropped = Meter.CreateCounter<long>("acks0_batches_dropped", description: "Invalid batches dropped from acks=0 produce requests");

    /// <summary>Connections closed for protocol violations (bad frames, oversize claims, timeouts), by reason.</summary>
    public static readonly Counter<long> ConnectionsRefused = Meter.CreateCounter<long>("connections_closed_bad_input", description: "Client connections closed for bad input");

    /// <summary>Records rejected, by the producing client's id (bounded: see <see cref="Proxy.RefusalLog"/>).</summary>
    public static readonly Counter<long> RefusalsByClient = Meter.CreateCounter<long>("refusals_by_client", description: "Records rejected, by client id");

    /// <summary>TLS handshakes that failed, by side (client: a client of the gateway; upstream: a broker).</summary>
    public static readonly Counter<long> SaslAuthentications = Meter.CreateCounter<long>("sasl_authentications", description: "SASL authentications terminated at the gateway, by outcome (succeeded, failed)");

    public static readonly Counter<long> TlsFailures = Meter.CreateCounter<long>("tls_handshakes_failed", description: "TLS handshakes that failed, by side");

    /// <summary>Seconds the gateway spent checking one produce request (the latency it adds).</summary>
    public static readonly Histogram<double> CheckSeconds = Meter.CreateHistogram<double>("produce_check_seconds", "s", "Time spent checking a produce request");
}
