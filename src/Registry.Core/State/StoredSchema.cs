using System.Collections.Immutable;
using System.Text;
using Registry.Core.Model;

namespace Registry.Core.State;

/// <summary>
/// A schema by its id in its context. Immutable: an id never changes meaning while a version uses it. The text is kept
/// as UTF-8 (half the bytes of a string for the usual ASCII schema); <see cref="Schema"/> decodes it when asked.
/// </summary>
public sealed class StoredSchema : IEquatable<StoredSchema>
{
    private readonly byte[] _text;

    public StoredSchema(string context, int id, string schemaType, string schema, ImmutableArray<SchemaReference> references, Metadata? metadata, RuleSet? ruleSet, Guid guid, SchemaKey identityKey)
    {
        Context = context;
        Id = id;
        SchemaType = schemaType;
        _text = Encoding.UTF8.GetBytes(schema);
        References = references;
        Metadata = metadata;
        RuleSet = ruleSet;
        Guid = guid;
        IdentityKey = identityKey;
    }

    public string Context { get; }

    public int Id { get; }

    public string SchemaType { get; }

    /// <summary>The schema text, decoded from <see cref="SchemaUtf8"/>: a new string on each call.</summary>
    public string Schema => Encoding.UTF8.GetString(_text);

    /// <summary>The schema text as UTF-8.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ReadOnlySpan<byte> SchemaUtf8 => _text;

    public ImmutableArray<SchemaReference> References { get; }

    public Metadata? Metadata { get; }

    public RuleSet? RuleSet { get; }

    public Guid Guid { get; }

    public SchemaKey IdentityKey { get; }

    [System.Text.Json.Serialization.JsonIgnore]
    public ContextId Key => new(Context, Id);

    /// <summary>Same id in the same context, and the same identity (which covers text, references, metadata and rules).</summary>
    public bool Equals(StoredSchema? other) =>
        other is not null && (ReferenceEquals(this, other) || (Id == other.Id && Context == other.Context && IdentityKey == other.IdentityKey && SchemaType == other.SchemaType));

    public override bool Equals(object? obj) => Equals(obj as StoredSchema);

    public override int GetHashCode() => HashCode.Combine(Context, Id, IdentityKey);
}
