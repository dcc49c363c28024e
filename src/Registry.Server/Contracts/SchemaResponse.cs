using System.Collections.Immutable;
using Registry.Core.Decisions;
using Registry.Core.Model;
using Registry.Core.State;

namespace Registry.Server.Contracts;

/// <summary>Confluent's Schema entity: a schema under a subject/version. Null members are omitted.</summary>
public sealed record SchemaResponse(
    string? Subject,
    int? Version,
    int Id,
    string Guid,
    string SchemaType,
    ImmutableArray<SchemaReference>? References,
    Metadata? Metadata,
    RuleSet? RuleSet,
    string Schema,
    long? Ts,
    bool? Deleted)
{
    /// <summary>The response for a version; <paramref name="text"/> replaces the stored text (another format of it).</summary>
    public static SchemaResponse From(RegisteredSchema r, string? text = null) => From(r.Subject, r.Version, r.Schema, r.Timestamp, r.Deleted, text);

    public static SchemaResponse From(string subject, int version, StoredSchema s, long ts, bool deleted, string? text = null) => new(
        subject, version, s.Id, SchemaIdentityText(s), s.SchemaType, NullIfEmpty(s.References), s.Metadata, s.RuleSet, text ?? s.Schema, ts, deleted ? true : null);

    internal static ImmutableArray<SchemaReference>? NullIfEmpty(ImmutableArray<SchemaReference> refs) => refs.IsDefaultOrEmpty ? null : refs;

    internal static string SchemaIdentityText(StoredSchema s) => SchemaIdentity.GuidString(s.Guid);
}

/// <summary>Confluent's SchemaString: a schema by id.</summary>
public sealed record SchemaStringResponse(
    string Schema,
    string SchemaType,
    ImmutableArray<SchemaReference>? References,
    Metadata? Metadata,
    RuleSet? RuleSet,
    string Guid,
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
    string Guid,
    string SchemaType,
    ImmutableArray<SchemaReference>? References,
    Metadata? Metadata,
    RuleSet? RuleSet,
    string Schema,
    long Ts);
