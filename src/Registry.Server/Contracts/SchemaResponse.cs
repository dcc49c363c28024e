using System.Collections.Immutable;
using Registry.Core.Decisions;
using Registry.Core.Model;
using Registry.Core.State;

namespace Registry.Server.Contracts;

/// <summary>
/// Confluent's Schema entity: a schema under a subject/version. Null members are omitted; the GUID is written in its
/// 8-4-4-4-12 lowercase form (as <see cref="SchemaIdentity.GuidString"/>), with no string made for it.
/// </summary>
public sealed record SchemaResponse(
    string? Subject,
    int? Version,
    int Id,
    Guid Guid,
    string SchemaType,
    ImmutableArray<SchemaReference>? References,
    Metadata? Metadata,
    RuleSet? RuleSet,
    SchemaText Schema,
    long? Ts,
    bool? Deleted)
{
    /// <summary>The response for a version; <paramref name="text"/> replaces the stored text (another format of it).</summary>
    public static SchemaResponse From(RegisteredSchema r, SchemaText? text = null) => From(r.Subject, r.Version, r.Schema, r.Timestamp, r.Deleted, text);

    public static SchemaResponse From(string subject, int version, StoredSchema s, long ts, bool deleted, SchemaText? text = null) => new(
        subject, version, s.Id, s.Guid, s.SchemaType, NullIfEmpty(s.References), s.Metadata, s.RuleSet, text ?? new SchemaText(s), ts, deleted ? true : null);

    internal static ImmutableArray<SchemaReference>? NullIfEmpty(ImmutableArray<SchemaReference> refs) => refs.IsDefaultOrEmpty ? null : refs;
}

/// <summary>Confluent's SchemaString: a schema by id.</summary>
public sealed record SchemaStringResponse(
    SchemaText Schema,
    string SchemaType,
    ImmutableArray<SchemaReference>? References,
    Metadata? Metadata,
    RuleSet? RuleSet,
    Guid Guid,
    int? MaxId,
    string? Subject,
    int? Version,
    long? Ts = null,
    bool? Deleted = null);

/// <summary>A subject and version using a schema id.</summary>
public sealed record SubjectVersionResponse(string Subject, int Version);

/// <summary>The answer to POST /subjects/{subject}/versions.</summary>
public sealed record RegisterSchemaResponse(
    int Id,
    int Version,
    Guid Guid,
    string SchemaType,
    ImmutableArray<SchemaReference>? References,
    Metadata? Metadata,
    RuleSet? RuleSet,
    SchemaText Schema,
    long Ts);
