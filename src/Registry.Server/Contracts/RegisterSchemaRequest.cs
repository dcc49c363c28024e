using System.Text.Json.Serialization;
using Registry.Core.Decisions;
using Registry.Core.Model;

namespace Registry.Server.Contracts;

/// <summary>The body of register, lookup and compatibility requests. Unknown members are ignored, as Confluent does.</summary>
public sealed class RegisterSchemaRequest
{
    public string? Schema { get; set; }

    public string? SchemaType { get; set; }

    public List<SchemaReference>? References { get; set; }

    public Metadata? Metadata { get; set; }

    public RuleSet? RuleSet { get; set; }

    /// <summary>Confluent's JsonCreator also accepts the lowercase spelling.</summary>
    [JsonPropertyName("ruleset")]
    public RuleSet? RuleSetLowercase { get; set; }

    /// <summary>Only honoured in IMPORT mode.</summary>
    public int? Id { get; set; }

    /// <summary>Only honoured in IMPORT mode, or when it is the next version.</summary>
    public int? Version { get; set; }

    /// <summary>Ours, only honoured in IMPORT mode with an id: the registration time to keep (ms), as <c>registry export</c> wrote it.</summary>
    public long? Ts { get; set; }

    public SchemaInput ToInput() => new(Schema, SchemaType, References, Metadata, RuleSet ?? RuleSetLowercase);
}
