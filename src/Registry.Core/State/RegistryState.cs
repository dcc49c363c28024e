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
    ImmutableDictionary<string, int> MaxIds,
    ImmutableDictionary<ContextId, StoredSchema> Schemas,
    ImmutableDictionary<(string Context, SchemaKey IdentityKey), int> IdsByIdentity,
    ImmutableSortedDictionary<string, SubjectState> Subjects,
    ImmutableSortedDictionary<string, SubjectConfig> Configs,
    ImmutableSortedDictionary<string, RegistryMode> Modes,
    ImmutableDictionary<ContextId, SchemaUsages> Usages,
    ImmutableSortedDictionary<string, TopicPolicy> Policies,
    ImmutableSortedDictionary<string, Kek> Keks,
    ImmutableSortedDictionary<DekKey, Dek> Deks,
    ImmutableSortedDictionary<string, ExporterEntry> Exporters,
    ImmutableSortedDictionary<long, Proposal> Proposals,
    ImmutableSortedDictionary<string, ReviewPolicy> ReviewPolicies)
{
    /// <summary>The key under which the global config and mode are kept.</summary>
    public const string GlobalScope = "";

    public static RegistryState Empty { get; } = new(
        0,
        ImmutableDictionary<string, int>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableDictionary<ContextId, StoredSchema>.Empty,
        ImmutableDictionary<(string Context, SchemaKey IdentityKey), int>.Empty,
        ImmutableSortedDictionary<string, SubjectState>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedDictionary<string, SubjectConfig>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedDictionary<string, RegistryMode>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableDictionary<ContextId, SchemaUsages>.Empty,
        ImmutableSortedDictionary<string, TopicPolicy>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedDictionary<string, Kek>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedDictionary<DekKey, Dek>.Empty,
        ImmutableSortedDictionary<string, ExporterEntry>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedDictionary<long, Proposal>.Empty,
        ImmutableSortedDictionary<string, ReviewPolicy>.Empty.WithComparers(StringComparer.Ordinal));

    /// <summary>The subject versions (soft-deleted included) that use a schema id.</summary>
    public SchemaUsages UsagesOf(ContextId id) => Usages.GetValueOrDefault(id);

    /// <summary>The schema a version of a subject holds (its id is in the subject's context).</summary>
    public StoredSchema SchemaOf(string subject, SubjectVersion version) => Schemas[ContextId.Of(subject, version.Id)];

    /// <summary>A schema some version (soft-deleted ones too) still uses, or null: an id nothing uses is free.</summary>
    public StoredSchema? LiveSchema(ContextId id) => Usages.ContainsKey(id) ? Schemas.GetValueOrDefault(id) : null;

    /// <summary>The highest id ever given in a context (ids are numbered per context).</summary>
    public int MaxIdIn(string context) => MaxIds.GetValueOrDefault(context);

    /// <summary>The contexts that hold subjects, the default context first, then in order.</summary>
    public IEnumerable<string> SubjectContexts() =>
        Subjects.Keys.Select(s => QualifiedSubject.Parse(s).Context).Distinct(StringComparer.Ordinal)
            .OrderBy(c => c == QualifiedSubject.DefaultContext ? 0 : 1).ThenBy(c => c, StringComparer.Ordinal);

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
        KekPut k => this with { Keks = Keks.SetItem(k.Kek.Name, k.Kek) },
        KekRemoved k => this with { Keks = Keks.Remove(k.Name) },
        DekPut d => this with { Deks = Deks.SetItem(d.Dek.Key, d.Dek) },
        DekRemoved d => this with { Deks = Deks.Remove(new DekKey(d.KekName, d.Subject, d.Algorithm, d.Version)) },
        ExporterPut x => this with
        {
            Exporters = Exporters.SetItem(x.Exporter.Name, Exporters.TryGetValue(x.Exporter.Name, out var known)
                ? known with { Definition = x.Exporter }
                : new ExporterEntry(x.Exporter, ExporterProgress.Initial(x.Exporter.Name))),
        },
        ExporterDeleted x => this with { Exporters = Exporters.Remove(x.Name) },
        // Progress of an exporter deleted since is dropped: it must not bring the exporter back.
        ExporterProgressed x => Exporters.TryGetValue(x.Progress.Name, out var running)
            ? this with { Exporters = Exporters.SetItem(x.Progress.Name, running with { Progress = x.Progress }) }
            : this,
        ProposalPut p => this with { Proposals = Proposals.SetItem(p.Proposal.Id, p.Proposal) },
        ReviewPolicySet r => this with { ReviewPolicies = ReviewPolicies.SetItem(r.Scope, r.Policy) },
        ReviewPolicyDeleted r => this with { ReviewPolicies = ReviewPolicies.Remove(r.Scope) },
        _ => this,
    };

    /// <summary>
    /// The review policy that governs a subject, with its scope: the subject's own, else the longest prefix or context
    /// scope covering it. Null when changes to the subject need no review.
    /// </summary>
    public (string Scope, ReviewPolicy Policy)? ReviewPolicyFor(string subject) =>
        ReviewPolicies.TryGetValue(subject, out var own) ? (subject, own) : ReviewPolicy.Governing(ReviewPolicies, subject);

    private RegistryState ApplyRegistered(SchemaRegistered r)
    {
        var (guid, key) = SchemaIdentity.Compute(r.SchemaType, r.Schema, r.References, r.Metadata, r.RuleSet);
        var context = QualifiedSubject.Parse(r.Subject).Context;
        var at = new ContextId(context, r.Id);
        var schemas = Schemas;
        var ids = IdsByIdentity;
        if (Schemas.TryGetValue(at, out var existing) && existing.IdentityKey != key)
        {
            // An id keeps its meaning while any version (soft-deleted ones too) uses it; once every version using it
            // is permanently deleted, it is free, and only an IMPORT gives it to another schema (as in Confluent).
            if (Usages.ContainsKey(at)) return this;
            if (ids.GetValueOrDefault((context, existing.IdentityKey)) == r.Id) ids = ids.Remove((context, existing.IdentityKey));
            existing = null;
        }
        if (existing is null)
        {
            if (r.Id <= 0) return this;
            schemas = schemas.SetItem(at, new StoredSchema(context, r.Id, Interned(r.SchemaType), r.Schema, r.References, r.Metadata, r.RuleSet, guid, key));
            // Content whose id is free takes the id it is imported with.
            if (!ids.TryGetValue((context, key), out var bound) || !Usages.ContainsKey(new ContextId(context, bound))) ids = ids.SetItem((context, key), r.Id);
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
            MaxIds = r.Id > MaxIdIn(context) ? MaxIds.SetItem(context, r.Id) : MaxIds,
            Schemas = schemas,
            IdsByIdentity = ids,
            Subjects = Subjects.SetItem(r.Subject, subject),
            Usages = Usages.SetItem(at, UsagesOf(at).Add(new SubjectVersionRef(r.Subject, r.Version))),
        };
    }

    /// <summary>The one instance of a known schema type, instead of the copy each decoded event carries.</summary>
    private static string Interned(string schemaType) => schemaType switch
    {
        "AVRO" => "AVRO",
        "JSON" => "JSON",
        "PROTOBUF" => "PROTOBUF",
        _ => schemaType,
    };

    private RegistryState RemoveVersion(string subjectName, int version)
    {
        if (!Subjects.TryGetValue(subjectName, out var subject) || !subject.Versions.TryGetValue(version, out var removed)) return this;
        var versions = subject.Versions.Remove(version);
        var at = ContextId.Of(subjectName, removed.Id);
        var usages = UsagesOf(at).Remove(new SubjectVersionRef(subjectName, version));
        return this with
        {
            Usages = usages.IsEmpty ? Usages.Remove(at) : Usages.SetItem(at, usages),
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
