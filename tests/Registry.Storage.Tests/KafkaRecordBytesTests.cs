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
        _cluster.CreateTopic(topic);
        _cluster.CreateTopic(topic + "_registry");
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

    private static List<(string Key, byte[]? Value)> Compact(List<(string Key, byte[]? Value)> records) =>
        RawTopic.Compact(records.Select(r => (Encoding.UTF8.GetBytes(r.Key), r.Value, 0L))).Select(r => (Encoding.UTF8.GetString(r.Key), r.Value)).ToList();

    public void Dispose() => _cluster.Dispose();
}
