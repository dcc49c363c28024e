using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Registry.Core.Model;

namespace Registry.Core.Events;

/// <summary>One change in the registry log. The members mirror Confluent's <c>_schemas</c> records.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "event")]
[JsonDerivedType(typeof(SchemaRegistered), "SCHEMA")]
[JsonDerivedType(typeof(VersionHardDeleted), "VERSION_HARD_DELETED")]
[JsonDerivedType(typeof(SubjectSoftDeleted), "DELETE_SUBJECT")]
[JsonDerivedType(typeof(ConfigSet), "CONFIG")]
[JsonDerivedType(typeof(ConfigCleared), "CONFIG_CLEARED")]
[JsonDerivedType(typeof(ModeSet), "MODE")]
[JsonDerivedType(typeof(ModeCleared), "MODE_CLEARED")]
[JsonDerivedType(typeof(LogNoop), "NOOP")]
[JsonDerivedType(typeof(PolicySet), "POLICY")]
[JsonDerivedType(typeof(PolicyDeleted), "POLICY_DELETED")]
[JsonDerivedType(typeof(KekPut), "KEK")]
[JsonDerivedType(typeof(KekRemoved), "KEK_REMOVED")]
[JsonDerivedType(typeof(DekPut), "DEK")]
[JsonDerivedType(typeof(DekRemoved), "DEK_REMOVED")]
[JsonDerivedType(typeof(ExporterPut), "EXPORTER")]
[JsonDerivedType(typeof(ExporterDeleted), "EXPORTER_DELETED")]
[JsonDerivedType(typeof(ExporterProgressed), "EXPORTER_PROGRESS")]
[JsonDerivedType(typeof(ProposalPut), "PROPOSAL")]
[JsonDerivedType(typeof(ReviewPolicySet), "REVIEW_POLICY")]
[JsonDerivedType(typeof(ReviewPolicyDeleted), "REVIEW_POLICY_DELETED")]
public abstract record RegistryEvent;

/// <summary>
/// A schema under subject/version with an id in the subject's context (a SCHEMA record). Soft-deleting a version re-puts
/// the same record with <see cref="Deleted"/> set, exactly as Confluent does.
/// </summary>
public sealed record SchemaRegistered(
    string Subject,
    int Version,
    int Id,
    string SchemaType,
    string Schema,
    ImmutableArray<SchemaReference> References,
    Metadata? Metadata,
    RuleSet? RuleSet,
    long Timestamp,
    bool Deleted = false) : RegistryEvent;

/// <summary>One version permanently deleted (a tombstone for its SCHEMA key).</summary>
public sealed record VersionHardDeleted(string Subject, int Version) : RegistryEvent;

/// <summary>Every version up to <see cref="Version"/> soft-deleted (a DELETE_SUBJECT record).</summary>
public sealed record SubjectSoftDeleted(string Subject, int Version) : RegistryEvent;

/// <summary>Config set for a subject or context scope, or globally when <see cref="Subject"/> is null.</summary>
public sealed record ConfigSet(string? Subject, SubjectConfig Config) : RegistryEvent;

/// <summary>Config removed for a scope (a CONFIG tombstone).</summary>
public sealed record ConfigCleared(string? Subject) : RegistryEvent;

/// <summary>Mode set for a scope, or globally when <see cref="Subject"/> is null.</summary>
public sealed record ModeSet(string? Subject, RegistryMode Mode) : RegistryEvent;

/// <summary>Mode removed for a scope (a MODE tombstone).</summary>
public sealed record ModeCleared(string? Subject) : RegistryEvent;

/// <summary>A log record that changes nothing (a NOOP or a record kind the registry does not use); it still takes a position.</summary>
public sealed record LogNoop(string? Reason = null) : RegistryEvent;

/// <summary>The gateway policy for a topic set or replaced.</summary>
public sealed record PolicySet(string Topic, TopicPolicy Policy) : RegistryEvent;

/// <summary>The gateway policy for a topic removed.</summary>
public sealed record PolicyDeleted(string Topic) : RegistryEvent;

/// <summary>A KEK written (created, updated, soft-deleted or undeleted): Confluent's KEK record of the DEK registry.</summary>
public sealed record KekPut(Kek Kek) : RegistryEvent;

/// <summary>A KEK permanently deleted (the tombstone of its record).</summary>
public sealed record KekRemoved(string Name) : RegistryEvent;

/// <summary>A DEK version written (created, rewrapped, soft-deleted or undeleted): Confluent's DEK record.</summary>
public sealed record DekPut(Dek Dek) : RegistryEvent;

/// <summary>A DEK version permanently deleted.</summary>
public sealed record DekRemoved(string KekName, string Subject, DekAlgorithm Algorithm, int Version) : RegistryEvent;

/// <summary>An exporter created or changed (its definition, paused or not).</summary>
public sealed record ExporterPut(ExporterDefinition Exporter) : RegistryEvent;

/// <summary>An exporter deleted, with its progress.</summary>
public sealed record ExporterDeleted(string Name) : RegistryEvent;

/// <summary>An exporter's progress: claimed, moved on, failed, or reset to the start of the log.</summary>
public sealed record ExporterProgressed(ExporterProgress Progress) : RegistryEvent;

/// <summary>
/// A proposal opened, reviewed or moved on (APPLIED, REJECTED, WITHDRAWN, STALE), as a whole: like a KEK or an exporter,
/// the last record of a proposal is all of it, so a compacted log keeps every proposal whole.
/// </summary>
public sealed record ProposalPut(Proposal Proposal) : RegistryEvent;

/// <summary>The review policy of a subject, prefix or context set or replaced.</summary>
public sealed record ReviewPolicySet(string Scope, ReviewPolicy Policy) : RegistryEvent;

/// <summary>The review policy of a scope removed.</summary>
public sealed record ReviewPolicyDeleted(string Scope) : RegistryEvent;
