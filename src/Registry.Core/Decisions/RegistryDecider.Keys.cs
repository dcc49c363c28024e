using System.Collections.Immutable;
using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Core.State;

namespace Registry.Core.Decisions;

/// <summary>POST /dek-registry/v1/keks.</summary>
public sealed record CreateKekCommand(string? Name, string? KmsType, string? KmsKeyId, IReadOnlyDictionary<string, string>? KmsProps, string? Doc, bool? Shared, bool? Deleted);

/// <summary>PUT /dek-registry/v1/keks/{name}: each member replaces the stored one only when it was sent.</summary>
public sealed record UpdateKekCommand(bool HasKmsProps, IReadOnlyDictionary<string, string>? KmsProps, bool HasDoc, string? Doc, bool? Shared);

/// <summary>
/// POST /dek-registry/v1/keks/{name}/deks/{subject}. <see cref="Generated"/> marks material the registry made itself
/// (a shared KEK): it never conflicts with what was stored the way sent material does.
/// </summary>
public sealed record CreateDekCommand(string KekName, string Subject, int? Version, DekAlgorithm? Algorithm, string? EncryptedKeyMaterial, bool? Deleted,
    bool Rewrap, bool Generated = false);

/// <summary>
/// The DEK registry, as Confluent's AbstractDekRegistry decides it (../shared/reference/confluent-dek-registry.md §5):
/// creates that conflict unless they repeat a soft-deleted key exactly (which undeletes it), soft deletes that need no
/// live DEK under a KEK, permanent deletes only of what is soft-deleted first, limits counted with deleted keys.
/// </summary>
public sealed partial class RegistryDecider
{
    public const DekAlgorithm DefaultDekAlgorithm = DekAlgorithm.AES256_GCM;

    /// <summary>Confluent's KEK name rule: 1–256 characters, a letter or '_' first, then letters, digits, '_' or '-'.</summary>
    public static string ValidKekName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 256 || !(char.IsLetter(name[0]) || name[0] == '_')
            || !name.All(c => char.IsLetterOrDigit(c) || c is '_' or '-'))
            throw Errors.InvalidKeyError("name");
        return name;
    }

    /// <summary>A DEK's subject: not empty, no control characters.</summary>
    public static string ValidDekSubject(string? subject) =>
        string.IsNullOrEmpty(subject) || subject.Any(char.IsControl) ? throw Errors.InvalidKeyError("subject") : subject;

    /// <summary>Sent key material: non-empty standard base64 (42271 otherwise).</summary>
    public static string ValidKeyMaterial(string material) =>
        KeyMaterialText.IsBase64(material) ? material : throw Errors.InvalidKeyError("encryptedKeyMaterial");

    /// <summary>A KEK, soft-deleted ones only when asked for.</summary>
    public static Kek GetKek(RegistryState state, string name, bool includeDeleted) =>
        state.Keks.TryGetValue(ValidKekName(name), out var kek) && (includeDeleted || !kek.Deleted) ? kek : throw Errors.KeyNotFoundError(name);

    /// <summary>The versions of a subject's DEKs of one algorithm, oldest first.</summary>
    public static IEnumerable<Dek> DekVersions(RegistryState state, string kekName, string subject, DekAlgorithm algorithm, bool includeDeleted) =>
        state.Deks.Values.Where(d => d.KekName == kekName && d.Subject == subject && d.Algorithm == algorithm && (includeDeleted || !d.Deleted))
            .OrderBy(d => d.Version);

    /// <summary>One DEK version; <c>-1</c> is the latest.</summary>
    public static Dek GetDek(RegistryState state, string kekName, string subject, int version, DekAlgorithm algorithm, bool includeDeleted)
    {
        GetKek(state, kekName, includeDeleted);
        ValidDekSubject(subject);
        var dek = version == -1
            ? DekVersions(state, kekName, subject, algorithm, includeDeleted).LastOrDefault()
            : state.Deks.GetValueOrDefault(new DekKey(kekName, subject, algorithm, version)) is { } found && (includeDeleted || !found.Deleted) ? found : null;
        return dek ?? throw Errors.KeyNotFoundError(subject);
    }

    public Decision<Kek> CreateKek(RegistryState state, CreateKekCommand command)
    {
        var name = ValidKekName(command.Name);
        if (string.IsNullOrEmpty(command.KmsType)) throw Errors.InvalidKeyError("kmsType");
        if (string.IsNullOrEmpty(command.KmsKeyId) || !KmsKeyIdFits(command.KmsType, command.KmsKeyId)) throw Errors.InvalidKeyError("kmsKeyId");
        var kek = new Kek(name, NormalizedKmsType(command.KmsType), command.KmsKeyId, Props(command.KmsProps), command.Doc, command.Shared ?? false,
            command.Deleted ?? false, Now);
        if (state.Keks.Count > settings.MaxKeys) throw Errors.TooManyKeysError(settings.MaxKeys);
        if (state.Keks.TryGetValue(name, out var stored) && (stored.Deleted == kek.Deleted || !stored.SameDefinition(kek)))
            throw Errors.KeyExistsError(name);
        return new Decision<Kek>(kek, [new KekPut(kek)]);
    }

    public Decision<Kek> UpdateKek(RegistryState state, string name, UpdateKekCommand command)
    {
        var stored = GetKek(state, name, includeDeleted: false);
        var updated = stored with
        {
            KmsProps = command.HasKmsProps ? Props(command.KmsProps) : stored.KmsProps,
            Doc = command.HasDoc ? command.Doc : stored.Doc,
            Shared = command.Shared ?? stored.Shared,
        };
        if (updated.SameDefinition(stored)) return Decision<Kek>.NoChange(stored);
        updated = updated with { Timestamp = Now };
        return new Decision<Kek>(updated, [new KekPut(updated)]);
    }

    public Decision<Kek> DeleteKek(RegistryState state, string name, bool permanent)
    {
        var kek = GetKek(state, name, includeDeleted: true);
        var deks = state.Deks.Values.Where(d => d.KekName == kek.Name);
        if (permanent)
        {
            if (deks.Any()) throw Errors.KeyReferenceExistsError(kek.Name);
            if (!kek.Deleted) throw Errors.KeyNotSoftDeletedError(kek.Name);
            return new Decision<Kek>(kek, [new KekRemoved(kek.Name)]);
        }
        if (deks.Any(d => !d.Deleted)) throw Errors.KeyReferenceExistsError(kek.Name);
        if (kek.Deleted) return Decision<Kek>.NoChange(kek);
        var deleted = kek with { Deleted = true, Timestamp = Now };
        return new Decision<Kek>(deleted, [new KekPut(deleted)]);
    }

    public Decision<Kek> UndeleteKek(RegistryState state, string name)
    {
        var kek = GetKek(state, name, includeDeleted: true);
        if (!kek.Deleted) return Decision<Kek>.NoChange(kek);
        var live = kek with { Deleted = false, Timestamp = Now };
        return new Decision<Kek>(live, [new KekPut(live)]);
    }

    public Decision<Dek> CreateDek(RegistryState state, CreateDekCommand command)
    {
        var subject = ValidDekSubject(command.Subject);
        if (subject.Length > settings.MaxSubjectLength) throw Errors.InvalidKeyError("subject");
        var deleted = command.Deleted ?? false;
        var kek = GetKek(state, command.KekName, includeDeleted: deleted);
        var algorithm = command.Algorithm ?? DefaultDekAlgorithm;
        var version = command.Version ?? 1;
        if (version < 1) throw Errors.InvalidKeyError("version");
        if (state.Deks.Count > settings.MaxKeys) throw Errors.TooManyKeysError(settings.MaxKeys);
        var old = state.Deks.GetValueOrDefault(new DekKey(kek.Name, subject, algorithm, version));
        var material = command.EncryptedKeyMaterial;
        if (material is not null) ValidKeyMaterial(material);
        // What the client sent: material the registry generated for a shared KEK was not sent.
        var sent = command.Generated ? null : material;
        if (old is not null && !command.Rewrap && (old.Deleted == deleted || sent != old.EncryptedKeyMaterial)) throw Errors.KeyExistsError(subject);
        if (sent is not null && kek.Shared && old is not null) throw Errors.KeyExistsError(subject);
        if (material is null) throw Errors.InvalidKeyError("encryptedKeyMaterial");
        var dek = new Dek(kek.Name, subject, version, algorithm, material, deleted, Now);
        return new Decision<Dek>(dek, [new DekPut(dek)]);
    }

    /// <summary>DELETE …/deks/{subject} (every version of the algorithm) or …/versions/{version} (one; -1 matches none).</summary>
    public Decision<int> DeleteDeks(RegistryState state, string kekName, string subject, DekAlgorithm algorithm, int? version, bool permanent)
    {
        var targets = DekTargets(state, kekName, subject, algorithm, version);
        if (permanent)
        {
            if (targets.FirstOrDefault(d => !d.Deleted) is { } live) throw Errors.KeyNotSoftDeletedError(live.Subject);
            return new Decision<int>(targets.Count, [.. targets.Select(d => (RegistryEvent)new DekRemoved(d.KekName, d.Subject, d.Algorithm, d.Version))]);
        }
        var now = Now;
        return new Decision<int>(targets.Count, [.. targets.Where(d => !d.Deleted).Select(d => (RegistryEvent)new DekPut(d with { Deleted = true, Timestamp = now }))]);
    }

    public Decision<int> UndeleteDeks(RegistryState state, string kekName, string subject, DekAlgorithm algorithm, int? version)
    {
        var targets = DekTargets(state, kekName, subject, algorithm, version);
        if (state.Keks[kekName].Deleted) throw Errors.KeySoftDeletedError(kekName);
        var now = Now;
        return new Decision<int>(targets.Count, [.. targets.Where(d => d.Deleted).Select(d => (RegistryEvent)new DekPut(d with { Deleted = false, Timestamp = now }))]);
    }

    /// <summary>
    /// What a DEK delete or undelete acts on: the KEK must exist (deleted included) and so must a DEK of the subject and
    /// algorithm (or that exact version); as in Confluent, version -1 passes the check but matches no stored version.
    /// </summary>
    private static List<Dek> DekTargets(RegistryState state, string kekName, string subject, DekAlgorithm algorithm, int? version)
    {
        var kek = GetKek(state, kekName, includeDeleted: true);
        ValidDekSubject(subject);
        var all = DekVersions(state, kek.Name, subject, algorithm, includeDeleted: true).ToList();
        if (all.Count == 0) throw Errors.KeyNotFoundError(subject);
        if (version is null) return all;
        if (version == -1) return [];
        return all.FirstOrDefault(d => d.Version == version) is { } one ? [one] : throw Errors.KeyNotFoundError(subject);
    }

    /// <summary>Confluent's shape checks on the key id, made on the kmsType as sent.</summary>
    private static bool KmsKeyIdFits(string kmsType, string kmsKeyId) => kmsType switch
    {
        "aws-kms" => kmsKeyId.StartsWith("arn:aws:kms:", StringComparison.Ordinal),
        "azure-kms" => kmsKeyId.StartsWith("https://", StringComparison.Ordinal),
        "gcp-kms" => kmsKeyId.StartsWith("projects/", StringComparison.Ordinal),
        "hcvault" => kmsKeyId.StartsWith("http://", StringComparison.Ordinal) || kmsKeyId.StartsWith("https://", StringComparison.Ordinal),
        _ => true,
    };

    /// <summary>As Confluent stores it: <c>aws…</c>, <c>azure…</c> and <c>gcp…</c> become the driver names; anything else as sent.</summary>
    public static string NormalizedKmsType(string kmsType)
    {
        var lower = kmsType.ToLowerInvariant();
        return lower.StartsWith("aws", StringComparison.Ordinal) ? "aws-kms"
            : lower.StartsWith("azure", StringComparison.Ordinal) ? "azure-kms"
            : lower.StartsWith("gcp", StringComparison.Ordinal) ? "gcp-kms"
            : kmsType;
    }

    private static ImmutableSortedDictionary<string, string> Props(IReadOnlyDictionary<string, string>? props) =>
        (props ?? new Dictionary<string, string>()).ToImmutableSortedDictionary(StringComparer.Ordinal);
}
