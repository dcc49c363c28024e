using Registry.Core.Model;

namespace Registry.Core.Decisions;

/// <summary>A schema as a client sends it to register, look up or check.</summary>
public sealed record SchemaInput(
    string? Schema,
    string? SchemaType,
    IReadOnlyList<SchemaReference>? References,
    Metadata? Metadata,
    RuleSet? RuleSet);

/// <summary>POST /subjects/{subject}/versions; <paramref name="Timestamp"/> (ms) is kept only when importing with an id.</summary>
/// <remarks><paramref name="ReviewBypass"/>: a proposal being applied, or an admin's audited override of a review policy.</remarks>
public sealed record RegisterCommand(string Subject, SchemaInput Input, int? Id, int? Version, bool Normalize, bool Force, long? Timestamp = null, bool ReviewBypass = false);

/// <summary>A schema registered (or found already registered) under a subject.</summary>
public sealed record RegisteredSchema(string Subject, int Version, State.StoredSchema Schema, long Timestamp, bool Deleted);
