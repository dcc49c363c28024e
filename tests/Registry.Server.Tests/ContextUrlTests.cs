using Avro;
using Avro.Generic;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using Registry.Server.Tests.Infrastructure;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>Confluent's context-scoped URLs (<c>/contexts/{context}/…</c>), with the real .NET client pointed at one.</summary>
[Collection(ServerCollection.Name)]
public sealed class ContextUrlTests(RegistryServer server)
{
    [Fact]
    public async Task A_client_whose_url_ends_in_a_context_registers_and_reads_in_that_context()
    {
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = server.Url + "/contexts/.t1" });
        var schema = (RecordSchema)Avro.Schema.Parse(Schemas.Record("Scoped", Schemas.Field("id", "string")));
        var record = new GenericRecord(schema);
        record.Add("id", "s-1");
        var context = new SerializationContext(MessageComponentType.Value, "scoped");
        var bytes = await new AvroSerializer<GenericRecord>(client, new AvroSerializerConfig { AutoRegisterSchemas = true }).SerializeAsync(record, context);
        var back = await new AvroDeserializer<GenericRecord>(client).DeserializeAsync(bytes, isNull: false, context);
        Assert.Equal("s-1", back["id"]);

        // Registered as the qualified subject; listed as such in the context, and not in the default context.
        Assert.Contains(":.t1:scoped-value", (await server.GetAsync("/subjects")).Body);
        Assert.Equal("[\":.t1:scoped-value\"]", (await server.GetAsync("/contexts/.t1/subjects")).Body);
        Assert.Equal([1], await client.GetSubjectVersionsAsync("scoped-value"));
        Assert.Equal(1, (await server.GetAsync("/contexts/.t1/subjects/scoped-value/versions/1")).Json.GetProperty("version").GetInt32());
        Assert.Equal(":.t1:scoped-value", (await server.GetAsync("/contexts/.t1/subjects/scoped-value/versions/1")).Json.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task Config_mode_and_compatibility_under_a_context_url_act_on_the_context()
    {
        Assert.Equal(200, (await server.PostAsync("/contexts/.t2/subjects/c-value/versions", Body(Schemas.V1))).Status);
        Assert.Equal(200, (await server.PutAsync("/contexts/.t2/config", """{"compatibility":"FULL"}""")).Status);
        Assert.Equal("FULL", (await server.GetAsync("/config/:.t2:")).Json.GetProperty("compatibilityLevel").GetString());
        Assert.Equal(200, (await server.PutAsync("/contexts/.t2/config/c-value", """{"compatibility":"NONE"}""")).Status);
        Assert.Equal("NONE", (await server.GetAsync("/config/:.t2:c-value")).Json.GetProperty("compatibilityLevel").GetString());
        Assert.Equal(200, (await server.PutAsync("/contexts/.t2/mode/c-value", """{"mode":"READONLY"}""")).Status);
        Assert.Equal("READONLY", (await server.GetAsync("/mode/:.t2:c-value")).Json.GetProperty("mode").GetString());
        Assert.Equal(200, (await server.DeleteAsync("/contexts/.t2/mode/c-value")).Status);
        var compatible = await server.PostAsync("/contexts/.t2/compatibility/subjects/c-value/versions/latest", Body(Schemas.V2));
        Assert.True(compatible.Json.GetProperty("is_compatible").GetBoolean(), compatible.ToString());
        // The default context by its explicit name.
        var id = (await server.PostAsync("/subjects/default-ctx-value/versions", Body(Schemas.Record("InDefault", Schemas.Field("d", "int"))))).Json.GetProperty("id").GetInt32();
        Assert.Equal(200, (await server.GetAsync($"/contexts/:.:/schemas/ids/{id}")).Status);
        Assert.Equal(1, (await server.GetAsync("/contexts/:.:/subjects/default-ctx-value/versions/1")).Json.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task Deleting_a_context_is_refused_while_it_holds_subjects_and_204_once_empty()
    {
        Assert.Equal(200, (await server.PostAsync("/contexts/.gone/subjects/g/versions", Body(Schemas.V1))).Status);
        Assert.Equal(200, (await server.PutAsync("/contexts/.gone/config", """{"compatibility":"FULL"}""")).Status);
        Assert.Equal(42211, (await server.DeleteAsync("/contexts/.gone")).ErrorCode);
        Assert.Equal(200, (await server.DeleteAsync("/contexts/.gone/subjects/g")).Status);
        Assert.Equal(42211, (await server.DeleteAsync("/contexts/.gone")).ErrorCode);
        Assert.Equal(200, (await server.DeleteAsync("/contexts/.gone/subjects/g?permanent=true")).Status);
        Assert.Equal(204, (await server.DeleteAsync("/contexts/.gone")).Status);
        Assert.Equal(40408, (await server.GetAsync("/config/:.gone:")).ErrorCode);
        Assert.DoesNotContain(".gone", (await server.GetAsync("/contexts")).Body);
    }
}
