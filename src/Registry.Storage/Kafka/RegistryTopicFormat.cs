using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Core.Events;
using Registry.Core.Model;

namespace Registry.Storage.Kafka;

/// <summary>
/// Our own compacted topic (default <c>_registry</c>), for record kinds Confluent's <c>_schemas</c> has no keytype
/// for: a Confluent reader throws on an unknown keytype, so they never go to <c>_schemas</c>. Keys and values are
/// JSON; a null value is a tombstone. WRITER records name the node that currently writes, for forwarding.
/// KEK and DEK records of the DEK registry have Confluent's <c>_dek_registry_keys</c> keys and values (a <c>type</c>
/// member instead of <c>keytype</c>), with our write time added as <c>ts</c>; they are kept here, not in a topic of
/// their own yet (docs/kafka.md).
/// </summary>
public static class RegistryTopicFormat
{
    private static readonly JsonSerializerOptions Json = CanonicalJson.Options;

    public const string WriterKeyType = "WRITER";

    public static string? KeyOf(RegistryEvent e) => e switch
    {
        PolicySet p => PolicyKey(p.Topic),
        PolicyDeleted p => PolicyKey(p.Topic),
        KekPut k => KekKey(k.Kek.Name),
        KekRemoved k => KekKey(k.Name),
        DekPut d => DekKey(d.Dek.KekName, d.Dek.Subject, d.Dek.Algorithm, d.Dek.Version),
        DekRemoved d => DekKey(d.KekName, d.Subject, d.Algorithm, d.Version),
        _ => null,
    };

    public static (string Key, string? Value) Encode(RegistryEvent e) => e switch
    {
        PolicySet p => (PolicyKey(p.Topic), JacksonJson.Write(JsonSerializer.SerializeToNode(p.Policy, Json))),
        PolicyDeleted p => (PolicyKey(p.Topic), null),
        KekPut k => (KekKey(k.Kek.Name), JacksonJson.Write(KekValue(k.Kek))),
        DekPut d => (KeyOf(d)!, JacksonJson.Write(DekValue(d.Dek))),
        KekRemoved or DekRemoved => (KeyOf(e)!, null),
        _ => throw new ArgumentException($"{e.GetType().Name} is not a registry-topic record", nameof(e)),
    };

    public static (string Key, string Value) Writer(string url, string node) =>
        (JacksonJson.Write(new JsonObject { ["keytype"] = WriterKeyType }), JacksonJson.Write(new JsonObject { ["url"] = url, ["node"] = node }));

    /// <summary>The event of a record, or the writer's URL for a WRITER record (its event is then a no-op).</summary>
    public static (RegistryEvent Event, string? WriterUrl) Decode(string? key, string? value)
    {
        try
        {
            var k = key is null ? null : JsonNode.Parse(key)?.AsObject();
            return (string?)k?["keytype"] switch
            {
                "POLICY" when value is null => (new PolicyDeleted((string)k!["topic"]!), null),
                "POLICY" => (new PolicySet((string)k!["topic"]!, JsonSerializer.Deserialize<TopicPolicy>(value, Json)!), null),
                WriterKeyType when value is not null => (new LogNoop("writer"), (string?)JsonNode.Parse(value)?["url"]),
                null when (string?)k?["type"] == "KEK" => (value is null ? new KekRemoved((string)k!["name"]!) : new KekPut(ReadKek(JsonNode.Parse(value)!)), null),
                null when (string?)k?["type"] == "DEK" => (value is null
                    ? new DekRemoved((string)k!["kekName"]!, (string)k["subject"]!, Enum.Parse<DekAlgorithm>((string)k["algorithm"]!), (int)k["version"]!)
                    : new DekPut(ReadDek(JsonNode.Parse(value)!)), null),
                var other => (new LogNoop(other ?? "no keytype"), null),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NullReferenceException or ArgumentException)
        {
            return (new LogNoop("unreadable record: " + e.Message), null);
        }
    }

    private static string KekKey(string name) => JacksonJson.Write(new JsonObject { ["tenant"] = "default", ["name"] = name, ["type"] = "KEK" });

    private static string DekKey(string kek, string subject, DekAlgorithm algorithm, int version) => JacksonJson.Write(new JsonObject
    {
        ["tenant"] = "default",
        ["kekName"] = kek,
        ["subject"] = subject,
        ["algorithm"] = algorithm.ToString(),
        ["version"] = version,
        ["type"] = "DEK",
    });

    private static JsonObject KekValue(Kek kek)
    {
        var props = new JsonObject();
        foreach (var (name, value) in kek.KmsProps) props[name] = value;
        var o = new JsonObject { ["name"] = kek.Name, ["kmsType"] = kek.KmsType, ["kmsKeyId"] = kek.KmsKeyId, ["kmsProps"] = props };
        if (kek.Doc is not null) o["doc"] = kek.Doc;
        o["shared"] = kek.Shared;
        o["deleted"] = kek.Deleted;
        o["type"] = "KEK";
        o["ts"] = kek.Timestamp;
        return o;
    }

    private static JsonObject DekValue(Dek dek)
    {
        var o = new JsonObject { ["kekName"] = dek.KekName, ["subject"] = dek.Subject, ["algorithm"] = dek.Algorithm.ToString(), ["version"] = dek.Version };
        if (dek.EncryptedKeyMaterial is not null) o["encryptedKeyMaterial"] = dek.EncryptedKeyMaterial;
        o["deleted"] = dek.Deleted;
        o["type"] = "DEK";
        o["ts"] = dek.Timestamp;
        return o;
    }

    private static Kek ReadKek(JsonNode v) => new(
        (string)v["name"]!, (string)v["kmsType"]!, (string)v["kmsKeyId"]!,
        (v["kmsProps"]?.AsObject() ?? []).ToImmutableSortedDictionary(p => p.Key, p => (string?)p.Value ?? "", StringComparer.Ordinal),
        (string?)v["doc"], (bool?)v["shared"] ?? false, (bool?)v["deleted"] ?? false, (long?)v["ts"] ?? 0);

    private static Dek ReadDek(JsonNode v) => new(
        (string)v["kekName"]!, (string)v["subject"]!, (int)v["version"]!, Enum.Parse<DekAlgorithm>((string)v["algorithm"]!),
        (string?)v["encryptedKeyMaterial"], (bool?)v["deleted"] ?? false, (long?)v["ts"] ?? 0);

    private static string PolicyKey(string topic) => JacksonJson.Write(new JsonObject { ["keytype"] = "POLICY", ["topic"] = topic });
}
