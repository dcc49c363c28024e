using System.Collections.Immutable;

namespace Registry.Core.Model;

/// <summary>Data-contract metadata: tags by path, free properties and the names of sensitive properties.</summary>
public sealed record Metadata(
    ImmutableSortedDictionary<string, ImmutableSortedSet<string>>? Tags,
    ImmutableSortedDictionary<string, string>? Properties,
    ImmutableSortedSet<string>? Sensitive)
{
    /// <summary>Returns null when nothing is set, as Confluent omits empty metadata.</summary>
    public Metadata? NullIfEmpty() =>
        (Tags is null || Tags.Count == 0) && (Properties is null || Properties.Count == 0) && (Sensitive is null || Sensitive.Count == 0)
            ? null
            : new Metadata(
                Tags is { Count: > 0 } ? Tags : null,
                Properties is { Count: > 0 } ? Properties : null,
                Sensitive is { Count: > 0 } ? Sensitive : null);

    /// <summary>Confluent's Metadata.merge: the newer maps win key by key, sensitive names are united.</summary>
    public static Metadata? Merge(Metadata? older, Metadata? newer)
    {
        if (older is null) return newer;
        if (newer is null) return older;
        var tags = (older.Tags ?? ImmutableSortedDictionary<string, ImmutableSortedSet<string>>.Empty).SetItems(
            newer.Tags ?? ImmutableSortedDictionary<string, ImmutableSortedSet<string>>.Empty);
        var props = (older.Properties ?? ImmutableSortedDictionary<string, string>.Empty).SetItems(
            newer.Properties ?? ImmutableSortedDictionary<string, string>.Empty);
        var sensitive = (older.Sensitive ?? []).Union(newer.Sensitive ?? []);
        return new Metadata(tags, props, sensitive).NullIfEmpty();
    }

    /// <summary>The reserved property in which Confluent records the version a schema was registered as.</summary>
    public const string ConfluentVersion = "confluent:version";

    /// <summary><c>confluent:version</c> as a number, or null when absent or not a number.</summary>
    public static int? ConfluentVersionOf(Metadata? metadata) =>
        metadata?.Properties?.GetValueOrDefault(ConfluentVersion) is { } text
            && int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>The reserved property naming fields (comma-separated) that later versions may not drop from it nor use.</summary>
    public const string ConfluentReserved = "confluent:reserved";

    /// <summary>The field names <c>confluent:reserved</c> lists.</summary>
    public static IReadOnlySet<string> ReservedFields(Metadata? metadata) =>
        metadata?.Properties?.GetValueOrDefault(ConfluentReserved) is { } text
            ? text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>();

    public static bool HasConfluentVersion(Metadata? metadata) => metadata?.Properties?.ContainsKey(ConfluentVersion) == true;

    public static Metadata? WithConfluentVersion(Metadata? metadata, int version) =>
        Merge(metadata, new Metadata(null, ImmutableSortedDictionary<string, string>.Empty.Add(ConfluentVersion, version.ToString(System.Globalization.CultureInfo.InvariantCulture)), null));

    public static Metadata? WithoutConfluentVersion(Metadata? metadata) =>
        metadata?.Properties is { } properties ? (metadata with { Properties = properties.Remove(ConfluentVersion) }).NullIfEmpty() : metadata;

    public bool Equals(Metadata? other) =>
        other is not null && CanonicalJson.Serialize(this) == CanonicalJson.Serialize(other);

    public override int GetHashCode() => CanonicalJson.Serialize(this).GetHashCode(StringComparison.Ordinal);
}
