using System.Collections.Immutable;

namespace Registry.Core.Model;

/// <summary>One data-contract rule (CONDITION or TRANSFORM).</summary>
public sealed record Rule(
    string? Name,
    string? Doc,
    string? Kind,
    string? Mode,
    string? Type,
    ImmutableSortedSet<string>? Tags,
    ImmutableSortedDictionary<string, string>? Params,
    string? Expr,
    string? OnSuccess,
    string? OnFailure,
    bool Disabled)
{
    public bool Equals(Rule? other) =>
        other is not null && CanonicalJson.Serialize(this) == CanonicalJson.Serialize(other);

    public override int GetHashCode() => CanonicalJson.Serialize(this).GetHashCode(StringComparison.Ordinal);
}
