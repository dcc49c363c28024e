using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Registry.Core.Model;

/// <summary>The DEK algorithms Confluent's clients use (Tink key templates).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DekAlgorithm>))]
public enum DekAlgorithm
{
#pragma warning disable CA1707 // Confluent's names, on the wire and in the store.
    AES128_GCM,
    AES256_GCM,
    AES256_SIV,
#pragma warning restore CA1707
}

/// <summary>
/// A key-encryption key as the DEK registry stores it: a name, the KMS key it stands for, the KMS properties, a doc,
/// whether the registry may call the KMS itself (<see cref="Shared"/>), the soft-delete flag and the time of the last
/// write. The registry never holds a KEK's key material.
/// </summary>
public sealed record Kek(
    string Name,
    string KmsType,
    string KmsKeyId,
    ImmutableSortedDictionary<string, string> KmsProps,
    string? Doc,
    bool Shared,
    bool Deleted,
    long Timestamp)
{
    /// <summary>The same KEK definition (what a create must repeat exactly), the deleted flag and time aside.</summary>
    public bool SameDefinition(Kek other) =>
        Name == other.Name && KmsType == other.KmsType && KmsKeyId == other.KmsKeyId && Doc == other.Doc && Shared == other.Shared
        && KmsProps.Count == other.KmsProps.Count && KmsProps.All(p => other.KmsProps.TryGetValue(p.Key, out var v) && v == p.Value);
}

/// <summary>
/// A data-encryption key version for a subject under a KEK: the DEK wrapped by the KEK (base64), never the raw key.
/// </summary>
public sealed record Dek(
    string KekName,
    string Subject,
    int Version,
    DekAlgorithm Algorithm,
    string? EncryptedKeyMaterial,
    bool Deleted,
    long Timestamp)
{
    public DekKey Key => new(KekName, Subject, Algorithm, Version);
}

/// <summary>A DEK's identity, ordered as Confluent orders its keys: KEK, subject, algorithm, version.</summary>
public readonly record struct DekKey(string KekName, string Subject, DekAlgorithm Algorithm, int Version) : IComparable<DekKey>
{
    public int CompareTo(DekKey other)
    {
        var c = string.CompareOrdinal(KekName, other.KekName);
        if (c == 0) c = string.CompareOrdinal(Subject, other.Subject);
        if (c == 0) c = Algorithm.CompareTo(other.Algorithm);
        return c != 0 ? c : Version.CompareTo(other.Version);
    }

    public static bool operator <(DekKey left, DekKey right) => left.CompareTo(right) < 0;

    public static bool operator >(DekKey left, DekKey right) => left.CompareTo(right) > 0;

    public static bool operator <=(DekKey left, DekKey right) => left.CompareTo(right) <= 0;

    public static bool operator >=(DekKey left, DekKey right) => left.CompareTo(right) >= 0;
}

/// <summary>Key material as the DEK registry and its clients carry it: standard base64.</summary>
public static class KeyMaterialText
{
    /// <summary>How many bytes a base64 text decodes to, or -1 when it is not base64.</summary>
    public static int DecodedLength(string text)
    {
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(text, buffer, out var written) ? written : -1;
    }

    /// <summary>Whether a text is non-empty standard base64.</summary>
    public static bool IsBase64(string text) => text.Length > 0 && DecodedLength(text) >= 0;
}
