using System.Text;
using System.Text.Json;
using Registry.Core;
using Registry.Core.Formats;

namespace Registry.Formats.Avro;

/// <summary>Avro: validated by Apache.Avro, stored as compact JSON (or its normalized form), compared by schema resolution.</summary>
public sealed class AvroFormat(FormatLimits limits) : ISchemaFormat, Payloads.IPayloadValidator
{
    public const string Type = "AVRO";

    public string SchemaType => Type;

    public ParsedSchema Parse(string schema, IReadOnlyList<ResolvedReference> references, bool normalize)
    {
        var names = new global::Avro.SchemaNames();
        var builder = new AvroModelBuilder();
        var referenced = new List<JsonElement>();
        try
        {
            foreach (var reference in references)
            {
                if (reference.SchemaType != Type)
                    throw Errors.InvalidSchemaError($"Invalid schema: reference '{reference.Name}' is a {reference.SchemaType} schema; an Avro schema can only reference Avro schemas");
                using var refDoc = JsonLimits.Parse(reference.Schema, limits.MaxNestingDepth);
                global::Avro.Schema.Parse(reference.Schema, names, null);
                builder.AddReference(refDoc.RootElement);
                referenced.Add(refDoc.RootElement.Clone());
            }
            using var doc = JsonLimits.Parse(schema, limits.MaxNestingDepth);
            var avro = global::Avro.Schema.Parse(schema, names, null);
            var model = builder.Build(doc.RootElement, null);
            if (AvroDefaults.NullWhereNotNullable(model) is { } problem) throw Errors.InvalidSchemaError($"Invalid schema: {problem}");
            // Stored as Avro prints it (Confluent's canonical string); earlier versions stored the compact text as sent.
            var canonical = normalize ? AvroNormalizer.Write(model) : AvroPrinter.Print(doc.RootElement, referenced);
            var compact = normalize ? canonical : JsonLimits.Compact(doc.RootElement);
            return new AvroSchema(canonical, compact == canonical ? null : compact, model, avro);
        }
        catch (RegistryException)
        {
            throw;
        }
        catch (Exception e) when (e is global::Avro.AvroException or Newtonsoft.Json.JsonException or JsonException or FormatException
                                      or KeyNotFoundException or InvalidOperationException or ArgumentException or NullReferenceException)
        {
            throw Errors.InvalidSchemaError($"Invalid schema: {e.Message}");
        }
    }

    public IReadOnlyList<string> CheckCompatibility(ParsedSchema reader, ParsedSchema writer, string readerLabel, string writerLabel, bool lenient = false) =>
        AvroCompatibility.Check(((AvroSchema)reader).Model, ((AvroSchema)writer).Model, readerLabel, writerLabel);

    public string? Validate(ParsedSchema schema, ReadOnlySpan<byte> data, IReadOnlyList<int> messageIndexes) =>
        AvroBinaryCheck.Check(((AvroSchema)schema).Avro, data);
}

/// <summary>A parsed Avro schema.</summary>
internal sealed class AvroSchema(string canonical, string? legacyCanonical, AvroType model, global::Avro.Schema avro) : ParsedSchema
{
    public override string SchemaType => AvroFormat.Type;

    public override string Canonical { get; } = canonical;

    /// <summary>Versions before stored the compact text as sent (members in the sender's order).</summary>
    public override string? LegacyCanonical { get; } = legacyCanonical;

    public override string? StrictProblem => AvroDefaults.Mismatch(Model);

    public override string Resolved => field ??= AvroNormalizer.Write(Model, inlineReferences: true);

    public override bool HasTopLevelField(string name) => Model is AvroRecord record && record.Fields.Any(f => f.Name == name);

    public AvroType Model { get; } = model;

    public global::Avro.Schema Avro { get; } = avro;
}
