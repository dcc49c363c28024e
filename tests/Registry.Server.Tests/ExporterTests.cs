using System.Text.Json;
using Avro;
using Avro.Generic;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using Registry.Server.Tests.Infrastructure;
using Registry.Testing;

namespace Registry.Server.Tests;

/// <summary>Schema Linking between two registries on loopback, each with its own store.</summary>
[Trait("Category", "Slow")]
public sealed class ExporterTests : IAsyncLifetime
{
    /// <summary>Fast steps, so the tests wait for seconds, not minutes.</summary>
    public static readonly string[] Fast =
    [
        "--Registry:Exporters:PollIntervalMs=100", "--Registry:Exporters:CheckpointIntervalMs=100", "--Registry:Exporters:RetryMaxMs=500",
        "--Registry:Exporters:LeaseMs=3000", "--Registry:Exporters:RequestTimeoutMs=2000",
    ];

    private readonly RegistryServer _source = new() { ExtraArgs = Fast };
    private readonly RegistryServer _destination = new();

    public async Task InitializeAsync()
    {
        await _source.InitializeAsync();
        await _destination.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        await _destination.DisposeAsync();
    }

    private static string Exporter(string destinationUrl, string extra = "") =>
        $$"""{"name":"dr","contextType":"AUTO","subjects":["*"],"config":{"schema.registry.url":"{{destinationUrl}}"}{{extra}}}""";

    [Fact]
    public async Task An_AUTO_exporter_copies_subjects_ids_configs_and_deletes_into_the_destination_context()
    {
        // Ids that differ from the destination's own: the destination has a schema of its own in its default context.
        Assert.Equal(200, (await _destination.PostAsync("/subjects/local/versions", RegistryServer.Body(Schemas.Record("Local", Schemas.Field("x", "int"))))).Status);
        Assert.Equal(200, (await _source.PutAsync("/config", """{"compatibility":"NONE"}""")).Status);
        Assert.Equal(200, (await _source.PostAsync("/subjects/filler/versions", RegistryServer.Body(Schemas.Record("Filler", Schemas.Field("f", "int"))))).Status);
        var v1 = (await _source.PostAsync("/subjects/users-value/versions", RegistryServer.Body(Schemas.V1))).Json.GetProperty("id").GetInt32();
        var v2 = (await _source.PostAsync("/subjects/users-value/versions", RegistryServer.Body(Schemas.V2))).Json.GetProperty("id").GetInt32();
        Assert.Equal(200, (await _source.PostAsync("/subjects/common/versions", RegistryServer.Body(Schemas.Record("Common", Schemas.Field("c", "string"))))).Status);
        var withReference = $$"""{"schema":{{JsonSerializer.Serialize(Schemas.Record("Payment", Schemas.Field("common", "Common")))}},"references":[{"name":"Common","subject":"common","version":1}]}""";
        Assert.Equal(200, (await _source.PostAsync("/subjects/payments-value/versions", withReference)).Status);
        Assert.Equal(200, (await _source.PutAsync("/config/users-value", """{"compatibility":"FULL"}""")).Status);
        Assert.Equal(200, (await _source.DeleteAsync("/subjects/filler/versions/1")).Status);
        Assert.Equal(200, (await _source.DeleteAsync("/subjects/filler/versions/1?permanent=true")).Status);
        Assert.Equal(200, (await _source.PostAsync("/subjects/gone/versions", RegistryServer.Body(Schemas.Record("Gone", Schemas.Field("g", "int"))))).Status);
        Assert.Equal(200, (await _source.DeleteAsync("/subjects/gone")).Status);

        var contract = "{\"schema\":" + JsonSerializer.Serialize(Schemas.Record("Contract", Schemas.Field("amount", "int")))
            + ""","metadata":{"properties":{"owner":"payments"}},"ruleSet":{"domainRules":[{"name":"positive","kind":"CONDITION","mode":"WRITE","type":"CEL","expr":"message.amount > 0"}]}}""";
        Assert.Equal(200, (await _source.PostAsync("/subjects/contract-value/versions", contract)).Status);
        var created = await _source.PostAsync("/exporters", Exporter(_destination.Url));
        Assert.Equal(200, created.Status);
        Assert.Equal("dr", created.Json.GetProperty("name").GetString());
        await CaughtUpAsync(_source, "dr");

        Assert.Equal("""[":.dr:common",":.dr:contract-value",":.dr:gone",":.dr:payments-value",":.dr:users-value"]""", (await _destination.GetAsync("/subjects?deleted=true&subjectPrefix=:.dr:")).Body);
        Assert.Equal("""[":.dr:common",":.dr:contract-value",":.dr:payments-value",":.dr:users-value"]""", (await _destination.GetAsync("/subjects?subjectPrefix=:.dr:")).Body);
        // The data contract travels with its version: metadata and rules as registered.
        var copiedContract = (await _destination.GetAsync("/subjects/:.dr:contract-value/versions/1")).Json;
        var sourceContract = (await _source.GetAsync("/subjects/contract-value/versions/1")).Json;
        Assert.Equal("payments", copiedContract.GetProperty("metadata").GetProperty("properties").GetProperty("owner").GetString());
        Assert.Equal(sourceContract.GetProperty("ruleSet").GetRawText(), copiedContract.GetProperty("ruleSet").GetRawText());
        Assert.Equal(sourceContract.GetProperty("id").GetInt32(), copiedContract.GetProperty("id").GetInt32());
        foreach (var (version, id) in new[] { (1, v1), (2, v2) })
        {
            var copied = (await _destination.GetAsync($"/subjects/:.dr:users-value/versions/{version}")).Json;
            Assert.Equal(id, copied.GetProperty("id").GetInt32());
            Assert.Equal((await _source.GetAsync($"/schemas/ids/{id}")).Json.GetProperty("schema").GetString(),
                (await _destination.GetAsync($"/contexts/.dr/schemas/ids/{id}")).Json.GetProperty("schema").GetString());
        }
        Assert.Equal("FULL", (await _destination.GetAsync("/config/:.dr:users-value")).Json.GetProperty("compatibilityLevel").GetString());
        Assert.Equal("NONE", (await _destination.GetAsync("/config/:.dr:")).Json.GetProperty("compatibilityLevel").GetString());
        var payment = (await _destination.GetAsync("/subjects/:.dr:payments-value/versions/1")).Json;
        Assert.Equal("common", payment.GetProperty("references")[0].GetProperty("subject").GetString());
        // The permanent delete of filler (before the exporter existed) left nothing; the soft-deleted subject stays soft-deleted.
        Assert.Equal(404, (await _destination.GetAsync("/subjects/:.dr:filler/versions")).Status);
        Assert.Equal(200, (await _destination.GetAsync("/subjects/:.dr:gone/versions/1?deleted=true")).Status);
        Assert.Equal("IMPORT", (await _destination.GetAsync("/mode/:.dr:")).Json.GetProperty("mode").GetString());
        // The destination's own subject kept its id and its context.
        Assert.Equal(1, (await _destination.GetAsync("/subjects/local/versions/1")).Json.GetProperty("id").GetInt32());
        Assert.Equal(404, (await _destination.GetAsync("/subjects/users-value/versions")).Status);

        // A record serialized against the source reads against the destination's context URL (real Confluent client).
        var schema = (RecordSchema)Avro.Schema.Parse(Schemas.V2);
        var record = new GenericRecord(schema);
        record.Add("name", "ada");
        record.Add("age", 36);
        using var sourceClient = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _source.Url });
        var bytes = await new AvroSerializer<GenericRecord>(sourceClient, new AvroSerializerConfig { AutoRegisterSchemas = false, UseLatestVersion = true })
            .SerializeAsync(record, new SerializationContext(MessageComponentType.Value, "users"));
        using var destinationClient = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _destination.Url + "/contexts/.dr" });
        var back = await new AvroDeserializer<GenericRecord>(destinationClient).DeserializeAsync(bytes, false, new SerializationContext(MessageComponentType.Value, "users"));
        Assert.Equal("ada", back["name"]);
        Assert.Equal(v2, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(1, 4)));

        // Changes after the first sync follow: a new version, a soft delete, then a permanent one.
        var v3 = (await _source.PostAsync("/subjects/users-value/versions", RegistryServer.Body(Schemas.Record("User", Schemas.Field("name", "string"), Schemas.FieldWithDefault("age", "int", "0"), Schemas.FieldWithDefault("email", "string", "\"\""))))).Json.GetProperty("id").GetInt32();
        Assert.Equal(200, (await _source.DeleteAsync("/subjects/users-value/versions/1")).Status);
        Assert.Equal(200, (await _source.DeleteAsync("/subjects/users-value/versions/1?permanent=true")).Status);
        await CaughtUpAsync(_source, "dr");
        Assert.Equal("[2,3]", (await _destination.GetAsync("/subjects/:.dr:users-value/versions?deleted=true")).Body);
        Assert.Equal(v3, (await _destination.GetAsync("/subjects/:.dr:users-value/versions/3")).Json.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task Pause_holds_changes_back_and_resume_catches_up()
    {
        Assert.Equal(200, (await _source.PostAsync("/exporters", Exporter(_destination.Url))).Status);
        Assert.Equal(200, (await _source.PostAsync("/subjects/a/versions", RegistryServer.Body(Schemas.V1))).Status);
        await CaughtUpAsync(_source, "dr");
        Assert.Equal(200, (await _destination.GetAsync("/subjects/:.dr:a/versions/1")).Status);

        Assert.Equal(200, (await _source.PutAsync("/exporters/dr/pause", "")).Status);
        Assert.Equal("PAUSED", (await _source.GetAsync("/exporters/dr/status")).Json.GetProperty("state").GetString());
        Assert.Equal(200, (await _source.PostAsync("/subjects/b/versions", RegistryServer.Body(Schemas.V1))).Status);
        await Task.Delay(1000);
        Assert.Equal(404, (await _destination.GetAsync("/subjects/:.dr:b/versions/1")).Status);

        Assert.Equal(200, (await _source.PutAsync("/exporters/dr/resume", "")).Status);
        await CaughtUpAsync(_source, "dr");
        Assert.Equal(200, (await _destination.GetAsync("/subjects/:.dr:b/versions/1")).Status);
        Assert.Equal(RegistryServerErrors.ExporterRunning, (await _source.PutAsync("/exporters/dr/resume", "")).ErrorCode);
    }

    [Fact]
    public async Task The_exporter_API_answers_as_Confluent_and_keeps_credentials_sealed()
    {
        Assert.Equal(200, (await _source.PostAsync("/exporters", Exporter(_destination.Url))).Status);
        Assert.Equal("""["dr"]""", (await _source.GetAsync("/exporters")).Body);
        Assert.Equal(40960, (await _source.PostAsync("/exporters", Exporter(_destination.Url))).ErrorCode);
        Assert.Equal(40450, (await _source.GetAsync("/exporters/nope")).ErrorCode);
        Assert.Equal(404, (await _source.GetAsync("/exporters/nope/status")).Status);
        Assert.Equal(40951, (await _source.PostAsync("/exporters", """{"name":"x","config":{}}""")).ErrorCode);
        Assert.Equal(40951, (await _source.PostAsync("/exporters", """{"name":"x","contextType":"SIDEWAYS","config":{"schema.registry.url":"http://h"}}""")).ErrorCode);
        Assert.Equal(40950, (await _source.PostAsync("/exporters", """{"name":"","config":{"schema.registry.url":"http://h"}}""")).ErrorCode);
        Assert.Equal(40952, (await _source.PostAsync("/exporters", """{"name":"x","subjects":[""],"config":{"schema.registry.url":"http://h"}}""")).ErrorCode);
        // A credential without a key to seal it with is refused, not stored in clear.
        var withPassword = """{"name":"x","config":{"schema.registry.url":"http://h","basic.auth.user.info":"u:p"}}""";
        Assert.Equal(40951, (await _source.PostAsync("/exporters", withPassword)).ErrorCode);
        Assert.Equal(40951, (await _source.PostAsync("/exporters", """{"name":"x","config":{"schema.registry.url":"http://u:p@h"}}""")).ErrorCode);
        // Changes need a paused exporter (40963), as in Confluent.
        Assert.Equal(40963, (await _source.PutAsync("/exporters/dr", """{"subjects":["a*"]}""")).ErrorCode);
        Assert.Equal(40963, (await _source.PutAsync("/exporters/dr/reset", "")).ErrorCode);
        Assert.Equal(200, (await _source.PutAsync("/exporters/dr/pause", "")).Status);
        Assert.Equal(200, (await _source.PutAsync("/exporters/dr", """{"subjects":["a*"],"subjectRenameFormat":"dc_${subject}"}""")).Status);
        var info = (await _source.GetAsync("/exporters/dr")).Json;
        Assert.Equal("""["a*"]""", info.GetProperty("subjects").GetRawText());
        Assert.Equal("dc_${subject}", info.GetProperty("subjectRenameFormat").GetString());
        Assert.Equal("AUTO", info.GetProperty("contextType").GetString());
        Assert.Equal(200, (await _source.PutAsync("/exporters/dr/reset", "")).Status);
        Assert.Equal(200, (await _source.PutAsync("/exporters/dr/config", $$"""{"schema.registry.url":"{{_destination.Url}}","extra":"1"}""")).Status);
        Assert.Equal($$"""{"extra":"1","schema.registry.url":"{{_destination.Url}}"}""", (await _source.GetAsync("/exporters/dr/config")).Body);
        var deleted = await _source.DeleteAsync("/exporters/dr");
        Assert.Equal(204, deleted.Status);
        Assert.Equal("[]", (await _source.GetAsync("/exporters")).Body);
    }

    [Fact]
    public async Task A_NONE_exporter_mirrors_the_default_context_and_the_mirror_is_promoted_with_one_mode_change()
    {
        var first = (await _source.PostAsync("/subjects/orders-value/versions", RegistryServer.Body(Schemas.V1))).Json.GetProperty("id").GetInt32();
        Assert.Equal(200, (await _source.PostAsync("/subjects/orders-value/versions", RegistryServer.Body(Schemas.V2))).Status);
        Assert.Equal(200, (await _source.PostAsync("/exporters", Exporter(_destination.Url).Replace("AUTO", "NONE", StringComparison.Ordinal))).Status);
        await CaughtUpAsync(_source, "dr");
        Assert.Equal("[1,2]", (await _destination.GetAsync("/subjects/orders-value/versions")).Body);
        Assert.Equal(first, (await _destination.GetAsync("/subjects/orders-value/versions/1")).Json.GetProperty("id").GetInt32());
        // The mirror takes no writes of its own until promoted (docs/dr.md): one mode change.
        Assert.Equal("IMPORT", (await _destination.GetAsync("/mode")).Json.GetProperty("mode").GetString());
        var v3 = RegistryServer.Body(Schemas.Record("User", Schemas.Field("name", "string"), Schemas.FieldWithDefault("age", "int", "0"), Schemas.FieldWithDefault("x", "int", "1")));
        Assert.Equal(42205, (await _destination.PostAsync("/subjects/orders-value/versions", v3)).ErrorCode);
        Assert.Equal(200, (await _destination.PutAsync("/mode", """{"mode":"READWRITE"}""")).Status);
        var promoted = (await _destination.PostAsync("/subjects/orders-value/versions", v3)).Json;
        Assert.Equal(3, promoted.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task KEKs_and_the_DEKs_of_exported_subjects_follow_renamed_with_their_material()
    {
        var material = Convert.ToBase64String(new byte[48]);
        Assert.Equal(200, (await _source.PostAsync("/dek-registry/v1/keks", """{"name":"k1","kmsType":"local-kms","kmsKeyId":"mykey","doc":"one"}""")).Status);
        Assert.Equal(200, (await _source.PostAsync("/dek-registry/v1/keks/k1/deks/orders-value", $$"""{"encryptedKeyMaterial":"{{material}}"}""")).Status);
        Assert.Equal(200, (await _source.PostAsync("/dek-registry/v1/keks/k1/deks/orders-value", $$"""{"version":2,"encryptedKeyMaterial":"{{material}}"}""")).Status);
        Assert.Equal(200, (await _source.PostAsync("/dek-registry/v1/keks/k1/deks/other-value", $$"""{"encryptedKeyMaterial":"{{material}}"}""")).Status);
        Assert.Equal(200, (await _source.PostAsync("/exporters", """{"name":"dr","subjects":["orders-*"],"kekRenameFormat":"dc_${kek}","config":{"schema.registry.url":"URL"}}""".Replace("URL", _destination.Url))).Status);
        await CaughtUpAsync(_source, "dr");

        var kek = (await _destination.GetAsync("/dek-registry/v1/keks/dc_k1")).Json;
        Assert.Equal(("local-kms", "mykey", "one"), (kek.GetProperty("kmsType").GetString(), kek.GetProperty("kmsKeyId").GetString(), kek.GetProperty("doc").GetString()));
        Assert.Equal("[1,2]", (await _destination.GetAsync("/dek-registry/v1/keks/dc_k1/deks/:.dr:orders-value/versions")).Body);
        Assert.Equal(material, (await _destination.GetAsync("/dek-registry/v1/keks/dc_k1/deks/:.dr:orders-value/versions/2")).Json.GetProperty("encryptedKeyMaterial").GetString());
        // A client of the destination's context finds the DEK under the subject it knows.
        Assert.Equal(200, (await _destination.GetAsync("/contexts/.dr/dek-registry/v1/keks/dc_k1/deks/orders-value/versions/1")).Status);
        Assert.Equal(404, (await _destination.GetAsync("/dek-registry/v1/keks/dc_k1/deks/:.dr:other-value")).Status);

        // Deletes follow: one version permanently, then the KEK's doc changes.
        Assert.Equal(204, (await _source.DeleteAsync("/dek-registry/v1/keks/k1/deks/orders-value/versions/2")).Status);
        Assert.Equal(204, (await _source.DeleteAsync("/dek-registry/v1/keks/k1/deks/orders-value/versions/2?permanent=true")).Status);
        Assert.Equal(200, (await _source.PutAsync("/dek-registry/v1/keks/k1", """{"doc":"two"}""")).Status);
        await CaughtUpAsync(_source, "dr");
        Assert.Equal("[1]", (await _destination.GetAsync("/dek-registry/v1/keks/dc_k1/deks/:.dr:orders-value/versions?deleted=true")).Body);
        Assert.Equal("two", (await _destination.GetAsync("/dek-registry/v1/keks/dc_k1")).Json.GetProperty("doc").GetString());
    }

    internal static async Task<JsonElement> CaughtUpAsync(RegistryServer server, string exporter, int seconds = 30) =>
        await CaughtUpAsync(server.Http, exporter, seconds);

    /// <summary>Waits until the exporter runs with no trace and nothing left to copy.</summary>
    internal static async Task<JsonElement> CaughtUpAsync(HttpClient http, string exporter, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            last = await http.GetStringAsync($"/exporters/{exporter}/status");
            var status = JsonDocument.Parse(last).RootElement;
            if (status.GetProperty("state").GetString() == "RUNNING" && status.GetProperty("trace").GetString() == ""
                && status.TryGetProperty("lagEvents", out var lag) && lag.GetInt64() <= 1)
            {
                // One entry of lag is the exporter's own progress record; the next poll reads past it.
                await Task.Delay(300);
                var again = JsonDocument.Parse(await http.GetStringAsync($"/exporters/{exporter}/status")).RootElement;
                if (again.GetProperty("lagEvents").GetInt64() == 0) return again;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"exporter {exporter} did not catch up within {seconds} s: {last}");
    }
}

internal static class RegistryServerErrors
{
    public const int ExporterRunning = 40961;
}
