using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Registry.Core.Model;

/// <summary>
/// What the produce-time gateway enforces on one topic: checks on record keys and/or values, and whether
/// tombstones (null values) pass. Stored in the registry log; the gateway reads it from <c>/v1/policies</c>.
/// </summary>
public sealed partial record TopicPolicy
{
    /// <summary>Checks on record keys; null leaves keys alone.</summary>
    public PayloadPolicy? Key { get; init; }

    /// <summary>Checks on record values; null leaves values alone.</summary>
    public PayloadPolicy? Value { get; init; }

    /// <summary>Whether a record with a null value (a tombstone) passes. Default true.</summary>
    public bool AllowTombstones { get; init; } = true;

    /// <summary>Null when valid, else why not.</summary>
    public string? Problem(string topic)
    {
        if (topic.Length is 0 or > 249 || !TopicName().IsMatch(topic) || topic is "." or "..")
            return $"'{Errors.Printable(topic, 100)}' is not a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -)";
        if (Key is null && Value is null) return "a policy needs a 'key' or a 'value' check";
        return Key?.Problem("key") ?? Value?.Problem("value");
    }

    [GeneratedRegex("^[a-zA-Z0-9._-]+$")]
    private static partial Regex TopicName();
}

/// <summary>How a key or value is checked.</summary>
public sealed record PayloadPolicy
{
    public static readonly string[] Strategies = ["TopicNameStrategy", "RecordNameStrategy", "TopicRecordNameStrategy"];

    public static readonly string[] Checks = ["id", "payload", "rules"];

    /// <summary>The subject-name strategy that ties the topic to subjects. Default TopicNameStrategy.</summary>
    public string Strategy { get; init; } = "TopicNameStrategy";

    /// <summary>
    /// "id": Confluent wire format and a schema id registered under the strategy's subject; "payload": also
    /// that the data parses against that schema; "rules": also the subject's CEL CONDITION rules. Default "id".
    /// </summary>
    public string Check { get; init; } = "id";

    /// <summary>Whether a null key or value passes this check (for values, tombstones are governed by <see cref="TopicPolicy.AllowTombstones"/>). Default false for keys.</summary>
    [JsonPropertyName("allowNull")]
    public bool AllowNull { get; init; }

    /// <summary>
    /// Whether fields that the schema's ENCRYPT rules cover (by tag) must arrive encrypted, so a producer that forgot its
    /// encryption executor cannot write them in plaintext (docs/encryption.md). The gateway needs no key for it. Default false.
    /// </summary>
    public bool RequireEncryption { get; init; }

    public string? Problem(string what) =>
        !Strategies.Contains(Strategy) ? $"{what}.strategy must be one of {string.Join(", ", Strategies)}"
        : !Checks.Contains(Check) ? $"{what}.check must be one of {string.Join(", ", Checks)}"
        : null;
}
