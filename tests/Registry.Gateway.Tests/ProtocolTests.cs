using Registry.Gateway.Protocol;

namespace Registry.Gateway.Tests;

/// <summary>
/// The codec in both encodings: classic (non-flexible) versions, which older and Java clients use, and
/// flexible ones (compact strings and arrays, tagged fields), which librdkafka uses in the end-to-end tests.
/// </summary>
public sealed class ProtocolTests
{
    private static readonly BrokerMap ToGateway = (node, _, _) => ("gw.local", 19_000 + node);

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(9)]
    [InlineData(12)]
    public void Metadata_responses_name_the_gateway_and_keep_everything_else(short version)
    {
        var flexible = version >= 9;
        byte[] Response(string host1, int port1, string host2, int port2)
        {
            var w = new KafkaWriter();
            w.Int32(42); // correlation id
            if (flexible) w.EmptyTaggedFields();
            if (version >= 3) w.Int32(0); // throttle
            w.ArrayCount(2, flexible);
            foreach (var (node, host, port) in new[] { (1, host1, port1), (2, host2, port2) })
            {
                w.Int32(node);
                w.String(host, flexible);
                w.Int32(port);
                if (version >= 1) w.String("rack-" + node, flexible);
                if (flexible) w.EmptyTaggedFields();
            }
            w.Raw([1, 2, 3, 4, 5, 6, 7]); // the rest (cluster id, topics...) is copied as it is
            return w.ToArray();
        }
        var rewritten = ResponseRewriter.Rewrite(Apis.Metadata, version, Response("broker-1", 9092, "broker-2", 9093), ToGateway);
        Assert.Equal(Response("gw.local", 19_001, "gw.local", 19_002), rewritten);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void FindCoordinator_responses_name_the_gateway(short version)
    {
        var flexible = version >= 3;
        byte[] Response(string host, int port)
        {
            var w = new KafkaWriter();
            w.Int32(7);
            if (flexible) w.EmptyTaggedFields();
            if (version >= 1) w.Int32(0);
            if (version <= 3)
            {
                w.Int16(0);
                if (version >= 1) w.String(null, flexible);
                w.Int32(3);
                w.String(host, flexible);
                w.Int32(port);
            }
            else
            {
                w.ArrayCount(1, flexible);
                w.String("group-a", flexible);
                w.Int32(3);
                w.String(host, flexible);
                w.Int32(port);
                w.Int16(0);
                w.String(null, flexible);
                w.EmptyTaggedFields();
            }
            if (flexible) w.EmptyTaggedFields();
            return w.ToArray();
        }
        Assert.Equal(Response("gw.local", 19_003), ResponseRewriter.Rewrite(Apis.FindCoordinator, version, Response("broker-3", 9094), ToGateway));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void ApiVersions_caps_what_the_gateway_cannot_parse(short version)
    {
        var flexible = version >= 3;
        var w = new KafkaWriter();
        w.Int32(1);
        w.Int16(0);
        var apis = new (short Key, short Min, short Max)[] { (Apis.Produce, 0, 11), (Apis.Fetch, 0, 17), (Apis.Metadata, 0, 12), (78, 0, 1), (19, 0, 7) };
        w.ArrayCount(apis.Length, flexible);
        foreach (var (key, min, max) in apis)
        {
            w.Int16(key);
            w.Int16(min);
            w.Int16(max);
            if (flexible) w.EmptyTaggedFields();
        }
        w.Int32(0);
        if (flexible) w.EmptyTaggedFields();

        var rewritten = ResponseRewriter.Rewrite(Apis.ApiVersions, version, w.ToArray(), ToGateway);
        var r = new KafkaReader(rewritten);
        r.Int32();
        Assert.Equal(0, r.Int16());
        var count = r.ArrayCount(flexible);
        var seen = new Dictionary<short, (short, short)>();
        for (var i = 0; i < count; i++)
        {
            seen[r.Int16()] = (r.Int16(), r.Int16());
            if (flexible) r.TaggedFields();
        }
        Assert.Equal((Apis.MinProduce, Apis.MaxProduce), seen[Apis.Produce]);
        Assert.Equal(((short)0, Apis.MaxFetch), seen[Apis.Fetch]);
        Assert.Equal(((short)0, (short)12), seen[Apis.Metadata]);
        Assert.Equal(((short)0, (short)7), seen[19]);
        Assert.False(seen.ContainsKey(78));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    public void Produce_requests_and_responses_round_trip(short version)
    {
        var batch = RecordBatches.Write([(null, [0, 0, 0, 0, 1, 2]), ([1], null)]);
        var request = new ProduceRequest { TransactionalId = version >= 3 ? "tx" : null, Acks = -1, TimeoutMs = 1500 };
        var topic = new ProduceTopic("orders");
        topic.Partitions.Add(new ProducePartition(0, batch));
        topic.Partitions.Add(new ProducePartition(4, null));
        request.Topics.Add(topic);
        var w = new KafkaWriter();
        request.Write(w, version);

        var back = ProduceRequest.Read(w.ToArray(), version);
        Assert.Equal(("tx", (short)-1, 1500), (back.TransactionalId, back.Acks, back.TimeoutMs));
        var partitions = Assert.Single(back.Topics).Partitions;
        Assert.Equal(batch, partitions[0].Records!.Value.ToArray());
        Assert.Null(partitions[1].Records);
        var records = RecordBatches.Read(partitions[0].Records!.Value, 1 << 20);
        Assert.Equal(2, records.Count);
        Assert.Null(records[0].Key);
        Assert.Null(records[1].Value);
        Assert.Equal(0xE3069283u, RecordBatches.Crc32C("123456789"u8)); // the CRC-32C check value

        var response = new ProduceResponse { ThrottleTimeMs = 5 };
        var answered = new ProduceTopicResponse("orders");
        var partition = new PartitionResponse { Index = 4, ErrorCode = 87, ErrorMessage = "bad" };
        partition.RecordErrors.Add((1, "record 1 is bad"));
        answered.Partitions.Add(partition);
        response.Topics.Add(answered);
        var rw = new KafkaWriter();
        response.Write(rw, version);
        var read = ProduceResponse.Read(rw.ToArray(), version);
        var p = Assert.Single(Assert.Single(read.Topics).Partitions);
        Assert.Equal((4, (short)87, 5), (p.Index, p.ErrorCode, read.ThrottleTimeMs));
        if (version >= 8)
        {
            Assert.Equal("bad", p.ErrorMessage);
            Assert.Equal((1, "record 1 is bad"), Assert.Single(p.RecordErrors));
        }
    }

    [Fact]
    public void Lengths_that_cannot_fit_are_refused_before_anything_is_allocated()
    {
        var w = new KafkaWriter();
        w.String(null, false);
        w.Int16(-1);
        w.Int32(1000);
        w.Int32(int.MaxValue); // two billion topics in a few bytes
        Assert.Throws<ProtocolException>(() => ProduceRequest.Read(w.ToArray(), 7));
        Assert.Throws<ProtocolException>(() => ProduceRequest.Read(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }, 9));
    }
}
