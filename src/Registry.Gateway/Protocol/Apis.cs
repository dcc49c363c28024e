namespace Registry.Gateway.Protocol;

/// <summary>The Kafka APIs the gateway reads or rewrites, their flexible-version thresholds and the versions it caps.</summary>
public static class Apis
{
    public const short Produce = 0;
    public const short Fetch = 1;
    public const short Metadata = 3;
    public const short FindCoordinator = 10;
    public const short SaslHandshake = 17;
    public const short SaslAuthenticate = 36;
    public const short ApiVersions = 18;
    public const short DescribeCluster = 60;

    /// <summary>Produce versions the gateway parses: v3 (record batches, magic 2) to v9 (flexible, record errors).</summary>
    public const short MinProduce = 3;

    /// <summary>v10+ responses carry broker endpoints in tagged fields (KIP-951) that would bypass the gateway.</summary>
    public const short MaxProduce = 9;

    /// <summary>Fetch v16+ responses carry broker endpoints too.</summary>
    public const short MaxFetch = 15;

    /// <summary>Whether a request of this API and version uses flexible encoding (header v2, response header v1).</summary>
    public static bool IsFlexible(short apiKey, short version) => apiKey switch
    {
        Produce => version >= 9,
        Metadata => version >= 9,
        FindCoordinator => version >= 3,
        ApiVersions => version >= 3,
        DescribeCluster => true,
        SaslHandshake => false,
        SaslAuthenticate => version >= 2,
        _ => throw new ArgumentOutOfRangeException(nameof(apiKey), apiKey, "not an API the gateway parses"),
    };

    /// <summary>The highest version of an API the gateway lets clients use, or null to drop the API from ApiVersions.</summary>
    public static short? Cap(short apiKey, short brokerMax) => apiKey switch
    {
        Produce => Math.Min(brokerMax, MaxProduce),
        Fetch => Math.Min(brokerMax, MaxFetch),
        Metadata => Math.Min(brokerMax, (short)12),
        FindCoordinator => Math.Min(brokerMax, (short)6),
        DescribeCluster => Math.Min(brokerMax, (short)1),
        // Share-group fetches name leaders by endpoint; not proxied yet.
        78 or 79 => null,
        _ => brokerMax,
    };
}

/// <summary>A request header: the first fields of every request frame.</summary>
public readonly record struct RequestHeader(short ApiKey, short ApiVersion, int CorrelationId, string? ClientId, int Length)
{
    /// <summary>Reads the header; for APIs the gateway parses, <see cref="Length"/> is where the body starts.</summary>
    public static RequestHeader Read(ReadOnlySpan<byte> frame)
    {
        var reader = new KafkaReader(frame);
        var apiKey = reader.Int16();
        var version = reader.Int16();
        var correlationId = reader.Int32();
        var clientId = reader.String(flexible: false);
        var parsed = apiKey is Apis.Produce or Apis.Metadata or Apis.FindCoordinator or Apis.ApiVersions or Apis.DescribeCluster or Apis.SaslHandshake or Apis.SaslAuthenticate;
        if (parsed && Apis.IsFlexible(apiKey, version)) reader.TaggedFields();
        return new RequestHeader(apiKey, version, correlationId, clientId, reader.Position);
    }
}
