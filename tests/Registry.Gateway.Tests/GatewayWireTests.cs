using System.Buffers.Binary;
using System.Net.Http.Json;
using Registry.Gateway.Protocol;

namespace Registry.Gateway.Tests;

/// <summary>
/// The gateway's answers on the wire (error_message, record_errors) and its behaviour on bad input: it never
/// crashes, never forwards what it could not check, closes connections that break framing, and keeps serving.
/// </summary>
[Trait("Category", "Slow")]
[Trait("Category", "Kafka")]
public sealed class GatewayWireTests(GatewayFixture fx) : IClassFixture<GatewayFixture>
{
    private const string Topic = "wire";

    private async Task<int> PrepareAsync()
    {
        fx.Kafka.CreateTopic(Topic, partitions: 1);
        using var response = await fx.Http.PostAsJsonAsync($"/subjects/{Topic}-value/versions", new { schema = "\"string\"" });
        var id = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetInt32();
        await fx.SetPolicyAsync(Topic, new { value = new { check = "payload" } });
        return id;
    }

    private static byte[] Framed(int id, byte[] avro)
    {
        var bytes = new byte[5 + avro.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1), id);
        avro.CopyTo(bytes, 5);
        return bytes;
    }

    [Fact]
    public async Task Each_bad_record_is_named_with_its_index_and_reason()
    {
        var id = await PrepareAsync();
        using var raw = new RawKafka(fx.GatewayBootstrap);
        var response = raw.Produce((Topic, 0, RawKafka.Batch(
            Framed(id, [4, (byte)'o', (byte)'k']),
            "no header"u8.ToArray(),
            Framed(999_999, [0]),
            Framed(id, [0x7F]),
            null)));
        var partition = Assert.Single(Assert.Single(response.Topics).Partitions);
        Assert.Equal(87, partition.ErrorCode);
        Assert.Contains("3 of 5 records break the contract of topic 'wire'", partition.ErrorMessage);
        Assert.Collection(partition.RecordErrors,
            e => Assert.True(e.Index == 1 && e.Message!.Contains("not in Confluent wire format", StringComparison.Ordinal), e.Message),
            e => Assert.True(e.Index == 2 && e.Message!.Contains("schema id 999999, which is not registered", StringComparison.Ordinal), e.Message),
            e => Assert.True(e.Index == 3 && e.Message!.Contains($"does not match schema id {id}", StringComparison.Ordinal), e.Message));
    }

    [Fact]
    public async Task Records_naming_one_unknown_id_cost_the_registry_one_lookup_not_one_per_record()
    {
        await PrepareAsync();
        async Task<double> LookupsOfUnknownIds()
        {
            var text = await fx.Http.GetStringAsync("/metrics");
            return text.Split('\n').Where(l => l.StartsWith("http_request_duration_seconds_count{code=\"404\",method=\"GET\"", StringComparison.Ordinal) && l.Contains("/schemas/ids/{id}\"", StringComparison.Ordinal))
                .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        }
        var before = await LookupsOfUnknownIds();
        using var raw = new RawKafka(fx.GatewayBootstrap);
        var response = raw.Produce((Topic, 0, RawKafka.Batch(Enumerable.Range(0, 50).Select(_ => (byte[]?)Framed(777_777, [0])).ToArray())));
        var partition = Assert.Single(Assert.Single(response.Topics).Partitions);
        Assert.Equal(50, partition.RecordErrors.Count);
        Assert.Equal(1, await LookupsOfUnknownIds() - before);
    }

    [Fact]
    public async Task A_malformed_batch_is_refused_and_never_forwarded()
    {
        var id = await PrepareAsync();
        var batch = RawKafka.Batch(Framed(id, [4, (byte)'o', (byte)'k']));
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(57), 2); // claims two records, holds one
        using var raw = new RawKafka(fx.GatewayBootstrap);
        var partition = Assert.Single(Assert.Single(raw.Produce((Topic, 0, batch)).Topics).Partitions);
        Assert.Equal(87, partition.ErrorCode);
        Assert.Contains("could not be read", partition.ErrorMessage);
        Assert.Empty(fx.ReadAll(Topic, 0));
    }

    [Theory]
    [InlineData("absurd length", new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0 })]
    [InlineData("negative length", new byte[] { 0xFF, 0xFF, 0xFF, 0xF0, 0, 0, 0, 0 })]
    [InlineData("too short for a header", new byte[] { 0, 0, 0, 2, 0, 0 })]
    [InlineData("garbage after a produce header", new byte[] { 0, 0, 0, 16, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF })]
    public async Task Frames_that_break_the_protocol_close_the_connection_and_the_gateway_keeps_serving(string what, byte[] bytes)
    {
        await PrepareAsync();
        using (var raw = new RawKafka(fx.GatewayBootstrap))
        {
            raw.Stream.Write(bytes);
            Assert.True(raw.ClosedWithin(TimeSpan.FromSeconds(10)), what);
        }
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_truncated_frame_and_a_slow_loris_are_closed_and_others_are_served()
    {
        await PrepareAsync();
        using (var truncated = new RawKafka(fx.GatewayBootstrap))
        {
            truncated.Stream.Write([0, 0, 1, 0, 0, 0, 0, 9, 0, 0, 0, 1]);
        }
        using var slow = new RawKafka(fx.GatewayBootstrap);
        slow.Stream.Write([0, 0]); // half a frame size, then nothing
        await AssertStillServingAsync();
        // FrameTimeoutMs is 2000 in the fixture.
        Assert.True(slow.ClosedWithin(TimeSpan.FromSeconds(10)));
        await AssertStillServingAsync();
    }

    private async Task AssertStillServingAsync()
    {
        using var producer = fx.Producer();
        var delivered = await producer.ProduceAsync("unchecked", new Confluent.Kafka.Message<byte[]?, byte[]?> { Value = "still serving"u8.ToArray() });
        Assert.Equal(Confluent.Kafka.PersistenceStatus.Persisted, delivered.Status);
    }
}
