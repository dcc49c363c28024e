using System.Collections.Immutable;
using Registry.Core.Model;

namespace Registry.Core.State;

/// <summary>A schema by its global id. Immutable: an id never changes meaning.</summary>
public sealed record StoredSchema(
    int Id,
    string SchemaType,
    string Schema,
    ImmutableArray<SchemaReference> References,
    Metadata? Metadata,
    RuleSet? RuleSet,
    Guid Guid,
    string IdentityKey);
