using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Core.Events;
using Registry.Core.Model;

namespace Registry.Storage.Kafka;

/// <summary>
/// Confluent's DEK registry topic (default <c>_dek_registry_keys</c>): keys and values are the JSON Confluent's
/// Jackson mapper writes for its KEK and DEK storage classes, with a <c>type</c> member (<c>KEK</c>/<c>DEK</c>) in
/// both and no <c>keytype</c>; a permanent delete is a tombstone. As in Confluent, a key's time is its record's
/// timestamp, not a value member.
/// </summary>
public static class DekRegistryTopicFormat
{
    public static string? KeyOf(RegistryEvent e) => e switch
    {
        KekPut k => KekKey(k.Kek.Name),
        KekRemoved k => KekKey(k.Name),
        DekPut d => DekKey(d.Dek.KekName, d.Dek.Subject, d.Dek.Algorithm, d.Dek.Version),
        DekRemoved d => DekKey(d.KekName, d.Subject, d.Algorithm, d.Version),
        _ => null,
    };

    /// <summary>The record of a key event, and the timestamp it carries (0: the producer's time).</summary>
    public static (string Key, string? Value, long Timestamp) Encode(RegistryEvent e) => e switch
    {
        KekPut k => (KeyOf(e)!, JacksonJson.Write(KekValue(k.Kek)), k.Kek.Timestamp),
        DekPut d => (KeyOf(e)!, JacksonJson.Write(DekValue(d.Dek)), d.Dek.Timestamp),
        KekRemoved or DekRemoved => (KeyOf(e)!, null, 0),
        _ => throw new ArgumentException($"{e.GetType().Name} is not a DEK registry record", nameof(e)),
    };

    /// <summary>The removal of the key a key event writes (a tombstone of the same key).</summary>
    public static RegistryEvent Removal(RegistryEvent e) => e switch
    {
        KekPut k => new KekRemoved(k.Kek.Name),
        DekPut d => new DekRemoved(d.Dek.KekName, d.Dek.Subject, d.Dek.Algorithm, d.Dek.Version),
        KekRemoved or DekRemoved => e,
        _ => throw new ArgumentException($"{e.GetType().Name} is not a DEK registry record", nameof(e)),
    };

    /// <summary>Whether a parsed key is a DEK registry key (a <c>type</c> member, no <c>keytype</c>).</summary>
    public static bool IsKey(JsonObject? key) => key is not null && !key.ContainsKey("keytype") && (string?)key["type"] is "KEK" or "DEK";

    /// <summary>
    /// The event of a record; its time is a <c>ts</c> member when there is one (written by an earlier version of
    /// this registry), else the record's <paramref name="timestamp"/>. Unreadable records are no-ops.
    /// </summary>
    public static RegistryEvent Decode(string? key, string? value, long timestamp)
    {
        try
        {
            var k = key is null ? null : JsonNode.Parse(key)?.AsObject();
            return (string?)k?["type"] switch
            {
                _ when !IsKey(k) => new LogNoop("not a DEK registry key"),
                "KEK" => value is null ? new KekRemoved((string)k!["name"]!) : new KekPut(ReadKek(JsonNode.Parse(value)!, timestamp)),
                _ => value is null
                    ? new DekRemoved((string)k!["kekName"]!, (string)k["subject"]!, Enum.Parse<DekAlgorithm>((string)k["algorithm"]!), (int)k["version"]!)
                    : new DekPut(ReadDek(JsonNode.Parse(value)!, timestamp)),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NullReferenceException or ArgumentException)
        {
            return new LogNoop("unreadable record: " + e.Message);
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
        return o;
    }

    private static JsonObject DekValue(Dek dek)
    {
        var o = new JsonObject { ["kekName"] = dek.KekName, ["subject"] = dek.Subject, ["algorithm"] = dek.Algorithm.ToString(), ["version"] = dek.Version };
        if (dek.EncryptedKeyMaterial is not null) o["encryptedKeyMaterial"] = dek.EncryptedKeyMaterial;
        o["deleted"] = dek.Deleted;
        o["type"] = "DEK";
        return o;
    }

    private static Kek ReadKek(JsonNode v, long timestamp) => new(
        (string)v["name"]!, (string)v["kmsType"]!, (string)v["kmsKeyId"]!,
        (v["kmsProps"]?.AsObject() ?? []).ToImmutableSortedDictionary(p => p.Key, p => (string?)p.Value ?? "", StringComparer.Ordinal),
        (string?)v["doc"], (bool?)v["shared"] ?? false, (bool?)v["deleted"] ?? false, (long?)v["ts"] ?? timestamp);

    private static Dek ReadDek(JsonNode v, long timestamp) => new(
        (string)v["kekName"]!, (string)v["subject"]!, (int)v["version"]!, Enum.Parse<DekAlgorithm>((string)v["algorithm"]!),
        (string?)v["encryptedKeyMaterial"], (bool?)v["deleted"] ?? false, (long?)v["ts"] ?? timestamp);
}
