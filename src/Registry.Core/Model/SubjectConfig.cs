namespace Registry.Core.Model;

/// <summary>Configuration of a subject, a context or the registry; null members are not set at this scope.</summary>
public sealed record SubjectConfig(
    string? CompatibilityLevel = null,
    string? CompatibilityPolicy = null,
    string? CompatibilityGroup = null,
    bool? Normalize = null,
    bool? ValidateFields = null,
    string? Alias = null,
    Metadata? DefaultMetadata = null,
    Metadata? OverrideMetadata = null,
    RuleSet? DefaultRuleSet = null,
    RuleSet? OverrideRuleSet = null,
    bool? ValidateNewSchemas = null,
    string? AliasForDeks = null)
{
    /// <summary>Members set in <paramref name="update"/> replace ours; the others are kept.</summary>
    public SubjectConfig With(SubjectConfig update) => new(
        update.CompatibilityLevel ?? CompatibilityLevel,
        update.CompatibilityPolicy ?? CompatibilityPolicy,
        update.CompatibilityGroup ?? CompatibilityGroup,
        update.Normalize ?? Normalize,
        update.ValidateFields ?? ValidateFields,
        update.Alias ?? Alias,
        update.DefaultMetadata ?? DefaultMetadata,
        update.OverrideMetadata ?? OverrideMetadata,
        update.DefaultRuleSet ?? DefaultRuleSet,
        update.OverrideRuleSet ?? OverrideRuleSet,
        update.ValidateNewSchemas ?? ValidateNewSchemas,
        update.AliasForDeks ?? AliasForDeks);

    /// <summary>Whether the config adds metadata or rules to every registration (Confluent's hasDefaultsOrOverrides).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool HasDefaultsOrOverrides => DefaultMetadata is not null || OverrideMetadata is not null || DefaultRuleSet is not null || OverrideRuleSet is not null;

    /// <summary>This config with the named members unset (a PUT that sends a member as null clears it, as Confluent).</summary>
    public SubjectConfig Without(IReadOnlySet<string> members) => new(
        members.Contains(nameof(CompatibilityLevel)) ? null : CompatibilityLevel,
        members.Contains(nameof(CompatibilityPolicy)) ? null : CompatibilityPolicy,
        members.Contains(nameof(CompatibilityGroup)) ? null : CompatibilityGroup,
        members.Contains(nameof(Normalize)) ? null : Normalize,
        members.Contains(nameof(ValidateFields)) ? null : ValidateFields,
        members.Contains(nameof(Alias)) ? null : Alias,
        members.Contains(nameof(DefaultMetadata)) ? null : DefaultMetadata,
        members.Contains(nameof(OverrideMetadata)) ? null : OverrideMetadata,
        members.Contains(nameof(DefaultRuleSet)) ? null : DefaultRuleSet,
        members.Contains(nameof(OverrideRuleSet)) ? null : OverrideRuleSet,
        members.Contains(nameof(ValidateNewSchemas)) ? null : ValidateNewSchemas,
        members.Contains(nameof(AliasForDeks)) ? null : AliasForDeks);

    /// <summary>Our members where set, else the fallback's (the config lookup chain).</summary>
    public SubjectConfig Or(SubjectConfig? fallback) => fallback is null ? this : fallback.With(this);
}
