using Avro;
using Avro.Generic;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using Xunit.Abstractions;

namespace Registry.Gateway.Tests;

/// <summary>Produce through the gateway with the real producer and serializers; valid records arrive, violations are refused with a reason.</summary>
[Trait("Category", "Slow")]
[Trait("Category", "Kafka")]
public sealed class GatewayTests(GatewayFixture fx, ITestOutputHelper output) : IClassFixture<GatewayFixture>
{
    private const string OrderSchema = """
        {"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"amount","type":"long"}]}
        """;

    private static readonly RecordSchema Order = (RecordSchema)Avro.Schema.Parse(OrderSchema);

    private static GenericRecord NewOrder(string id, long amount)
    {
        var record = new GenericRecord(Order);
        record.Add("id", id);
        record.Add("amount", amount);
        return record;
    }

    private async Task<byte[]> SerializeAsync(string topic, GenericRecord record, bool autoRegister = true)
    {
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = fx.RegistryUrl });
        var serializer = new AvroSerializer<GenericRecord>(client, new AvroSerializerConfig { AutoRegisterSchemas = autoRegister });
        return await serializer.SerializeAsync(record, new SerializationContext(MessageComponentType.Value, topic));
    }

    private static async Task<Error?> ProduceAsync(IProducer<byte[]?, byte[]?> producer, string topic, byte[]? value, int? partition = null)
    {
        try
        {
            var message = new Message<byte[]?, byte[]?> { Value = value };
            if (partition is { } p) await producer.ProduceAsync(new TopicPartition(topic, p), message);
            else await producer.ProduceAsync(topic, message);
            return null;
        }
        catch (ProduceException<byte[]?, byte[]?> e)
        {
            return e.Error;
        }
    }

    [Fact]
    public async Task Valid_records_pass_byte_identical_and_each_violation_is_refused_with_its_reason()
    {
        const string topic = "orders";
        fx.Kafka.CreateTopic(topic, partitions: 3);
        var valid = await SerializeAsync(topic, NewOrder("o-1", 10));
        await fx.SetPolicyAsync(topic, new { value = new { check = "payload" } });
        var payment = new GenericRecord((RecordSchema)Avro.Schema.Parse("""{"type":"record","name":"Payment","fields":[{"name":"id","type":"string"}]}"""));
        payment.Add("id", "p-1");
        var other = await SerializeAsync("payments", payment);

        using var producer = fx.Producer();
        Assert.Null(await ProduceAsync(producer, topic, valid));
        var noMagic = await ProduceAsync(producer, topic, "plain text"u8.ToArray());
        var unknownId = await ProduceAsync(producer, topic, [0, 0, 0, 0x7F, 0x7F, 2, 3]);
        var wrongSubject = await ProduceAsync(producer, topic, other);
        var garbage = valid.Take(5).Concat(new byte[] { 0xFF, 0xFF, 0xFF }).ToArray();
        var badPayload = await ProduceAsync(producer, topic, garbage);
        foreach (var (name, error) in new[] { ("no magic", noMagic), ("unknown id", unknownId), ("wrong subject", wrongSubject), ("bad payload", badPayload) })
        {
            output.WriteLine($"{name}: {error?.Code} {error?.Reason}");
            Assert.NotNull(error);
            Assert.Equal(ErrorCode.InvalidRecord, error!.Code);
        }
        lock (fx.ProducerLogs) foreach (var line in fx.ProducerLogs) output.WriteLine("log: " + line);
        var read = fx.ReadAll(topic, 1);
        Assert.Single(read);
        Assert.Equal(valid, read[0].Message.Value);
    }
}
