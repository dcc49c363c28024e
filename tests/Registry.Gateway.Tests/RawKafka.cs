using System.Net.Sockets;
using Registry.Gateway.Protocol;
using Registry.Gateway.Proxy;

namespace Registry.Gateway.Tests;

/// <summary>
/// A minimal Kafka client over a raw socket, for what the real producer does not show (the response's
/// error_message and record_errors) and for sending bytes no real client would.
/// </summary>
public sealed class RawKafka : IDisposable
{
    private readonly TcpClient _tcp = new();
    private int _correlation;

    public RawKafka(string bootstrap)
    {
        var (host, port) = GatewayServer.ParseHostPort(bootstrap);
        _tcp.Connect(host, port);
        Stream = _tcp.GetStream();
    }

    public NetworkStream Stream { get; }

    public void Dispose() => _tcp.Dispose();

    /// <summary>A request frame's header (v1, or v2 with its empty tagged fields when <paramref name="flexible"/>), ready for the body.</summary>
    public static KafkaWriter Request(short api, short version, int correlation, string clientId, bool flexible)
    {
        var frame = new KafkaWriter();
        frame.Int16(api);
        frame.Int16(version);
        frame.Int32(correlation);
        frame.String(clientId, flexible: false);
        if (flexible) frame.EmptyTaggedFields();
        return frame;
    }

    /// <summary>Sends ApiVersions v0 and reads the versions offered: (api key, min, max).</summary>
    public List<(short Key, short Min, short Max)> ApiVersions()
    {
        var correlation = ++_correlation;
        FrameIO.WriteAsync(Stream, Request(Apis.ApiVersions, 0, correlation, "raw-test", flexible: false).ToArray(), CancellationToken.None).GetAwaiter().GetResult();
        using var response = FrameIO.ReadAsync(Stream, int.MaxValue, TimeSpan.FromSeconds(30), CancellationToken.None).GetAwaiter().GetResult()
            ?? throw new IOException("the gateway closed the connection");
        var reader = new KafkaReader(response.Body.Span);
        Assert.Equal(correlation, reader.Int32());
        Assert.Equal(0, reader.Int16());
        var count = reader.ArrayCount(flexible: false);
        var versions = new List<(short, short, short)>();
        for (var i = 0; i < count; i++) versions.Add((reader.Int16(), reader.Int16(), reader.Int16()));
        return versions;
    }

    /// <summary>A magic-2 record batch holding these values with null keys.</summary>
    public static byte[] Batch(params byte[]?[] values) => RecordBatches.Write(values.Select(v => ((byte[]?)null, v)).ToList());

    /// <summary>Sends a Produce v9 request and reads its response.</summary>
    public ProduceResponse Produce(params (string Topic, int Partition, byte[] Records)[] data)
    {
        var request = new ProduceRequest { Acks = -1, TimeoutMs = 5000 };
        foreach (var group in data.GroupBy(d => d.Topic))
        {
            var topic = new ProduceTopic(group.Key);
            foreach (var (_, partition, records) in group) topic.Partitions.Add(new ProducePartition(partition, records));
            request.Topics.Add(topic);
        }
        var correlation = ++_correlation;
        var frame = Request(Apis.Produce, 9, correlation, "raw-test", flexible: true);
        request.Write(frame, 9);
        FrameIO.WriteAsync(Stream, frame.ToArray(), CancellationToken.None).GetAwaiter().GetResult();
        var response = FrameIO.ReadAsync(Stream, int.MaxValue, TimeSpan.FromSeconds(30), CancellationToken.None).GetAwaiter().GetResult()?.ToArray()
            ?? throw new IOException("the gateway closed the connection");
        var reader = new KafkaReader(response);
        Assert.Equal(correlation, reader.Int32());
        reader.TaggedFields();
        return ProduceResponse.Read(response.AsSpan(reader.Position), 9);
    }

    /// <summary>Whether the server closed the connection within <paramref name="within"/>.</summary>
    public bool ClosedWithin(TimeSpan within)
    {
        Stream.ReadTimeout = (int)within.TotalMilliseconds;
        try
        {
            var buffer = new byte[1024];
            while (true)
            {
                if (Stream.Read(buffer) == 0) return true;
            }
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }
}
