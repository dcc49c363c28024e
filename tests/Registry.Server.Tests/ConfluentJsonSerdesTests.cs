using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using Registry.Server.Tests.Infrastructure;

namespace Registry.Server.Tests;

/// <summary>The real Confluent JSON Schema serializer and deserializer against our server.</summary>
[Collection(ServerCollection.Name)]
public sealed class ConfluentJsonSerdesTests(RegistryServer server)
{
    public sealed class Shipment
    {
        public string Id { get; set; } = "";

        public int Parcels { get; set; }
    }

    [Fact]
    public async Task Json_serializer_round_trips_with_auto_register_on()
    {
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = server.Url });
        var serializer = new JsonSerializer<Shipment>(client, new JsonSerializerConfig { AutoRegisterSchemas = true });
        var context = new SerializationContext(MessageComponentType.Value, "shipments");
        var bytes = await serializer.SerializeAsync(new Shipment { Id = "s-1", Parcels = 3 }, context);
        Assert.Equal(0, bytes[0]);

        var back = await new JsonDeserializer<Shipment>(client).DeserializeAsync(bytes, isNull: false, context);
        Assert.Equal("s-1", back.Id);
        Assert.Equal(3, back.Parcels);
        var latest = await client.GetLatestSchemaAsync("shipments-value");
        Assert.Equal(SchemaType.Json, latest.SchemaType);
        Assert.Equal(System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(1, 4)), latest.Id);
    }

    [Fact]
    public async Task Json_serializer_with_auto_register_off_uses_a_registered_schema()
    {
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = server.Url });
        var auto = new JsonSerializer<Shipment>(client, new JsonSerializerConfig { AutoRegisterSchemas = true });
        await auto.SerializeAsync(new Shipment { Id = "a" }, new SerializationContext(MessageComponentType.Value, "shipments-manual"));

        using var fresh = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = server.Url });
        var manual = new JsonSerializer<Shipment>(fresh, new JsonSerializerConfig { AutoRegisterSchemas = false, UseLatestVersion = true });
        var bytes = await manual.SerializeAsync(new Shipment { Id = "b", Parcels = 1 }, new SerializationContext(MessageComponentType.Value, "shipments-manual"));
        var back = await new JsonDeserializer<Shipment>(fresh).DeserializeAsync(bytes, false, new SerializationContext(MessageComponentType.Value, "shipments-manual"));
        Assert.Equal("b", back.Id);
    }

    [Fact]
    public async Task Json_serdes_work_against_a_context_url()
    {
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = server.Url + "/contexts/.json-tenant" });
        var context = new SerializationContext(MessageComponentType.Value, "scoped-shipments");
        var bytes = await new JsonSerializer<Shipment>(client, new JsonSerializerConfig { AutoRegisterSchemas = true })
            .SerializeAsync(new Shipment { Id = "c-1", Parcels = 2 }, context);
        var back = await new JsonDeserializer<Shipment>(client).DeserializeAsync(bytes, isNull: false, context);
        Assert.Equal("c-1", back.Id);
        Assert.Equal(2, back.Parcels);
        Assert.Contains(":.json-tenant:scoped-shipments-value", (await server.GetAsync("/subjects")).Body);
        Assert.Equal(SchemaType.Json, (await client.GetLatestSchemaAsync("scoped-shipments-value")).SchemaType);
    }
}
