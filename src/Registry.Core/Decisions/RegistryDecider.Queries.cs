using Registry.Core.Model;
using Registry.Core.State;

namespace Registry.Core.Decisions;

public sealed partial class RegistryDecider
{
    /// <summary>
    /// POST /subjects/{subject}: the version of the subject holding this schema. As Confluent, a subject name without
    /// a context that does not hold it is then looked up in each other context (those <paramref name="canRead"/> allows).
    /// </summary>
    public RegisteredSchema Lookup(RegistryState state, string subjectName, SchemaInput input, bool normalize, bool includeDeleted, Func<string, bool>? canRead = null)
    {
        var subject = ValidSubject(subjectName);
        var exists = Holds(state, subject, includeDeleted);
        // Registering an empty schema means "the latest, with new metadata"; looking one up finds nothing (40403, as Confluent).
        if (exists && string.IsNullOrEmpty(input.Schema)) throw Errors.SchemaNotFoundError();
        if (exists && LookupUnder(state, subject, input, normalize, includeDeleted) is { } match) return match;
        if (!string.IsNullOrEmpty(input.Schema))
        {
            foreach (var other in InOtherContexts(state, subject, includeDeleted, canRead))
            {
                try
                {
                    if (LookupUnder(state, other, input, normalize, includeDeleted) is { } found) return found;
                }
                catch (RegistryException)
                {
                    // The schema does not even parse there (a reference missing in that context): not found there.
                }
            }
        }
        throw exists ? Errors.SchemaNotFoundError() : Errors.SubjectNotFoundError(subject);
    }

    /// <summary>
    /// As Confluent's lookUpSchemaUnderSubject: the schema as sent (<see cref="FindUnder"/>), then, when the config and the
    /// latest version would add metadata or rules to it, the schema with them.
    /// </summary>
    private RegisteredSchema? LookupUnder(RegistryState state, string subject, SchemaInput input, bool normalize, bool includeDeleted)
    {
        var config = EffectiveConfig(state, subject);
        normalize = normalize || config.Normalize == true;
        var sent = Prepare(state, subject, input, normalize, mergeContract: false, allowDeletedReferences: true);
        if (FindUnder(state, subject, sent, latestOnly: false, includeDeleted) is { } found) return found;
        var merged = Prepare(state, subject, input, normalize, mergeContract: true, allowDeletedReferences: true);
        return merged.IdentityKey == sent.IdentityKey ? null : FindUnder(state, subject, merged, latestOnly: false, includeDeleted);
    }

    private static bool Holds(RegistryState state, string subject, bool includeDeleted) =>
        state.Subjects.TryGetValue(subject, out var s) && (includeDeleted || s.HasLive);

    /// <summary>
    /// For a subject name without a context, the same name in each other context that holds it, in order (Confluent's
    /// <c>…UsingContexts</c> fallbacks); nothing for a qualified name.
    /// </summary>
    private static IEnumerable<string> InOtherContexts(RegistryState state, string subject, bool includeDeleted, Func<string, bool>? canRead)
    {
        var q = QualifiedSubject.Parse(subject);
        if (q.Context != QualifiedSubject.DefaultContext) yield break;
        foreach (var context in state.SubjectContexts())
        {
            if (context == QualifiedSubject.DefaultContext) continue;
            var other = new QualifiedSubject(context, q.Name).ToString();
            if (Holds(state, other, includeDeleted) && (canRead is null || canRead(other))) yield return other;
        }
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
                if (only is null)
                {
                    // Nothing to compare with, but the schema itself must still be valid (as Confluent answers).
                    Prepare(state, subject, input, normalize || EffectiveConfig(state, subject).Normalize == true, mergeContract: true, allowDeletedReferences: false);
                    return [];
                }
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

    /// <summary>
    /// GET /subjects/{subject}/versions/{version}: as Confluent, a subject name without a context whose version is not
    /// found is then tried in each other context (those <paramref name="canRead"/> allows); the first error stands otherwise.
    /// </summary>
    public static RegisteredSchema GetVersionUsingContexts(RegistryState state, string subject, string version, bool includeDeleted, Func<string, bool>? canRead)
    {
        try
        {
            return GetVersion(state, subject, version, includeDeleted);
        }
        catch (RegistryException first) when (first.ErrorCode is Errors.SubjectNotFound or Errors.VersionNotFound)
        {
            foreach (var other in InOtherContexts(state, subject, includeDeleted, canRead))
            {
                if (TryGetVersion(state, other, version, includeDeleted) is { } found) return found;
            }
            throw;
        }
    }

    private static RegisteredSchema? TryGetVersion(RegistryState state, string subject, string version, bool includeDeleted)
    {
        try
        {
            return GetVersion(state, subject, version, includeDeleted);
        }
        catch (RegistryException)
        {
            return null;
        }
    }

    /// <summary>GET /subjects/{subject}/versions/{version}.</summary>
    public static RegisteredSchema GetVersion(RegistryState state, string subject, string version, bool includeDeleted)
    {
        var number = VersionSpec.Parse(version);
        if (!state.Subjects.TryGetValue(subject, out var subjectState) || (!includeDeleted && !subjectState.HasLive))
            throw Errors.SubjectNotFoundError(subject);
        var v = number == VersionSpec.Latest ? subjectState.Latest(includeDeleted) : subjectState.Versions.GetValueOrDefault(number);
        if (v is null || (v.Deleted && !includeDeleted)) throw Errors.VersionNotFoundError(version);
        return new RegisteredSchema(subject, v.Version, state.SchemaOf(subject, v), v.Timestamp, v.Deleted);
    }

    /// <summary>A schema by id in a context; 40403 when no subject version (soft-deleted included) uses it.</summary>
    public static StoredSchema GetSchema(RegistryState state, ContextId id) =>
        state.LiveSchema(id) ?? throw Errors.SchemaNotFoundError(id.Id);

    /// <summary>
    /// A schema by id as Confluent finds it (<c>getSchemaKeyUsingContexts</c>): the id in the context of the
    /// <paramref name="subject"/> hint (the default context without one). With an unqualified subject name that does
    /// not hold the id, that name in each other context is tried, then any subject of the default context; a
    /// qualified subject name must hold the id. Returns the schema and, when the named subject holds it, that
    /// subject's latest version using it. 40403 when nothing matches. Only subjects <paramref name="canRead"/> allows are
    /// considered by name, so the answer never depends on subjects the caller may not read.
    /// </summary>
    public static (StoredSchema Schema, SubjectVersionRef? Usage) FindSchemaById(RegistryState state, int id, string? subject, Func<string, bool>? canRead = null)
    {
        var q = string.IsNullOrEmpty(subject) ? new QualifiedSubject(QualifiedSubject.DefaultContext, "") : QualifiedSubject.Parse(subject);
        if (q.Name.Length > 0)
        {
            var named = UsageUnder(state, new ContextId(q.Context, id), q.ToString(), canRead);
            if (named is null)
            {
                // Soft-deleted versions keep their ids, so their subjects count here.
                foreach (var other in InOtherContexts(state, q.ToString(), includeDeleted: true, canRead))
                {
                    named = UsageUnder(state, ContextId.Of(other, id), other, canRead: null);
                    if (named is not null) break;
                }
            }
            if (named is { } found) return (state.Schemas[ContextId.Of(found.Subject, id)], found);
            if (q.Context != QualifiedSubject.DefaultContext) throw Errors.SchemaNotFoundError(id);
        }
        return (GetSchema(state, new ContextId(q.Context, id)), null);
    }

    private static SubjectVersionRef? UsageUnder(RegistryState state, ContextId id, string subject, Func<string, bool>? canRead)
    {
        if (canRead is not null && !canRead(subject)) return null;
        var usages = state.UsagesOf(id).Where(u => u.Subject == subject).ToList();
        return usages.Count > 0 ? usages[^1] : null;
    }
}
