using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Core.Events;
using Registry.Core.Model;

namespace Registry.Storage.Kafka;

/// <summary>One record of the topic: the event it carries, its key as Confluent writes it, and the value members we do not model.</summary>
public readonly record struct TopicRecord(RegistryEvent Event, string? Key, JsonObject? Unknown);

/// <summary>
/// Confluent's <c>_schemas</c> record format: JSON keys <c>{"keytype",...,"magic"}</c> and JSON values, written
/// byte for byte as Confluent's Jackson writes them (<see cref="JacksonJson"/>); a null value is a tombstone.
/// Unknown or unreadable records become <see cref="LogNoop"/>, so a topic written by another registry never
/// stops a replay. Value members we do not model are returned, so a rewrite (soft delete, config update) keeps them.
/// </summary>
public static class SchemasTopicFormat
{
    private static readonly JsonSerializerOptions Json = CanonicalJson.Options;

    // Confluent's member order (reference §3); members we do not model keep their place in it when rewritten.
    private static readonly string[] SchemaOrder = ["subject", "version", "id", "md5", "schemaType", "references", "metadata", "ruleSet", "schema", "deleted"];
    private static readonly string[] ConfigOrder =
    [
        "subject", "compatibilityLevel", "compatibilityPolicy", "compatibilityGroup", "normalize", "validateFields", "validateRules",
        "validateNewSchemas", "alias", "aliasForDeks", "defaultMetadata", "overrideMetadata", "defaultRuleSet", "overrideRuleSet",
    ];
    private static readonly string[] ModeOrder = ["subject", "mode"];
    // What our model reads; anything else in a value is kept for rewrites. offset and ts are set by Confluent's reader, never meaningful in the topic.
    private static readonly HashSet<string> SchemaModelled = [.. SchemaOrder, "ruleset", "offset", "ts"];
    private static readonly HashSet<string> ConfigModelled =
        [.. ConfigOrder.Except(["validateRules"]), "offset", "ts"];
    private static readonly HashSet<string> ModeModelled = [.. ModeOrder, "offset", "ts"];

    /// <summary>Our gateway policies were once written to <c>_schemas</c> under this keytype; they are read and moved to the registry topic.</summary>
    public const string LegacyPolicyKeyType = "REGISTRY_POLICY";

    /// <summary>The record for an event of <c>_schemas</c>; <paramref name="unknown"/> holds the members of the record it replaces that we do not model.</summary>
    public static (string Key, string? Value) Encode(RegistryEvent e, JsonObject? unknown = null) => e switch
    {
        SchemaRegistered r => (KeyOf(e)!, SchemaValue(r, unknown)),
        VersionHardDeleted => (KeyOf(e)!, null),
        SubjectSoftDeleted d => (KeyOf(e)!, JacksonJson.Write(new JsonObject { ["subject"] = d.Subject, ["version"] = d.Version })),
        ConfigSet c => (KeyOf(e)!, ConfigValue(c, unknown)),
        ConfigCleared or ModeCleared => (KeyOf(e)!, null),
        ModeSet m => (KeyOf(e)!, ModeValue(m, unknown)),
        _ => throw new ArgumentException($"{e.GetType().Name} is not a _schemas record", nameof(e)),
    };

    /// <summary>The key Confluent writes for the record of an event, or null for events that do not live in <c>_schemas</c>.</summary>
    public static string? KeyOf(RegistryEvent e) => e switch
    {
        SchemaRegistered r => Key("SCHEMA", r.Subject, r.Version, magic: 1),
        VersionHardDeleted d => Key("SCHEMA", d.Subject, d.Version, magic: 1),
        SubjectSoftDeleted d => Key("DELETE_SUBJECT", d.Subject, null, 0),
        ConfigSet c => Key("CONFIG", c.Subject, null, 0),
        ConfigCleared c => Key("CONFIG", c.Subject, null, 0),
        ModeSet m => Key("MODE", m.Subject, null, 0),
        ModeCleared m => Key("MODE", m.Subject, null, 0),
        _ => null,
    };

    /// <summary>Confluent's NOOP key (its value is null): a record that changes nothing.</summary>
    public static string NoopKey => Key("NOOP", null, null, 0);

    public static TopicRecord Decode(string? key, string? value, long timestamp)
    {
        try
        {
            if (key is null) return new(new LogNoop("record without a key"), null, null);
            var k = JsonNode.Parse(key)?.AsObject() ?? throw new JsonException("empty key");
            var keytype = (string?)k["keytype"];
            var subject = (string?)k["subject"];
            var v = value is null ? null : JsonNode.Parse(value)?.AsObject() ?? throw new JsonException("a value that is not an object");
            RegistryEvent e = keytype switch
            {
                "SCHEMA" when v is null => new VersionHardDeleted(Subject(subject)!, (int)k["version"]!),
                "SCHEMA" => DecodeSchema(v, subject, timestamp),
                "CONFIG" when v is null => new ConfigCleared(Subject(subject)),
                "CONFIG" => new ConfigSet(Subject(subject ?? (string?)v["subject"]), DecodeConfig(v)),
                "MODE" when v is null => new ModeCleared(Subject(subject)),
                "MODE" => DecodeMode(subject, v),
                "DELETE_SUBJECT" when v is not null => new SubjectSoftDeleted(Subject((string?)v["subject"] ?? subject)!, (int)v["version"]!),
                LegacyPolicyKeyType when v is null => new PolicyDeleted((string)k["topic"]!),
                LegacyPolicyKeyType => new PolicySet((string)k["topic"]!, v.Deserialize<TopicPolicy>(Json)!),
                // Confluent's own kinds that change nothing we model (a NOOP marks an offset; CLEAR_SUBJECT clears its caches).
                "NOOP" or "CLEAR_SUBJECT" or "CONTEXT" or "ASSOC" or "DELETE_SUBJECT" => new LogNoop(),
                _ => new LogNoop("unknown keytype " + (keytype ?? "(none)")),
            };
            var known = e switch
            {
                SchemaRegistered => SchemaModelled,
                ConfigSet => ConfigModelled,
                ModeSet => ModeModelled,
                _ => null,
            };
            return new(e, key, known is null || v is null ? null : UnknownMembers(v, known));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NullReferenceException or ArgumentException)
        {
            return new(new LogNoop("unreadable record: " + e.Message), null, null);
        }
    }

    private static JsonObject? UnknownMembers(JsonObject value, HashSet<string> modelled)
    {
        JsonObject? unknown = null;
        foreach (var (name, member) in value)
        {
            if (modelled.Contains(name) || member is null) continue;
            (unknown ??= [])[name] = member.DeepClone();
        }
        return unknown;
    }

    /// <summary>Confluent's subject for global scope is absent (or <c>:.__GLOBAL:</c>); ours is null.</summary>
    private static string? Subject(string? subject) =>
        string.IsNullOrEmpty(subject) || subject == ":.__GLOBAL:" ? null : QualifiedSubject.Normalize(subject);

    private static string Key(string keytype, string? subject, int? version, int magic)
    {
        var key = new JsonObject { ["keytype"] = keytype };
        if (!string.IsNullOrEmpty(subject)) key["subject"] = subject;
        if (version is not null) key["version"] = version.Value;
        key["magic"] = magic;
        return JacksonJson.Write(key);
    }

    private static string SchemaValue(SchemaRegistered r, JsonObject? unknown)
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
        return JacksonJson.Write(InOrder(value, unknown, SchemaOrder));
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

    private static string ConfigValue(ConfigSet c, JsonObject? unknown)
    {
        var value = JsonSerializer.SerializeToNode(c.Config, Json)!.AsObject();
        if (c.Subject is not null) value.Insert(0, "subject", c.Subject);
        return JacksonJson.Write(InOrder(value, unknown, ConfigOrder));
    }

    private static SubjectConfig DecodeConfig(JsonObject v)
    {
        var node = (JsonObject)v.DeepClone();
        node.Remove("subject");
        return node.Deserialize<SubjectConfig>(Json) ?? new SubjectConfig();
    }

    private static string ModeValue(ModeSet m, JsonObject? unknown)
    {
        var value = new JsonObject();
        if (m.Subject is not null) value["subject"] = m.Subject;
        value["mode"] = m.Mode.ToName();
        return JacksonJson.Write(InOrder(value, unknown, ModeOrder));
    }

    private static RegistryEvent DecodeMode(string? keySubject, JsonObject v) =>
        RegistryModes.TryParse((string?)v["mode"], out var mode)
            ? new ModeSet(Subject(keySubject ?? (string?)v["subject"]), mode)
            : new LogNoop("unknown mode");

    /// <summary>Our members and the kept unknown ones, in Confluent's order; members it does not list go last.</summary>
    private static JsonObject InOrder(JsonObject ours, JsonObject? unknown, string[] order)
    {
        if (unknown is null || unknown.Count == 0) return Sorted(ours, order);
        foreach (var (name, member) in unknown)
            if (!ours.ContainsKey(name)) ours[name] = member?.DeepClone();
        return Sorted(ours, order);
    }

    private static JsonObject Sorted(JsonObject value, string[] order)
    {
        var sorted = new JsonObject();
        foreach (var (name, member) in value
            .Select((m, i) => (m, i))
            .OrderBy(x => Array.IndexOf(order, x.m.Key) is var at and >= 0 ? at : order.Length + x.i)
            .Select(x => x.m).ToList())
        {
            value.Remove(name);
            sorted[name] = member;
        }
        return sorted;
    }
}
