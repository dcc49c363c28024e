using System.Collections.Immutable;
using Registry.Core.Events;
using Registry.Core.Model;

namespace Registry.Core.State;

/// <summary>
/// The fold of the registry log: an immutable snapshot of schemas, subjects, configs and modes.
/// Reads use a snapshot without locks; <see cref="Apply"/> returns the next snapshot.
/// </summary>
public sealed record RegistryState(
    long Position,
    int MaxId,
    ImmutableDictionary<int, StoredSchema> Schemas,
    ImmutableDictionary<string, int> IdsByIdentity,
    ImmutableSortedDictionary<string, SubjectState> Subjects,
    ImmutableSortedDictionary<string, SubjectConfig> Configs,
    ImmutableSortedDictionary<string, RegistryMode> Modes,
    ImmutableDictionary<int, ImmutableSortedSet<SubjectVersionRef>> Usages,
    ImmutableSortedDictionary<string, TopicPolicy> Policies)
{
    /// <summary>The key under which the global config and mode are kept.</summary>
    public const string GlobalScope = "";

    public static RegistryState Empty { get; } = new(
        0,
        0,
        ImmutableDictionary<int, StoredSchema>.Empty,
        ImmutableDictionary<string, int>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedDictionary<string, SubjectState>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedDictionary<string, SubjectConfig>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedDictionary<string, RegistryMode>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableDictionary<int, ImmutableSortedSet<SubjectVersionRef>>.Empty,
        ImmutableSortedDictionary<string, TopicPolicy>.Empty.WithComparers(StringComparer.Ordinal));

    /// <summary>The subject versions (soft-deleted included) that use a schema id.</summary>
    public ImmutableSortedSet<SubjectVersionRef> UsagesOf(int id) => Usages.GetValueOrDefault(id) ?? [];

    public RegistryState Apply(LogEntry entry) => Apply(entry.Event) with { Position = entry.Position };

    public RegistryState ApplyAll(IEnumerable<LogEntry> entries)
    {
        var state = this;
        foreach (var entry in entries) state = state.Apply(entry);
        return state;
    }

    /// <summary>
    /// Applies one event. Events that contradict the state (an id already meaning another schema, a
    /// version already taken) are ignored, the same way on every node, so a bad record cannot corrupt the fold.
    /// </summary>
    public RegistryState Apply(RegistryEvent e) => e switch
    {
        SchemaRegistered r => ApplyRegistered(r),
        VersionHardDeleted d => RemoveVersion(d.Subject, d.Version),
        SubjectSoftDeleted d => ApplySubjectSoftDeleted(d),
        ConfigSet c => this with { Configs = Configs.SetItem(c.Subject ?? GlobalScope, c.Config) },
        ConfigCleared c => this with { Configs = Configs.Remove(c.Subject ?? GlobalScope) },
        ModeSet m => this with { Modes = Modes.SetItem(m.Subject ?? GlobalScope, m.Mode) },
        ModeCleared m => this with { Modes = Modes.Remove(m.Subject ?? GlobalScope) },
        PolicySet p => this with { Policies = Policies.SetItem(p.Topic, p.Policy) },
        PolicyDeleted p => this with { Policies = Policies.Remove(p.Topic) },
        _ => this,
    };

    private RegistryState ApplyRegistered(SchemaRegistered r)
    {
        var (guid, key) = SchemaIdentity.Compute(r.SchemaType, r.Schema, r.References, r.Metadata, r.RuleSet);
        var schemas = Schemas;
        var ids = IdsByIdentity;
        if (Schemas.TryGetValue(r.Id, out var existing) && existing.IdentityKey != key)
        {
            // An id keeps its meaning while any version (soft-deleted ones too) uses it; once every version using it
            // is permanently deleted, it is free, and only an IMPORT gives it to another schema (as in Confluent).
            if (Usages.ContainsKey(r.Id)) return this;
            if (ids.GetValueOrDefault(existing.IdentityKey) == r.Id) ids = ids.Remove(existing.IdentityKey);
            existing = null;
        }
        if (existing is null)
        {
            if (r.Id <= 0) return this;
            schemas = schemas.SetItem(r.Id, new StoredSchema(r.Id, r.SchemaType, r.Schema, r.References, r.Metadata, r.RuleSet, guid, key));
            // Content whose id is free takes the id it is imported with.
            if (!ids.TryGetValue(key, out var bound) || !Usages.ContainsKey(bound)) ids = ids.SetItem(key, r.Id);
        }

        var subject = Subjects.GetValueOrDefault(r.Subject)
            ?? new SubjectState(r.Subject, ImmutableSortedDictionary<int, SubjectVersion>.Empty);
        var timestamp = r.Timestamp;
        if (subject.Versions.TryGetValue(r.Version, out var taken))
        {
            if (taken.Id != r.Id) return this;
            timestamp = taken.Timestamp;
        }
        subject = subject with { Versions = subject.Versions.SetItem(r.Version, new SubjectVersion(r.Version, r.Id, r.Deleted, timestamp)) };
        return this with
        {
            MaxId = Math.Max(MaxId, r.Id),
            Schemas = schemas,
            IdsByIdentity = ids,
            Subjects = Subjects.SetItem(r.Subject, subject),
            Usages = Usages.SetItem(r.Id, UsagesOf(r.Id).Add(new SubjectVersionRef(r.Subject, r.Version))),
        };
    }

    private RegistryState RemoveVersion(string subjectName, int version)
    {
        if (!Subjects.TryGetValue(subjectName, out var subject) || !subject.Versions.TryGetValue(version, out var removed)) return this;
        var versions = subject.Versions.Remove(version);
        var usages = UsagesOf(removed.Id).Remove(new SubjectVersionRef(subjectName, version));
        return this with
        {
            Usages = usages.IsEmpty ? Usages.Remove(removed.Id) : Usages.SetItem(removed.Id, usages),
            Subjects = versions.IsEmpty ? Subjects.Remove(subjectName) : Subjects.SetItem(subjectName, subject with { Versions = versions }),
        };
    }

    private RegistryState ApplySubjectSoftDeleted(SubjectSoftDeleted d)
    {
        if (!Subjects.TryGetValue(d.Subject, out var subject)) return this;
        var versions = subject.Versions;
        foreach (var v in subject.Versions.Values)
            if (v.Version <= d.Version && !v.Deleted) versions = versions.SetItem(v.Version, v with { Deleted = true });
        return this with { Subjects = Subjects.SetItem(d.Subject, subject with { Versions = versions }) };
    }
}
