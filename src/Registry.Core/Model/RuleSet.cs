using System.Collections.Immutable;

namespace Registry.Core.Model;

/// <summary>The rules of a data contract, by list.</summary>
public sealed record RuleSet(
    ImmutableArray<Rule>? MigrationRules,
    ImmutableArray<Rule>? DomainRules,
    ImmutableArray<Rule>? EncodingRules,
    string? EnableAt)
{
    public RuleSet? NullIfEmpty() =>
        IsEmpty(MigrationRules) && IsEmpty(DomainRules) && IsEmpty(EncodingRules) && string.IsNullOrEmpty(EnableAt)
            ? null
            : new RuleSet(
                IsEmpty(MigrationRules) ? null : MigrationRules,
                IsEmpty(DomainRules) ? null : DomainRules,
                IsEmpty(EncodingRules) ? null : EncodingRules,
                string.IsNullOrEmpty(EnableAt) ? null : EnableAt);

    /// <summary>Confluent's RuleSet.merge: per list, older rules named again in the newer list are replaced.</summary>
    public static RuleSet? Merge(RuleSet? older, RuleSet? newer)
    {
        if (older is null) return newer;
        if (newer is null) return older;
        return new RuleSet(
            MergeList(older.MigrationRules, newer.MigrationRules),
            MergeList(older.DomainRules, newer.DomainRules),
            MergeList(older.EncodingRules, newer.EncodingRules),
            newer.EnableAt ?? older.EnableAt).NullIfEmpty();
    }

    /// <summary>
    /// Whether the rules of <paramref name="ruleSet"/> run in <paramref name="environment"/> (<c>CLIENT</c>, <c>GATEWAY</c>,
    /// <c>SERVER</c>): its <c>enableAt</c> is absent, <c>ALL</c> or that environment; <c>NONE</c> runs them nowhere.
    /// Confluent's clients run rules only at <c>ALL</c> or <c>CLIENT</c>.
    /// </summary>
    public static bool IsEnabledAt(RuleSet? ruleSet, string environment) =>
        ruleSet?.EnableAt is not { Length: > 0 } at || at.Equals("ALL", StringComparison.OrdinalIgnoreCase) || at.Equals(environment, StringComparison.OrdinalIgnoreCase);

    [System.Text.Json.Serialization.JsonIgnore]
    public IEnumerable<Rule> AllRules =>
        (MigrationRules ?? []).Concat(DomainRules ?? []).Concat(EncodingRules ?? []);

    private static ImmutableArray<Rule>? MergeList(ImmutableArray<Rule>? older, ImmutableArray<Rule>? newer)
    {
        if (IsEmpty(older)) return newer;
        if (IsEmpty(newer)) return older;
        var names = newer!.Value.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        return older!.Value.Where(r => !names.Contains(r.Name)).Concat(newer.Value).ToImmutableArray();
    }

    private static bool IsEmpty(ImmutableArray<Rule>? rules) => rules is null || rules.Value.IsDefaultOrEmpty;

    public bool Equals(RuleSet? other) =>
        other is not null && CanonicalJson.Serialize(this) == CanonicalJson.Serialize(other);

    public override int GetHashCode() => CanonicalJson.Serialize(this).GetHashCode(StringComparison.Ordinal);
}
