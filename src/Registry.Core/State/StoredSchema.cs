using System.Collections.Immutable;
using Registry.Core.Model;

namespace Registry.Core.State;

/// <summary>A schema by its id in its context. Immutable: an id never changes meaning while a version uses it.</summary>
public sealed record StoredSchema(
    string Context,
    int Id,
    string SchemaType,
    string Schema,
    ImmutableArray<SchemaReference> References,
    Metadata? Metadata,
    RuleSet? RuleSet,
    Guid Guid,
    string IdentityKey)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public ContextId Key => new(Context, Id);
}
