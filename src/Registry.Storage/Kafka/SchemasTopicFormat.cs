using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Core.Events;
using Registry.Core.Model;

namespace Registry.Storage.Kafka;

/// <summary>
/// Confluent's <c>_schemas</c> record format: JSON keys <c>{"keytype",...,"magic"}</c> and JSON values
/// as Confluent Schema Registry writes them; a null value is a tombstone. Unknown or unreadable records
/// become <see cref="LogNoop"/>, so a topic written by another registry never stops a replay.
/// </summary>
public static class SchemasTopicFormat
{
    private static readonly JsonSerializerOptions Json = CanonicalJson.Options;

    public static (string Key, string? Value) Encode(RegistryEvent e) => e switch
    {
        SchemaRegistered r => (Key("SCHEMA", r.Subject, r.Version, magic: 1), SchemaValue(r)),
        VersionHardDeleted d => (Key("SCHEMA", d.Subject, d.Version, magic: 1), null),
        SubjectSoftDeleted d => (Key("DELETE_SUBJECT", d.Subject, null, 0), new JsonObject { ["subject"] = d.Subject, ["version"] = d.Version }.ToJsonString()),
        ConfigSet c => (Key("CONFIG", c.Subject, null, 0), ConfigValue(c)),
        ConfigCleared c => (Key("CONFIG", c.Subject, null, 0), null),
        ModeSet m => (Key("MODE", m.Subject, null, 0), ModeValue(m)),
        ModeCleared m => (Key("MODE", m.Subject, null, 0), null),
        PolicySet p => (PolicyKey(p.Topic), JsonSerializer.Serialize(p.Policy, Json)),
        PolicyDeleted p => (PolicyKey(p.Topic), null),
        _ => (Key("NOOP", null, null, 0), null),
    };

    public static RegistryEvent Decode(string? key, string? value, long timestamp)
    {
        try
        {
            if (key is null) return new LogNoop("record without a key");
            var k = JsonNode.Parse(key)?.AsObject() ?? throw new JsonException("empty key");
            var keytype = (string?)k["keytype"];
            var subject = (string?)k["subject"];
            return keytype switch
            {
                "SCHEMA" when value is null => new VersionHardDeleted(Subject(subject)!, (int)k["version"]!),
                "SCHEMA" => DecodeSchema(JsonNode.Parse(value)!.AsObject(), subject, timestamp),
                "CONFIG" when value is null => new ConfigCleared(Subject(subject)),
                "CONFIG" => new ConfigSet(Subject(subject ?? (string?)JsonNode.Parse(value)?["subject"]), DecodeConfig(value)),
                "MODE" when value is null => new ModeCleared(Subject(subject)),
                "MODE" => DecodeMode(subject, value),
                "DELETE_SUBJECT" when value is not null => DecodeDeleteSubject(subject, value),
                PolicyKeyType when value is null => new PolicyDeleted((string)k["topic"]!),
                PolicyKeyType => new PolicySet((string)k["topic"]!, JsonSerializer.Deserialize<TopicPolicy>(value, Json)!),
                _ => new LogNoop(keytype ?? "no keytype"),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NullReferenceException or ArgumentException)
        {
            return new LogNoop("unreadable record: " + e.Message);
        }
    }

    /// <summary>Our own record kind (gateway policies); Confluent's registry does not write it.</summary>
    public const string PolicyKeyType = "REGISTRY_POLICY";

    private static string PolicyKey(string topic) => new JsonObject { ["keytype"] = PolicyKeyType, ["topic"] = topic, ["magic"] = 0 }.ToJsonString();

    /// <summary>Confluent's subject for global scope is absent (or <c>:.__GLOBAL:</c>); ours is null.</summary>
    private static string? Subject(string? subject) =>
        string.IsNullOrEmpty(subject) || subject == ":.__GLOBAL:" ? null : QualifiedSubject.Normalize(subject);

    private static string Key(string keytype, string? subject, int? version, int magic)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("keytype", keytype);
            if (!string.IsNullOrEmpty(subject)) w.WriteString("subject", subject);
            if (version is not null) w.WriteNumber("version", version.Value);
            w.WriteNumber("magic", magic);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string SchemaValue(SchemaRegistered r)
    {
        var (guid, _) = SchemaIdentity.Compute(r.SchemaType, r.Schema, r.References, r.Metadata, r.RuleSet);
        var value = new JsonObject
        {
            ["subject"] = r.Subject,
            ["version"] = r.Version,
            ["id"] = r.Id,
            ["md5"] = Convert.ToBase64String(guid.ToByteArray(bigEndian: true)),
            ["schemaType"] = r.SchemaType,
        };
        if (!r.References.IsDefaultOrEmpty) value["references"] = JsonSerializer.SerializeToNode(r.References, Json);
        if (r.Metadata is not null) value["metadata"] = JsonSerializer.SerializeToNode(r.Metadata, Json);
        if (r.RuleSet is not null) value["ruleSet"] = JsonSerializer.SerializeToNode(r.RuleSet, Json);
        value["schema"] = r.Schema;
        value["deleted"] = r.Deleted;
        return value.ToJsonString();
    }

    private static SchemaRegistered DecodeSchema(JsonObject v, string? keySubject, long timestamp)
    {
        var references = v["references"] is JsonArray refs
            ? refs.Deserialize<ImmutableArray<SchemaReference>>(Json)
            : ImmutableArray<SchemaReference>.Empty;
        return new SchemaRegistered(
            Subject((string?)v["subject"] ?? keySubject)!,
            (int)v["version"]!,
            (int)v["id"]!,
            (string?)v["schemaType"] ?? "AVRO",
            (string?)v["schema"] ?? throw new JsonException("a schema value without schema"),
            references.IsDefault ? ImmutableArray<SchemaReference>.Empty : references,
            v["metadata"]?.Deserialize<Metadata>(Json)?.NullIfEmpty(),
            (v["ruleSet"] ?? v["ruleset"])?.Deserialize<RuleSet>(Json)?.NullIfEmpty(),
            timestamp,
            (bool?)v["deleted"] ?? false);
    }

    private static string ConfigValue(ConfigSet c)
    {
        var value = JsonSerializer.SerializeToNode(c.Config, Json)!.AsObject();
        if (c.Subject is not null) value.Insert(0, "subject", c.Subject);
        return value.ToJsonString();
    }

    private static SubjectConfig DecodeConfig(string value)
    {
        var node = JsonNode.Parse(value)!.AsObject();
        node.Remove("subject");
        return node.Deserialize<SubjectConfig>(Json) ?? new SubjectConfig();
    }

    private static string ModeValue(ModeSet m)
    {
        var value = new JsonObject();
        if (m.Subject is not null) value["subject"] = m.Subject;
        value["mode"] = m.Mode.ToName();
        return value.ToJsonString();
    }

    private static RegistryEvent DecodeMode(string? keySubject, string value)
    {
        var v = JsonNode.Parse(value)!;
        return RegistryModes.TryParse((string?)v["mode"], out var mode)
            ? new ModeSet(Subject(keySubject ?? (string?)v["subject"]), mode)
            : new LogNoop("unknown mode");
    }

    private static RegistryEvent DecodeDeleteSubject(string? keySubject, string value)
    {
        var v = JsonNode.Parse(value)!;
        return new SubjectSoftDeleted(Subject((string?)v["subject"] ?? keySubject)!, (int)v["version"]!);
    }
}
