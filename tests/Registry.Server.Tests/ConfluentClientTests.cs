using Avro;
using Avro.Generic;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using Registry.Server.Tests.Infrastructure;

namespace Registry.Server.Tests;

/// <summary>The real Confluent .NET client and Avro serdes against our server on a real port.</summary>
[Collection(ServerCollection.Name)]
public sealed class ConfluentClientTests(RegistryServer server)
{
    private CachedSchemaRegistryClient Client() => new(new SchemaRegistryConfig { Url = server.Url });

    [Fact]
    public async Task Register_fetch_by_id_and_lookup_round_trip()
    {
        using var client = Client();
        var id = await client.RegisterSchemaAsync("client-basic-value", new Confluent.SchemaRegistry.Schema(Schemas.V1, SchemaType.Avro));
        Assert.True(id > 0);
        var again = await client.RegisterSchemaAsync("client-basic-value", new Confluent.SchemaRegistry.Schema(Schemas.V1, SchemaType.Avro));
        Assert.Equal(id, again);

        var byId = await client.GetSchemaAsync(id);
        Assert.Equal(SchemaType.Avro, byId.SchemaType);
        Assert.Contains("\"User\"", byId.SchemaString);

        var looked = await client.LookupSchemaAsync("client-basic-value", new Confluent.SchemaRegistry.Schema(Schemas.V1, SchemaType.Avro), ignoreDeletedSchemas: true, normalize: false);
        Assert.Equal(id, looked.Id);
        Assert.Equal(1, looked.Version);

        var latest = await client.GetLatestSchemaAsync("client-basic-value");
        Assert.Equal(id, latest.Id);
        Assert.Contains("client-basic-value", await client.GetAllSubjectsAsync());
        Assert.Equal([1], await client.GetSubjectVersionsAsync("client-basic-value"));
    }

    [Fact]
    public async Task Compatibility_config_and_delete_work_through_the_client()
    {
        using var client = Client();
        const string subject = "client-compat-value";
        await client.RegisterSchemaAsync(subject, new Confluent.SchemaRegistry.Schema(Schemas.V1, SchemaType.Avro));
        Assert.True(await client.IsCompatibleAsync(subject, new Confluent.SchemaRegistry.Schema(Schemas.V2, SchemaType.Avro)));
        Assert.False(await client.IsCompatibleAsync(subject, new Confluent.SchemaRegistry.Schema(Schemas.Breaking, SchemaType.Avro)));

        var e = await Assert.ThrowsAsync<SchemaRegistryException>(() => client.RegisterSchemaAsync(subject, new Confluent.SchemaRegistry.Schema(Schemas.Breaking, SchemaType.Avro)));
        Assert.Equal(40901, e.ErrorCode);
        Assert.Contains("TYPE_MISMATCH", e.Message);

        Assert.Equal(Compatibility.None, await client.UpdateCompatibilityAsync(Compatibility.None, subject));
        Assert.Equal(Compatibility.None, await client.GetCompatibilityAsync(subject));
        var id = await client.RegisterSchemaAsync(subject, new Confluent.SchemaRegistry.Schema(Schemas.Breaking, SchemaType.Avro));
        Assert.True(id > 0);

        // The .NET client has no delete call; the REST API is used as other Confluent tools do.
        Assert.Equal("[1,2]", (await server.DeleteAsync($"/subjects/{subject}")).Body);
        using var fresh = Client();
        Assert.DoesNotContain(subject, await fresh.GetAllSubjectsAsync());
        Assert.Equal("[1,2]", (await server.DeleteAsync($"/subjects/{subject}?permanent=true")).Body);
    }

    [Fact]
    public async Task Mode_is_honoured_for_client_writes()
    {
        using var client = Client();
        const string subject = "client-mode-value";
        Assert.Equal(200, (await server.PutAsync($"/mode/{subject}", """{"mode":"READONLY"}""")).Status);
        var e = await Assert.ThrowsAsync<SchemaRegistryException>(() => client.RegisterSchemaAsync(subject, new Confluent.SchemaRegistry.Schema(Schemas.V1, SchemaType.Avro)));
        Assert.Equal(42205, e.ErrorCode);
        Assert.Equal(200, (await server.DeleteAsync($"/mode/{subject}")).Status);
        Assert.True(await client.RegisterSchemaAsync(subject, new Confluent.SchemaRegistry.Schema(Schemas.V1, SchemaType.Avro)) > 0);
    }

    [Fact]
    public async Task Avro_serializer_round_trips_with_auto_register_on()
    {
        using var client = Client();
        var schema = (RecordSchema)Avro.Schema.Parse(Schemas.Record("Payment", Schemas.Field("id", "string"), Schemas.Field("amount", "double")));
        var record = new GenericRecord(schema);
        record.Add("id", "p-1");
        record.Add("amount", 12.5);

        var serializer = new AvroSerializer<GenericRecord>(client, new AvroSerializerConfig { AutoRegisterSchemas = true });
        var context = new SerializationContext(MessageComponentType.Value, "payments-auto");
        var bytes = await serializer.SerializeAsync(record, context);
        Assert.Equal(0, bytes[0]);

        var deserializer = new AvroDeserializer<GenericRecord>(client);
        var back = await deserializer.DeserializeAsync(bytes, isNull: false, context);
        Assert.Equal("p-1", back["id"]);
        Assert.Equal(12.5, back["amount"]);
        Assert.Contains("payments-auto-value", await client.GetAllSubjectsAsync());
    }

    [Fact]
    public async Task Avro_serializer_with_auto_register_off_uses_the_registered_schema_and_fails_without_it()
    {
        using var client = Client();
        var text = Schemas.Record("Order", Schemas.Field("id", "string"));
        var schema = (RecordSchema)Avro.Schema.Parse(text);
        var record = new GenericRecord(schema);
        record.Add("id", "o-1");
        var config = new AvroSerializerConfig { AutoRegisterSchemas = false };

        var unregistered = new AvroSerializer<GenericRecord>(client, config);
        await Assert.ThrowsAnyAsync<Exception>(() => unregistered.SerializeAsync(record, new SerializationContext(MessageComponentType.Value, "orders-manual")));

        var id = await client.RegisterSchemaAsync("orders-manual-value", new Confluent.SchemaRegistry.Schema(text, SchemaType.Avro));
        using var fresh = Client();
        var serializer = new AvroSerializer<GenericRecord>(fresh, config);
        var bytes = await serializer.SerializeAsync(record, new SerializationContext(MessageComponentType.Value, "orders-manual"));
        Assert.Equal(id, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(1, 4)));
        var back = await new AvroDeserializer<GenericRecord>(fresh).DeserializeAsync(bytes, false, new SerializationContext(MessageComponentType.Value, "orders-manual"));
        Assert.Equal("o-1", back["id"]);
    }
}
