namespace Registry.Gateway.Protocol;

/// <summary>Maps an upstream broker (node id, host, port) to the gateway endpoint clients must use instead.</summary>
public delegate (string Host, int Port) BrokerMap(int nodeId, string host, int port);

/// <summary>
/// Rewrites the responses that name brokers (Metadata, FindCoordinator, DescribeCluster) so clients reconnect
/// through the gateway, and ApiVersions so clients never use versions the gateway cannot parse. Only the part
/// that changes is re-encoded; the rest of the response is copied as it came.
/// </summary>
public static class ResponseRewriter
{
    /// <summary>The rewritten response frame body (correlation id onward), or the input when nothing needs to change.</summary>
    /// <param name="served">APIs the gateway answers itself: in ApiVersions, their versions replace the broker's.</param>
    public static byte[] Rewrite(short apiKey, short version, byte[] response, BrokerMap map, IReadOnlyList<(short Key, short Min, short Max)>? served = null) => apiKey switch
    {
        Apis.Metadata => Metadata(version, response, map),
        Apis.FindCoordinator => FindCoordinator(version, response, map),
        Apis.DescribeCluster => DescribeCluster(version, response, map),
        Apis.ApiVersions => ApiVersions(version, response, served ?? []),
        _ => response,
    };

    private static (KafkaWriter Writer, int BodyStart) Header(byte[] response, bool flexibleHeader)
    {
        var reader = new KafkaReader(response);
        reader.Int32();
        if (flexibleHeader) reader.TaggedFields();
        var writer = new KafkaWriter(response.Length + 64);
        writer.Raw(response.AsSpan(0, reader.Position));
        return (writer, reader.Position);
    }

    private static byte[] Metadata(short version, byte[] response, BrokerMap map)
    {
        var flexible = Apis.IsFlexible(Apis.Metadata, version);
        var (writer, start) = Header(response, flexible);
        var reader = new KafkaReader(response.AsSpan(start));
        if (version >= 3) writer.Int32(reader.Int32());
        var brokers = reader.ArrayCount(flexible, 10);
        writer.ArrayCount(brokers, flexible);
        for (var i = 0; i < brokers; i++)
        {
            var node = reader.Int32();
            var (host, port) = map(node, reader.String(flexible) ?? "", reader.Int32());
            writer.Int32(node);
            writer.String(host, flexible);
            writer.Int32(port);
            if (version >= 1) writer.String(reader.String(flexible), flexible);
            if (flexible) writer.Raw(reader.TaggedFields());
        }
        writer.Raw(reader.Rest);
        return writer.ToArray();
    }

    private static byte[] FindCoordinator(short version, byte[] response, BrokerMap map)
    {
        var flexible = Apis.IsFlexible(Apis.FindCoordinator, version);
        var (writer, start) = Header(response, flexible);
        var reader = new KafkaReader(response.AsSpan(start));
        if (version >= 1) writer.Int32(reader.Int32());
        if (version <= 3)
        {
            writer.Int16(reader.Int16());
            if (version >= 1) writer.String(reader.String(flexible), flexible);
            WriteNode(ref reader, writer, flexible, map);
        }
        else
        {
            var count = reader.ArrayCount(flexible, 12);
            writer.ArrayCount(count, flexible);
            for (var i = 0; i < count; i++)
            {
                writer.String(reader.String(flexible), flexible);
                WriteNode(ref reader, writer, flexible, map);
                writer.Int16(reader.Int16());
                writer.String(reader.String(flexible), flexible);
                writer.Raw(reader.TaggedFields());
            }
        }
        writer.Raw(reader.Rest);
        return writer.ToArray();
    }

    private static void WriteNode(ref KafkaReader reader, KafkaWriter writer, bool flexible, BrokerMap map)
    {
        var node = reader.Int32();
        var host = reader.String(flexible) ?? "";
        var port = reader.Int32();
        if (node >= 0) (host, port) = map(node, host, port);
        writer.Int32(node);
        writer.String(host, flexible);
        writer.Int32(port);
    }

    private static byte[] DescribeCluster(short version, byte[] response, BrokerMap map)
    {
        var (writer, start) = Header(response, flexibleHeader: true);
        var reader = new KafkaReader(response.AsSpan(start));
        writer.Int32(reader.Int32());
        writer.Int16(reader.Int16());
        writer.String(reader.String(true), true);
        if (version >= 1) writer.Int8(reader.Int8());
        writer.String(reader.String(true), true);
        writer.Int32(reader.Int32());
        var brokers = reader.ArrayCount(true, 10);
        writer.ArrayCount(brokers, true);
        for (var i = 0; i < brokers; i++)
        {
            var node = reader.Int32();
            var (host, port) = map(node, reader.String(true) ?? "", reader.Int32());
            writer.Int32(node);
            writer.String(host, true);
            writer.Int32(port);
            writer.String(reader.String(true), true);
            writer.Raw(reader.TaggedFields());
        }
        writer.Raw(reader.Rest);
        return writer.ToArray();
    }

    private static byte[] ApiVersions(short version, byte[] response, IReadOnlyList<(short Key, short Min, short Max)> served)
    {
        // The ApiVersions response header is never flexible, so clients can read it before they know versions.
        var (writer, start) = Header(response, flexibleHeader: false);
        var reader = new KafkaReader(response.AsSpan(start));
        var error = reader.Int16();
        if (error != 0) return response;
        var flexible = Apis.IsFlexible(Apis.ApiVersions, version);
        writer.Int16(error);
        var count = reader.ArrayCount(flexible, 6);
        var kept = new List<(short Key, short Min, short Max, byte[] Tags)>(count);
        for (var i = 0; i < count; i++)
        {
            var key = reader.Int16();
            var min = reader.Int16();
            if (key == Apis.Produce) min = Math.Max(min, Apis.MinProduce);
            var max = reader.Int16();
            var tags = flexible ? reader.TaggedFields().ToArray() : [];
            if (served.Any(s => s.Key == key)) continue;
            if (Apis.Cap(key, max) is { } capped && capped >= min) kept.Add((key, min, capped, tags));
        }
        foreach (var (key, min, max) in served) kept.Add((key, min, max, flexible ? [0] : []));
        writer.ArrayCount(kept.Count, flexible);
        foreach (var (key, min, max, tags) in kept)
        {
            writer.Int16(key);
            writer.Int16(min);
            writer.Int16(max);
            writer.Raw(tags);
        }
        writer.Raw(reader.Rest);
        return writer.ToArray();
    }
}
