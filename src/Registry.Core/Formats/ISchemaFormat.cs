using Registry.Core.Model;

namespace Registry.Core.Formats;

/// <summary>A schema language (AVRO, JSON, PROTOBUF): parsing, canonical text and compatibility.</summary>
public interface ISchemaFormat
{
    string SchemaType { get; }

    /// <summary>
    /// Parses and validates a schema whose references are already resolved (dependencies first).
    /// Throws <see cref="RegistryException"/> 42201 with the parser's reason when the schema is invalid.
    /// </summary>
    ParsedSchema Parse(string schema, IReadOnlyList<ResolvedReference> references, bool normalize);

    /// <summary>
    /// Differences that stop <paramref name="reader"/> from reading data written with <paramref name="writer"/>,
    /// worded with the labels ("new"/"old") of each side; empty when compatible. <paramref name="lenient"/> is
    /// the config's compatibilityPolicy LENIENT (a wider compatible set where the format has one).
    /// </summary>
    IReadOnlyList<string> CheckCompatibility(ParsedSchema reader, ParsedSchema writer, string readerLabel, string writerLabel, bool lenient = false);
}

/// <summary>A parsed, validated schema and the canonical text it is stored as.</summary>
public abstract class ParsedSchema
{
    public abstract string SchemaType { get; }

    /// <summary>The text the registry stores and returns, and that identity is computed on.</summary>
    public abstract string Canonical { get; }

    /// <summary>
    /// The text an earlier version of the registry stored for this schema, where it printed it another way (null when
    /// the same), so a schema stored then is still the same schema: same id, found by lookup, not a new version.
    /// </summary>
    public virtual string? LegacyCanonical => null;

    /// <summary>
    /// Why a strict check refuses the schema though the parser accepts it (an Avro default of the wrong type), or null.
    /// Confluent applies it to new schemas under <c>validateNewSchemas</c> or <c>normalize</c>.
    /// </summary>
    public virtual string? StrictProblem => null;

    /// <summary>
    /// The schema with what its references define written inline, in a form two schemas share exactly when they are the
    /// same schema (Confluent's deepEquals, for a schema sent with its references resolved); null where not supported.
    /// </summary>
    public virtual string? Resolved => null;

    /// <summary>Whether the schema's top level has a field of this name (Confluent's hasTopLevelField, for reserved fields).</summary>
    public virtual bool HasTopLevelField(string name) => false;

    /// <summary>
    /// The identity of this schema sent alone, without references, metadata or rules (as clients usually send it), hashed on
    /// first use and kept with the parse: a lookup or registration of a cached schema hashes nothing.
    /// </summary>
    public ParsedIdentity IdentityAlone => field ??= ParsedIdentity.Of(SchemaType, this, [], null, null);
}

/// <summary>A referenced schema, as the parser of the referencing schema sees it.</summary>
public sealed record ResolvedReference(string Name, string Subject, int Version, int Id, string SchemaType, string Schema);
