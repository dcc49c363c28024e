using System.Collections.Immutable;
using Registry.Core.Events;
using Registry.Core.Model;
using Registry.Core.State;

namespace Registry.Core.Decisions;

public sealed partial class RegistryDecider
{
    /// <summary>DELETE /subjects/{subject}/versions/{version}: soft, or permanent after soft.</summary>
    public Decision<int> DeleteVersion(RegistryState state, string subjectName, string version, bool permanent)
    {
        var subject = ValidSubject(subjectName);
        RequireWritable(state, subject);
        if (!state.Subjects.TryGetValue(subject, out var subjectState) || (!permanent && !subjectState.HasLive))
            throw Errors.SubjectNotFoundError(subject);
        var number = VersionSpec.Parse(version);
        var target = number == VersionSpec.Latest
            ? subjectState.Latest(includeDeleted: permanent)
            : subjectState.Versions.GetValueOrDefault(number);
        if (target is null) throw Errors.VersionNotFoundError(version);
        if (!permanent && target.Deleted) throw Errors.VersionSoftDeletedError(subject, target.Version);
        if (permanent && !target.Deleted) throw Errors.VersionNotSoftDeletedError(subject, target.Version);
        // Only live referrers hold a version: a soft-deleted one does not block even a permanent delete (as Confluent).
        if (ReferencedBy(state, subject, target.Version, includeDeleted: false).Count > 0)
            throw Errors.ReferenceExistsError($"{subject} version {target.Version}");
        var schema = state.SchemaOf(subject, target);
        RegistryEvent e = permanent
            ? new VersionHardDeleted(subject, target.Version)
            : new SchemaRegistered(subject, target.Version, target.Id, schema.SchemaType, schema.Schema, schema.References,
                schema.Metadata, schema.RuleSet, target.Timestamp, Deleted: true);
        return new Decision<int>(target.Version, [e]);
    }

    /// <summary>DELETE /subjects/{subject}: soft-deletes every live version, or removes a soft-deleted subject for good.</summary>
    public Decision<IReadOnlyList<int>> DeleteSubject(RegistryState state, string subjectName, bool permanent)
    {
        var subject = ValidSubject(subjectName);
        RequireWritable(state, subject);
        if (!state.Subjects.TryGetValue(subject, out var subjectState)) throw Errors.SubjectNotFoundError(subject);
        if (!permanent && !subjectState.HasLive) throw Errors.SubjectSoftDeletedError(subject);
        if (permanent && subjectState.HasLive) throw Errors.SubjectNotSoftDeletedError(subject);
        // Versions of the subject that reference each other go together; live referrers elsewhere hold them.
        foreach (var v in subjectState.Versions.Values)
            if (ReferencedBy(state, subject, v.Version, includeDeleted: false, exceptSubject: subject).Count > 0)
                throw Errors.ReferenceExistsError($"{subject} version {v.Version}");

        if (!permanent)
        {
            var live = subjectState.Live.Select(v => v.Version).ToList();
            return new Decision<IReadOnlyList<int>>(live, [new SubjectSoftDeleted(subject, subjectState.MaxVersion)]);
        }
        var all = subjectState.Versions.Keys.ToList();
        var events = ImmutableArray.CreateBuilder<RegistryEvent>();
        foreach (var v in all.AsEnumerable().Reverse()) events.Add(new VersionHardDeleted(subject, v));
        if (state.Configs.ContainsKey(subject)) events.Add(new ConfigCleared(subject));
        if (state.Modes.ContainsKey(subject)) events.Add(new ModeCleared(subject));
        return new Decision<IReadOnlyList<int>>(all, events.ToImmutable());
    }

    /// <summary>
    /// Ids of schemas whose references point at subject/version, from versions still registered (not counting
    /// <paramref name="exceptSubject"/>'s). A reference without a context names a subject in its referrer's context.
    /// </summary>
    public static IReadOnlyList<ContextId> ReferencedBy(RegistryState state, string subject, int version, bool includeDeleted, string? exceptSubject = null)
    {
        var ids = new SortedSet<ContextId>();
        foreach (var schema in state.Schemas.Values)
        {
            if (schema.References.IsDefaultOrEmpty) continue;
            if (!schema.References.Any(r => r.Version == version && QualifiedSubject.QualifyIn(schema.Context, r.Subject) == subject)) continue;
            foreach (var usage in state.UsagesOf(schema.Key))
            {
                if (usage.Subject == exceptSubject) continue;
                var v = state.Subjects[usage.Subject].Versions[usage.Version];
                if (includeDeleted || !v.Deleted) { ids.Add(schema.Key); break; }
            }
        }
        return ids.ToList();
    }

    private static void RequireWritable(RegistryState state, string subject)
    {
        if (EffectiveMode(state, subject).IsReadOnly())
            throw Errors.NotPermittedError($"Subject {subject} in context {QualifiedSubject.Parse(subject).Context} is in read-only mode");
    }
}
