using Registry.Core.Model;
using Registry.Core.State;

namespace Registry.Core.Decisions;

public sealed partial class RegistryDecider
{
    /// <summary>POST /subjects/{subject}: the version of the subject holding this schema.</summary>
    public RegisteredSchema Lookup(RegistryState state, string subjectName, SchemaInput input, bool normalize, bool includeDeleted)
    {
        var subject = ValidSubject(subjectName);
        if (!state.Subjects.TryGetValue(subject, out var subjectState) || (!includeDeleted && !subjectState.HasLive))
            throw Errors.SubjectNotFoundError(subject);
        // Registering an empty schema means "the latest, with new metadata"; looking one up finds nothing (40403, as Confluent).
        if (string.IsNullOrEmpty(input.Schema)) throw Errors.SchemaNotFoundError();
        var config = EffectiveConfig(state, subject);
        var candidate = Prepare(state, subject, input, normalize || config.Normalize == true, mergeContract: false, allowDeletedReferences: true);
        var versions = subjectState.Versions.Values.Reverse().Where(v => includeDeleted || !v.Deleted).ToList();
        // An exact match (metadata and rules included) first; a request without a contract then matches on
        // the schema alone, as serializers look up schemas that config defaults have added metadata to.
        var match = versions.FirstOrDefault(v => state.Schemas[v.Id].IdentityKey == candidate.IdentityKey);
        if (match is null && input.Metadata is null && input.RuleSet is null)
        {
            match = versions.FirstOrDefault(v =>
            {
                var s = state.Schemas[v.Id];
                return s.SchemaType == candidate.SchemaType && s.Schema == candidate.Parsed.Canonical && s.References.SequenceEqual(candidate.References);
            });
        }
        if (match is null) throw Errors.SchemaNotFoundError();
        return new RegisteredSchema(subject, match.Version, state.Schemas[match.Id], match.Timestamp, match.Deleted);
    }

    /// <summary>
    /// POST /compatibility/subjects/{subject}/versions[/{version}]: messages (empty when compatible).
    /// With <paramref name="version"/> null the subject's level decides which versions are checked.
    /// </summary>
    public IReadOnlyList<string> TestCompatibility(RegistryState state, string subjectName, string? version, SchemaInput input, bool normalize)
    {
        var subject = ValidSubject(subjectName);
        var subjectState = state.Subjects.GetValueOrDefault(subject);
        SubjectVersion? only = null;
        if (version is not null)
        {
            var number = VersionSpec.Parse(version);
            if (number == VersionSpec.Latest)
            {
                only = subjectState?.LatestLive;
                if (only is null) return [];
            }
            else
            {
                // Confluent answers a missing subject here as a missing version (40402), not 40401.
                only = subjectState?.Versions.GetValueOrDefault(number);
                if (only is null || only.Deleted) throw Errors.VersionNotFoundError(version);
            }
        }
        var config = EffectiveConfig(state, subject);
        var candidate = Prepare(state, subject, input, normalize || config.Normalize == true, mergeContract: true, allowDeletedReferences: false);
        return CheckCompatibility(state, subject, candidate, EffectiveLevel(state, subject), config, only);
    }

    /// <summary>GET /subjects/{subject}/versions/{version}.</summary>
    public static RegisteredSchema GetVersion(RegistryState state, string subject, string version, bool includeDeleted)
    {
        var number = VersionSpec.Parse(version);
        if (!state.Subjects.TryGetValue(subject, out var subjectState) || (!includeDeleted && !subjectState.HasLive))
            throw Errors.SubjectNotFoundError(subject);
        var v = number == VersionSpec.Latest ? subjectState.Latest(includeDeleted) : subjectState.Versions.GetValueOrDefault(number);
        if (v is null || (v.Deleted && !includeDeleted)) throw Errors.VersionNotFoundError(version);
        return new RegisteredSchema(subject, v.Version, state.Schemas[v.Id], v.Timestamp, v.Deleted);
    }

    /// <summary>A schema by id; 40403 when no subject version (soft-deleted included) uses it.</summary>
    public static StoredSchema GetSchema(RegistryState state, int id) =>
        state.Schemas.TryGetValue(id, out var schema) && state.Usages.ContainsKey(id) ? schema : throw Errors.SchemaNotFoundError(id);
}
