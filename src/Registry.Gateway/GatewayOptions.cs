using System.ComponentModel.DataAnnotations;

namespace Registry.Gateway;

/// <summary>Settings under <c>Gateway:</c> (env <c>Gateway__Name</c>, switch <c>--Gateway:Name=value</c>); docs/gateway.md lists them.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>A bootstrap broker of the upstream Kafka cluster, host:port. Required.</summary>
    [Required]
    public string Upstream { get; set; } = "";

    /// <summary>The registry's base URL, e.g. http://registry:8081/. Required.</summary>
    [Required]
    public string Registry { get; set; } = "";

    /// <summary>Address the gateway listens on. Default 0.0.0.0.</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";

    /// <summary>Host name clients are told to connect to (in rewritten metadata). Default localhost.</summary>
    public string AdvertisedHost { get; set; } = "localhost";

    /// <summary>Port clients bootstrap from. Default 9092; 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int BootstrapPort { get; set; } = 9092;

    /// <summary>Broker N is served on BrokerPortBase + N; 0 picks free ports. Default 0.</summary>
    [Range(0, 65535)]
    public int BrokerPortBase { get; set; }

    /// <summary>Largest request frame accepted; a larger claim closes the connection. Default 100 MiB (Kafka's socket.request.max.bytes).</summary>
    [Range(64, int.MaxValue)]
    public int MaxFrameBytes { get; set; } = 100 << 20;

    /// <summary>Most bytes a partition's records may decompress to. Default 64 MiB.</summary>
    [Range(1, long.MaxValue)]
    public long MaxDecompressedBytes { get; set; } = 64L << 20;

    /// <summary>A frame that has started must arrive completely within this time (slow clients are closed). Default 30000 ms.</summary>
    [Range(1, int.MaxValue)]
    public int FrameTimeoutMs { get; set; } = 30_000;

    /// <summary>How often the records let through are reported to the registry as produce usage; 0 turns reports off. Default 10000 ms.</summary>
    [Range(0, int.MaxValue)]
    public int UsageReportMs { get; set; } = 10_000;

    /// <summary>Distinct (topic, schema id, client id) counted between two usage reports. Default 10000.</summary>
    [Range(1, int.MaxValue)]
    public int MaxUsageKeys { get; set; } = 10_000;

    /// <summary>How often policies are re-read from the registry. Default 5000 ms.</summary>
    [Range(10, int.MaxValue)]
    public int PolicyRefreshMs { get; set; } = 5_000;

    /// <summary>How long an unknown id stays unknown, and an id found missing from a subject stays so, before the registry is asked again. Default 1000 ms.</summary>
    [Range(0, int.MaxValue)]
    public int RecheckMs { get; set; } = 1_000;

    /// <summary>Most per-record errors returned for one partition. Default 100.</summary>
    [Range(1, int.MaxValue)]
    public int MaxRecordErrors { get; set; } = 100;

    /// <summary>Most requests in flight per client connection. Default 1000.</summary>
    [Range(1, int.MaxValue)]
    public int MaxInFlight { get; set; } = 1000;

    /// <summary>Deepest JSON nesting in payloads checked against JSON Schemas. Default 64.</summary>
    [Range(1, 10_000)]
    public int MaxNestingDepth { get; set; } = 64;

    /// <summary>Refusals kept per topic for GET /v1/gateway/refusals. Default 100.</summary>
    [Range(0, 100_000)]
    public int RefusalsPerTopic { get; set; } = 100;

    /// <summary>Most topics whose refusals are kept. Default 1000.</summary>
    [Range(0, 1_000_000)]
    public int MaxRefusalTopics { get; set; } = 1000;

    /// <summary>Most distinct client ids labelled in registry_gateway_refusals_by_client; the rest count as "_other". Default 100.</summary>
    [Range(0, 100_000)]
    public int MaxClientIdLabels { get; set; } = 100;

    /// <summary>TLS on the client listeners (bootstrap and broker ports); plain TCP when no certificate is set.</summary>
    public ListenerTlsOptions Tls { get; set; } = new();

    /// <summary>TLS to the upstream brokers; plain TCP unless enabled.</summary>
    public UpstreamTlsOptions UpstreamTls { get; set; } = new();

    /// <summary>SASL terminated at the gateway; unset, SASL passes through to the brokers.</summary>
    public Proxy.SaslOptions Sasl { get; set; } = new();

    /// <summary>A TLS handshake (client or upstream) must complete within this time. Default 10000 ms.</summary>
    [Range(1, int.MaxValue)]
    public int TlsHandshakeTimeoutMs { get; set; } = 10_000;
}

/// <summary><c>Gateway:Tls</c>: the certificate clients see, and optionally the CA their certificates must chain to (mTLS). Files are PEM and re-read when they change.</summary>
public sealed class ListenerTlsOptions
{
    /// <summary>The gateway's certificate (PEM). Setting it turns TLS on for every client listener.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>Its private key (PEM), unless the certificate file holds it.</summary>
    public string? KeyFile { get; set; }

    /// <summary>CA bundle (PEM) client certificates must chain to; setting it requires a client certificate (mTLS).</summary>
    public string? ClientCaFile { get; set; }
}

/// <summary><c>Gateway:UpstreamTls</c>: how the gateway reaches TLS-only brokers. Files are PEM and re-read when they change.</summary>
public sealed class UpstreamTlsOptions
{
    /// <summary>Connect to the brokers (and the bootstrap) with TLS. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>CA bundle the brokers' certificates must chain to; without it the system's trust store decides.</summary>
    public string? CaFile { get; set; }

    /// <summary>A client certificate for brokers that require mTLS.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>Its private key, unless the certificate file holds it.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Check that a broker's certificate names the host the gateway connects to. Default true.</summary>
    public bool VerifyHostname { get; set; } = true;
}
