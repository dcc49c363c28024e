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
    string? AliasForDeks,
    Metadata? DefaultMetadata,
    Metadata? OverrideMetadata,
    RuleSet? DefaultRuleSet,
    RuleSet? OverrideRuleSet,
    bool? ValidateNewSchemas)
{
    public static ConfigResponse From(SubjectConfig c) => new(c.CompatibilityLevel, c.CompatibilityPolicy, c.CompatibilityGroup, c.Normalize,
        c.ValidateFields, c.Alias, c.AliasForDeks, c.DefaultMetadata, c.OverrideMetadata, c.DefaultRuleSet, c.OverrideRuleSet, c.ValidateNewSchemas);
}

/// <summary>PUT /config: the level under <c>compatibility</c>.</summary>
public sealed class ConfigUpdateRequest
{
    private string? _compatibilityPolicy, _compatibilityGroup, _alias, _aliasForDeks;
    private bool? _normalize, _validateFields, _validateNewSchemas;
    private Metadata? _defaultMetadata, _overrideMetadata;
    private RuleSet? _defaultRuleSet, _overrideRuleSet;

    public string? Compatibility { get; set; }

    /// <summary>Some tools send the GET spelling; it is accepted too.</summary>
    [JsonPropertyName("compatibilityLevel")]
    public string? CompatibilityLevel { get; set; }

    // A member sent as null clears that member of the stored config (Confluent's Optional members); an absent one keeps it.
    public string? CompatibilityPolicy { get => _compatibilityPolicy; set => _compatibilityPolicy = Clear(value, nameof(SubjectConfig.CompatibilityPolicy)); }

    public string? CompatibilityGroup { get => _compatibilityGroup; set => _compatibilityGroup = Clear(value, nameof(SubjectConfig.CompatibilityGroup)); }

    public bool? Normalize { get => _normalize; set => _normalize = Clear(value, nameof(SubjectConfig.Normalize)); }

    public bool? ValidateFields { get => _validateFields; set => _validateFields = Clear(value, nameof(SubjectConfig.ValidateFields)); }

    public bool? ValidateNewSchemas { get => _validateNewSchemas; set => _validateNewSchemas = Clear(value, nameof(SubjectConfig.ValidateNewSchemas)); }

    public string? Alias { get => _alias; set => _alias = Clear(value, nameof(SubjectConfig.Alias)); }

    /// <summary>The subject a DEK of this subject is kept under (before <see cref="Alias"/>), as Confluent's aliasForDeks.</summary>
    public string? AliasForDeks { get => _aliasForDeks; set => _aliasForDeks = Clear(value, nameof(SubjectConfig.AliasForDeks)); }

    public Metadata? DefaultMetadata { get => _defaultMetadata; set => _defaultMetadata = Clear(value, nameof(SubjectConfig.DefaultMetadata)); }

    public Metadata? OverrideMetadata { get => _overrideMetadata; set => _overrideMetadata = Clear(value, nameof(SubjectConfig.OverrideMetadata)); }

    public RuleSet? DefaultRuleSet { get => _defaultRuleSet; set => _defaultRuleSet = Clear(value, nameof(SubjectConfig.DefaultRuleSet)); }

    public RuleSet? OverrideRuleSet { get => _overrideRuleSet; set => _overrideRuleSet = Clear(value, nameof(SubjectConfig.OverrideRuleSet)); }

    /// <summary>The members sent as an explicit null.</summary>
    [JsonIgnore]
    public HashSet<string> Cleared { get; } = [];

    private T Clear<T>(T value, string member)
    {
        if (value is null) Cleared.Add(member);
        return value;
    }

    public SubjectConfig ToConfig() => new(Compatibility ?? CompatibilityLevel, CompatibilityPolicy, CompatibilityGroup, Normalize, ValidateFields, Alias,
        DefaultMetadata, OverrideMetadata, DefaultRuleSet, OverrideRuleSet, ValidateNewSchemas, AliasForDeks);
}

/// <summary>The echo of a PUT /config.</summary>
public sealed record ConfigUpdateResponse(
    string? Compatibility,
    string? CompatibilityPolicy,
    string? CompatibilityGroup,
    bool? Normalize,
    bool? ValidateFields,
    string? Alias,
    string? AliasForDeks,
    Metadata? DefaultMetadata,
    Metadata? OverrideMetadata,
    RuleSet? DefaultRuleSet,
    RuleSet? OverrideRuleSet,
    bool? ValidateNewSchemas)
{
    public static ConfigUpdateResponse From(SubjectConfig c) => new(c.CompatibilityLevel, c.CompatibilityPolicy, c.CompatibilityGroup, c.Normalize,
        c.ValidateFields, c.Alias, c.AliasForDeks, c.DefaultMetadata, c.OverrideMetadata, c.DefaultRuleSet, c.OverrideRuleSet, c.ValidateNewSchemas);
}

/// <summary>GET/PUT /mode.</summary>
public sealed record ModeBody(string? Mode);

/// <summary>The answer of the compatibility endpoints.</summary>
public sealed record CompatibilityResponse(
    [property: JsonPropertyName("is_compatible")] bool IsCompatible,
    [property: JsonPropertyName("messages")] IReadOnlyList<string>? Messages);
