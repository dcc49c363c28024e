using System.Text.Json.Serialization;
using Registry.Core.Model;

namespace Registry.Server.Contracts;

/// <summary>GET /config: the level under <c>compatibilityLevel</c>.</summary>
public sealed record ConfigResponse(
    string? CompatibilityLevel,
    string? CompatibilityPolicy,
    string? CompatibilityGroup,
    bool? Normalize,
    bool? ValidateFields,
    string? Alias,
    Metadata? DefaultMetadata,
    Metadata? OverrideMetadata,
    RuleSet? DefaultRuleSet,
    RuleSet? OverrideRuleSet)
{
    public static ConfigResponse From(SubjectConfig c) => new(c.CompatibilityLevel, c.CompatibilityPolicy, c.CompatibilityGroup, c.Normalize,
        c.ValidateFields, c.Alias, c.DefaultMetadata, c.OverrideMetadata, c.DefaultRuleSet, c.OverrideRuleSet);
}

/// <summary>PUT /config: the level under <c>compatibility</c> (echoed back as sent).</summary>
public sealed class ConfigUpdateRequest
{
    public string? Compatibility { get; set; }

    /// <summary>Some tools send the GET spelling; it is accepted too.</summary>
    [JsonPropertyName("compatibilityLevel")]
    public string? CompatibilityLevel { get; set; }

    public string? CompatibilityPolicy { get; set; }

    public string? CompatibilityGroup { get; set; }

    public bool? Normalize { get; set; }

    public bool? ValidateFields { get; set; }

    public string? Alias { get; set; }

    public Metadata? DefaultMetadata { get; set; }

    public Metadata? OverrideMetadata { get; set; }

    public RuleSet? DefaultRuleSet { get; set; }

    public RuleSet? OverrideRuleSet { get; set; }

    public SubjectConfig ToConfig() => new(Compatibility ?? CompatibilityLevel, CompatibilityPolicy, CompatibilityGroup, Normalize, ValidateFields, Alias,
        DefaultMetadata, OverrideMetadata, DefaultRuleSet, OverrideRuleSet);
}

/// <summary>The echo of a PUT /config.</summary>
public sealed record ConfigUpdateResponse(
    string? Compatibility,
    string? CompatibilityPolicy,
    string? CompatibilityGroup,
    bool? Normalize,
    bool? ValidateFields,
    string? Alias,
    Metadata? DefaultMetadata,
    Metadata? OverrideMetadata,
    RuleSet? DefaultRuleSet,
    RuleSet? OverrideRuleSet)
{
    public static ConfigUpdateResponse From(SubjectConfig c) => new(c.CompatibilityLevel, c.CompatibilityPolicy, c.CompatibilityGroup, c.Normalize,
        c.ValidateFields, c.Alias, c.DefaultMetadata, c.OverrideMetadata, c.DefaultRuleSet, c.OverrideRuleSet);
}

/// <summary>GET/PUT /mode.</summary>
public sealed record ModeBody(string? Mode);

/// <summary>The answer of the compatibility endpoints.</summary>
public sealed record CompatibilityResponse(
    [property: JsonPropertyName("is_compatible")] bool IsCompatible,
    [property: JsonPropertyName("messages")] IReadOnlyList<string>? Messages);
