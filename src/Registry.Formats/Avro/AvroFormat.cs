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
        try
        {
            foreach (var reference in references)
            {
                if (reference.SchemaType != Type)
                    throw Errors.InvalidSchemaError($"Invalid schema: reference '{reference.Name}' is a {reference.SchemaType} schema; an Avro schema can only reference Avro schemas");
                using var refDoc = JsonLimits.Parse(reference.Schema, limits.MaxNestingDepth);
                global::Avro.Schema.Parse(reference.Schema, names, null);
                builder.AddReference(refDoc.RootElement);
            }
            using var doc = JsonLimits.Parse(schema, limits.MaxNestingDepth);
            var avro = global::Avro.Schema.Parse(schema, names, null);
            var model = builder.Build(doc.RootElement, null);
            if (AvroDefaults.NullWhereNotNullable(model) is { } problem) throw Errors.InvalidSchemaError($"Invalid schema: {problem}");
            var canonical = normalize ? AvroNormalizer.Write(model) : Compact(doc.RootElement);
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

    /// <summary>
    /// The schema as compact JSON, members in the order sent, without a nested named type's <c>namespace</c> where it
    /// repeats the namespace it inherits: Avro (and so Confluent) prints both forms the same way, so they are one schema.
    /// </summary>
    internal static string Compact(JsonElement root)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            WriteSchema(writer, root, enclosing: null);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteSchema(Utf8JsonWriter w, JsonElement schema, string? enclosing)
    {
        switch (schema.ValueKind)
        {
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var branch in schema.EnumerateArray()) WriteSchema(w, branch, enclosing);
                w.WriteEndArray();
                return;
            case JsonValueKind.Object:
                break;
            default:
                schema.WriteTo(w);
                return;
        }
        var named = schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() is "record" or "error" or "enum" or "fixed"
            && schema.TryGetProperty("name", out var nameElement) && nameElement.ValueKind == JsonValueKind.String;
        var name = named ? schema.GetProperty("name").GetString()! : "";
        var space = !named ? enclosing
            : name.Contains('.') ? name[..name.LastIndexOf('.')]
            : schema.TryGetProperty("namespace", out var ns) && ns.ValueKind == JsonValueKind.String ? ns.GetString() : enclosing;
        w.WriteStartObject();
        foreach (var member in schema.EnumerateObject())
        {
            if (named && member.Name == "namespace" && enclosing is not null && !name.Contains('.')
                && member.Value.ValueKind == JsonValueKind.String && member.Value.GetString() == enclosing)
                continue;
            if (member.Name == "fields" && member.Value.ValueKind == JsonValueKind.Array)
            {
                w.WritePropertyName(member.Name);
                w.WriteStartArray();
                foreach (var field in member.Value.EnumerateArray())
                {
                    if (field.ValueKind != JsonValueKind.Object)
                    {
                        field.WriteTo(w);
                        continue;
                    }
                    w.WriteStartObject();
                    foreach (var part in field.EnumerateObject())
                    {
                        if (part.Name != "type")
                        {
                            part.WriteTo(w);
                            continue;
                        }
                        w.WritePropertyName(part.Name);
                        WriteSchema(w, part.Value, space);
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            else if (member.Name is "items" or "values" || (member.Name == "type" && member.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array))
            {
                w.WritePropertyName(member.Name);
                WriteSchema(w, member.Value, space);
            }
            else
            {
                member.WriteTo(w);
            }
        }
        w.WriteEndObject();
    }

}

/// <summary>A parsed Avro schema.</summary>
internal sealed class AvroSchema(string canonical, string? legacyCanonical, AvroType model, global::Avro.Schema avro) : ParsedSchema
{
    public override string SchemaType => AvroFormat.Type;

    public override string Canonical { get; } = canonical;

    /// <summary>Versions before kept a nested type's repeated namespace in the stored text.</summary>
    public override string? LegacyCanonical { get; } = legacyCanonical;

    public override string? StrictProblem => AvroDefaults.Mismatch(Model);

    public override string Resolved => field ??= AvroNormalizer.Write(Model, inlineReferences: true);

    public override bool HasTopLevelField(string name) => Model is AvroRecord record && record.Fields.Any(f => f.Name == name);

    public AvroType Model { get; } = model;

    public global::Avro.Schema Avro { get; } = avro;
}
