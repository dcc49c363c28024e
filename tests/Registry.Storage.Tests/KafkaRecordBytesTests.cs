using System.Text;
using Confluent.Kafka;
using Registry.Core.Decisions;
using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Formats;
using Registry.Storage.Kafka;
using Registry.Testing;

namespace Registry.Storage.Tests;

/// <summary>
/// The records the Kafka store writes, read back raw: the bytes Confluent's Jackson writes for the same keys
/// (compaction works on key bytes), value members we do not model kept on rewrites, and nothing but Confluent's
/// keytypes in <c>_schemas</c>.
/// </summary>
[Trait("Category", "Kafka")]
public sealed class KafkaRecordBytesTests : IDisposable
{
    // Non-ASCII and the characters a default System.Text.Json writer escapes (+ & < > ').
    private const string Subject = "k-ü+&<>'-value";

    private readonly MockKafkaCluster _cluster = new(brokers: 1);
    private readonly RegistryDecider _decider = new(FormatCatalog.Create(new FormatLimits()), new RegistrySettings(), TimeProvider.System);

    private async Task<RegistryEngine> WritingEngineAsync(string topic)
    {
        _cluster.CreateStoreTopics(topic);
        var log = new KafkaRegistryLog(new KafkaLogSettings(_cluster.BootstrapServers) { Topic = topic, ReplicationFactor = 1, SessionTimeoutMs = 3000, AdvertisedUrl = () => "http://node" });
        var engine = new RegistryEngine(log, TimeSpan.FromSeconds(5));
        await engine.StartAsync(default);
        Assert.True(await log.WaitForWriterAsync(TimeSpan.FromSeconds(30)), "no writer was elected within 30 s");
        return engine;
    }

    private static RegisterCommand Register(string subject, string schema) => new(subject, new SchemaInput(schema, null, null, null, null), null, null, false, false);

    private List<(byte[] Key, byte[]? Value)> Raw(string topic) => RawTopic.Read(_cluster.BootstrapServers, topic).Select(r => (r.Key, r.Value)).ToList();

    private async Task ProduceRawAsync(string topic, string key, string? value)
    {
        using var producer = new ProducerBuilder<string, string?>(new ProducerConfig { BootstrapServers = _cluster.BootstrapServers }).Build();
        await producer.ProduceAsync(topic, new Message<string, string?> { Key = key, Value = value });
    }

    [Fact]
    public async Task Keys_of_a_subject_with_non_ASCII_and_escapable_characters_are_the_bytes_Confluent_writes()
    {
        const string topic = "_schemas_bytes";
        await using (var engine = await WritingEngineAsync(topic))
        {
            await engine.ExecuteAsync(s => _decider.Register(s, Register(Subject, "\"string\"")), default);
            await engine.ExecuteAsync(s => _decider.DeleteVersion(s, Subject, "1", permanent: false), default);
            await engine.ExecuteAsync(s => _decider.DeleteVersion(s, Subject, "1", permanent: true), default);
        }
        // What Jackson writes: members in order, raw UTF-8, no escapes for these characters.
        var schemaKey = Encoding.UTF8.GetBytes("{\"keytype\":\"SCHEMA\",\"subject\":\"k-ü+&<>'-value\",\"version\":1,\"magic\":1}");
        var records = Raw(topic);
        Assert.Equal(3, records.Count);
        Assert.All(records, r => Assert.Equal(schemaKey, r.Key));
        var value = Encoding.UTF8.GetString(records[0].Value!);
        Assert.StartsWith("{\"subject\":\"k-ü+&<>'-value\",\"version\":1,\"id\":1,\"md5\":\"", value);
        Assert.EndsWith(",\"schemaType\":\"AVRO\",\"schema\":\"\\\"string\\\"\",\"deleted\":false}", value);
        Assert.EndsWith("\"deleted\":true}", Encoding.UTF8.GetString(records[1].Value!));
        Assert.Null(records[2].Value);
    }

    [Fact]
    public async Task A_hard_delete_of_a_version_Confluent_wrote_tombstones_the_key_Confluent_wrote()
    {
        const string topic = "_schemas_foreign";
        _cluster.CreateTopic(topic);
        var confluentKey = "{\"keytype\":\"SCHEMA\",\"subject\":\"" + Subject + "\",\"version\":1,\"magic\":1}";
        await ProduceRawAsync(topic, confluentKey, "{\"subject\":\"" + Subject + "\",\"version\":1,\"id\":7,\"schema\":\"\\\"int\\\"\",\"deleted\":true}");
        // The same key as an earlier version of this registry spelled it (escaped); compaction treats it as another key.
        var escapedKey = "{\"keytype\":\"SCHEMA\",\"subject\":\"k-\\u00FC\\u002B\\u0026\\u003C\\u003E\\u0027-value\",\"version\":2,\"magic\":1}";
        await ProduceRawAsync(topic, escapedKey, "{\"subject\":\"" + Subject + "\",\"version\":2,\"id\":8,\"schema\":\"\\\"long\\\"\",\"deleted\":true}");
        await using (var engine = await WritingEngineAsync(topic))
        {
            Assert.Equal(7, engine.State.Subjects[Subject].Versions[1].Id);
            await engine.ExecuteAsync(s => _decider.DeleteSubject(s, Subject, permanent: true), default);
            Assert.False(engine.State.Subjects.ContainsKey(Subject));
        }
        var records = Raw(topic).Select(r => (Key: Encoding.UTF8.GetString(r.Key), r.Value)).ToList();
        var tombstones = records.Where(r => r.Value is null).Select(r => r.Key).ToHashSet();
        Assert.Contains(confluentKey, tombstones);
        Assert.Contains(escapedKey, tombstones);
        Assert.Contains("{\"keytype\":\"SCHEMA\",\"subject\":\"" + Subject + "\",\"version\":2,\"magic\":1}", tombstones);

        // After compaction (last record per key, tombstones dropped) nothing of the subject comes back.
        var compacted = Compact(records);
        Assert.DoesNotContain(compacted, r => r.Key.Contains("\"SCHEMA\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Value_members_the_registry_does_not_model_are_kept_when_it_rewrites_the_value()
    {
        const string topic = "_schemas_unknown";
        _cluster.CreateTopic(topic);
        await ProduceRawAsync(topic, "{\"keytype\":\"CONFIG\",\"subject\":\"c-value\",\"magic\":0}",
            "{\"subject\":\"c-value\",\"compatibilityLevel\":\"FULL\",\"validateRules\":true,\"aliasForDeks\":\"deks-alias\",\"futureThing\":{\"a\":[1,2]}}");
        await ProduceRawAsync(topic, "{\"keytype\":\"SCHEMA\",\"subject\":\"c-value\",\"version\":1,\"magic\":1}",
            "{\"subject\":\"c-value\",\"version\":1,\"id\":1,\"schemaType\":\"AVRO\",\"schema\":\"\\\"int\\\"\",\"deleted\":false,\"schemaTags\":[{\"tag\":\"PII\"}]}");
        await ProduceRawAsync(topic, "{\"keytype\":\"MODE\",\"subject\":\"c-value\",\"magic\":0}", "{\"subject\":\"c-value\",\"mode\":\"READWRITE\",\"x\":1}");
        await using (var engine = await WritingEngineAsync(topic))
        {
            await engine.ExecuteAsync(s => _decider.SetConfig(s, "c-value", new SubjectConfig(CompatibilityLevel: "NONE")), default);
            await engine.ExecuteAsync(s => _decider.DeleteVersion(s, "c-value", "1", permanent: false), default);
            await engine.ExecuteAsync(s => _decider.SetMode(s, "c-value", "READONLY", force: false), default);
        }
        var records = Raw(topic).Select(r => (Key: Encoding.UTF8.GetString(r.Key), Value: r.Value is null ? null : Encoding.UTF8.GetString(r.Value))).ToList();
        Assert.Equal(6, records.Count);
        Assert.Equal("{\"subject\":\"c-value\",\"compatibilityLevel\":\"NONE\",\"validateRules\":true,\"aliasForDeks\":\"deks-alias\",\"futureThing\":{\"a\":[1,2]}}", records[3].Value);
        Assert.EndsWith("\"deleted\":true,\"schemaTags\":[{\"tag\":\"PII\"}]}", records[4].Value);
        Assert.Equal("{\"subject\":\"c-value\",\"mode\":\"READONLY\",\"x\":1}", records[5].Value);
    }

    [Fact]
    public async Task Policies_once_written_to_schemas_are_read_and_moved_to_the_registry_topic_on_the_next_write()
    {
        const string topic = "_schemas_legacy";
        _cluster.CreateTopic(topic);
        var legacyKey = "{\"keytype\":\"REGISTRY_POLICY\",\"topic\":\"orders\",\"magic\":0}";
        await ProduceRawAsync(topic, legacyKey, "{\"value\":{\"check\":\"payload\"}}");
        await using (var engine = await WritingEngineAsync(topic))
        {
            Assert.Equal("payload", engine.State.Policies["orders"].Value!.Check);
            await engine.ExecuteAsync(s => _decider.Register(s, Register("x-value", "\"string\"")), default);
            Assert.Equal("payload", engine.State.Policies["orders"].Value!.Check);
        }
        var schemas = Raw(topic).Select(r => (Key: Encoding.UTF8.GetString(r.Key), r.Value)).ToList();
        Assert.Equal((legacyKey, (byte[]?)null), schemas[^1]);
        var ours = Raw(topic + "_registry").Select(r => Encoding.UTF8.GetString(r.Key)).ToList();
        Assert.Contains("{\"keytype\":\"POLICY\",\"topic\":\"orders\"}", ours);

        // A restart reads the tombstone, then the moved policy; a compacted topic holds no foreign keytype any more.
        await using (var restarted = await WritingEngineAsync(topic))
            Assert.Equal("payload", restarted.State.Policies["orders"].Value!.Check);
        Assert.DoesNotContain(Compact(schemas.Select(r => (r.Key, r.Value)).ToList()), r => r.Key.Contains("REGISTRY_POLICY", StringComparison.Ordinal));
    }

    private static CreateKekCommand Kek(string name) => new(name, "local-kms", "mykey", null, null, false, null);

    private static CreateDekCommand Dek(string kek, string subject) => new(kek, subject, null, null, "AAAAAAAAAAAAAAAAAAAAAAAA", null, false);

    private List<(string Key, string? Value, long Timestamp)> Text(string topic) => RawTopic.Read(_cluster.BootstrapServers, topic)
        .Select(r => (Encoding.UTF8.GetString(r.Key), r.Value is null ? null : Encoding.UTF8.GetString(r.Value), r.Timestamp)).ToList();

    [Fact]
    public async Task Keys_are_written_to_the_DEK_registry_topic_as_Confluent_writes_them_with_their_time_as_the_record_timestamp()
    {
        const string topic = "_schemas_keys";
        long kekTime, dekTime;
        await using (var engine = await WritingEngineAsync(topic))
        {
            kekTime = (await engine.ExecuteAsync(s => _decider.CreateKek(s, Kek("kek1")), default)).Timestamp;
            dekTime = (await engine.ExecuteAsync(s => _decider.CreateDek(s, Dek("kek1", "t1-value")), default)).Timestamp;
            await engine.ExecuteAsync(s => _decider.DeleteDeks(s, "kek1", "t1-value", DekAlgorithm.AES256_GCM, null, permanent: false), default);
            await engine.ExecuteAsync(s => _decider.DeleteDeks(s, "kek1", "t1-value", DekAlgorithm.AES256_GCM, null, permanent: true), default);
        }
        const string kekKey = """{"tenant":"default","name":"kek1","type":"KEK"}""";
        const string dekKey = """{"tenant":"default","kekName":"kek1","subject":"t1-value","algorithm":"AES256_GCM","version":1,"type":"DEK"}""";
        var records = Text(topic + "_dek_registry_keys");
        Assert.Equal(4, records.Count);
        Assert.Equal((kekKey, """{"name":"kek1","kmsType":"local-kms","kmsKeyId":"mykey","kmsProps":{},"shared":false,"deleted":false,"type":"KEK"}""", kekTime), records[0]);
        Assert.Equal((dekKey, """{"kekName":"kek1","subject":"t1-value","algorithm":"AES256_GCM","version":1,"encryptedKeyMaterial":"AAAAAAAAAAAAAAAAAAAAAAAA","deleted":false,"type":"DEK"}""", dekTime), records[1]);
        Assert.Equal(dekKey, records[2].Key);
        Assert.EndsWith("\"deleted\":true,\"type\":\"DEK\"}", records[2].Value);
        Assert.Equal((dekKey, (string?)null), (records[3].Key, records[3].Value));
        // Nothing of the keys goes to _schemas or to our own topic.
        Assert.Empty(Text(topic));
        Assert.DoesNotContain(Text(topic + "_registry"), r => r.Key.Contains("\"type\"", StringComparison.Ordinal));

        await using var restarted = await WritingEngineAsync(topic);
        Assert.Equal(kekTime, restarted.State.Keks["kek1"].Timestamp);
        Assert.Empty(restarted.State.Deks);
    }

    [Fact]
    public async Task Keys_Confluent_wrote_take_their_time_from_the_record_timestamp()
    {
        const string topic = "_schemas_confluent_keys";
        _cluster.CreateStoreTopics(topic);
        await RawTopic.WriteAsync(_cluster.BootstrapServers, topic + "_dek_registry_keys",
        [
            (Encoding.UTF8.GetBytes("""{"tenant":"default","name":"ck","type":"KEK"}"""),
                Encoding.UTF8.GetBytes("""{"name":"ck","kmsType":"local-kms","kmsKeyId":"k","kmsProps":{"p":"1"},"doc":"d","shared":false,"deleted":false,"type":"KEK"}"""), 1_700_000_000_123),
            (Encoding.UTF8.GetBytes("""{"tenant":"default","kekName":"ck","subject":"s","algorithm":"AES128_GCM","version":3,"type":"DEK"}"""),
                Encoding.UTF8.GetBytes("""{"kekName":"ck","subject":"s","algorithm":"AES128_GCM","version":3,"encryptedKeyMaterial":"QUJD","deleted":true,"type":"DEK"}"""), 1_700_000_000_456),
        ]);
        await using var engine = await WritingEngineAsync(topic);
        var kek = engine.State.Keks["ck"];
        Assert.Equal(("k", "1", "d", 1_700_000_000_123L), (kek.KmsKeyId, kek.KmsProps["p"], kek.Doc, kek.Timestamp));
        var dek = Assert.Single(engine.State.Deks.Values);
        Assert.Equal(("s", 3, DekAlgorithm.AES128_GCM, "QUJD", true, 1_700_000_000_456L), (dek.Subject, dek.Version, dek.Algorithm, dek.EncryptedKeyMaterial, dek.Deleted, dek.Timestamp));
    }

    [Fact]
    public async Task Keys_an_earlier_version_kept_in_the_registry_topic_are_read_and_moved_to_the_DEK_registry_topic_on_the_next_write()
    {
        const string topic = "_schemas_moved_keys";
        _cluster.CreateStoreTopics(topic);
        // As the previous version wrote them: in _registry, with the time as a ts member.
        const string kekKey = """{"tenant":"default","name":"old","type":"KEK"}""";
        const string dekKey = """{"tenant":"default","kekName":"old","subject":"o-value","algorithm":"AES256_GCM","version":1,"type":"DEK"}""";
        const string gone = """{"tenant":"default","kekName":"old","subject":"o-value","algorithm":"AES256_GCM","version":2,"type":"DEK"}""";
        await ProduceRawAsync(topic + "_registry", kekKey, """{"name":"old","kmsType":"local-kms","kmsKeyId":"k","kmsProps":{},"shared":false,"deleted":false,"type":"KEK","ts":111}""");
        await ProduceRawAsync(topic + "_registry", dekKey, """{"kekName":"old","subject":"o-value","algorithm":"AES256_GCM","version":1,"encryptedKeyMaterial":"QUJD","deleted":false,"type":"DEK","ts":222}""");
        await ProduceRawAsync(topic + "_registry", gone, """{"kekName":"old","subject":"o-value","algorithm":"AES256_GCM","version":2,"encryptedKeyMaterial":"QUJD","deleted":true,"type":"DEK","ts":333}""");
        await ProduceRawAsync(topic + "_registry", gone, null);
        await using (var engine = await WritingEngineAsync(topic))
        {
            Assert.Equal(111, engine.State.Keks["old"].Timestamp);
            Assert.Equal(222, Assert.Single(engine.State.Deks.Values).Timestamp);
            // Any write moves them; one that sets a moved key writes only its own record.
            await engine.ExecuteAsync(s => _decider.UpdateKek(s, "old", new UpdateKekCommand(false, null, true, "now documented", null)), default);
        }
        var keys = Text(topic + "_dek_registry_keys");
        Assert.Equal(2, keys.Count);
        Assert.Equal(kekKey, keys[0].Key);
        Assert.Contains("\"doc\":\"now documented\"", keys[0].Value);
        Assert.Equal((dekKey, """{"kekName":"old","subject":"o-value","algorithm":"AES256_GCM","version":1,"encryptedKeyMaterial":"QUJD","deleted":false,"type":"DEK"}""", 222L), keys[1]);
        var registry = Text(topic + "_registry");
        Assert.Contains((kekKey, (string?)null), registry.Select(r => (r.Key, r.Value)));
        Assert.Contains((dekKey, (string?)null), registry.Select(r => (r.Key, r.Value)));
        Assert.DoesNotContain(Compact(registry.Select(r => (r.Key, r.Value is null ? null : Encoding.UTF8.GetBytes(r.Value))).ToList()),
            r => r.Key.Contains("\"type\"", StringComparison.Ordinal));

        // A restart reads the tombstones, then the moved keys; so does a node on compacted topics.
        await using (var restarted = await WritingEngineAsync(topic))
        {
            Assert.Equal("now documented", restarted.State.Keks["old"].Doc);
            Assert.Equal(222, Assert.Single(restarted.State.Deks.Values).Timestamp);
        }
        const string compacted = "_schemas_moved_compacted";
        _cluster.CreateStoreTopics(compacted);
        foreach (var suffix in new[] { "", "_registry", "_dek_registry_keys" })
            await RawTopic.WriteAsync(_cluster.BootstrapServers, compacted + suffix, RawTopic.Compact(RawTopic.Read(_cluster.BootstrapServers, topic + suffix)));
        await using var fresh = await WritingEngineAsync(compacted);
        Assert.Equal("now documented", fresh.State.Keks["old"].Doc);
        Assert.Equal("QUJD", Assert.Single(fresh.State.Deks.Values).EncryptedKeyMaterial);
    }

    private static List<(string Key, byte[]? Value)> Compact(List<(string Key, byte[]? Value)> records) =>
        RawTopic.Compact(records.Select(r => (Encoding.UTF8.GetBytes(r.Key), r.Value, 0L))).Select(r => (Encoding.UTF8.GetString(r.Key), r.Value)).ToList();

    public void Dispose() => _cluster.Dispose();
}
