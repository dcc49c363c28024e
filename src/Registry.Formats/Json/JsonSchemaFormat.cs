using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Core;
using Registry.Core.Formats;

namespace Registry.Formats.Json;

/// <summary>
/// JSON Schema: stored as compact JSON (keys sorted when normalizing), compared with Confluent's
/// difference types. <c>$ref</c> resolves inside the schema or through registry references only.
/// </summary>
public sealed class JsonSchemaFormat(FormatLimits limits) : ISchemaFormat, Payloads.IPayloadValidator
{
    public const string Type = "JSON";

    public string SchemaType => Type;

    public ParsedSchema Parse(string schema, IReadOnlyList<ResolvedReference> references, bool normalize)
    {
        try
        {
            var builder = new JsonSchemaModelBuilder();
            foreach (var reference in references)
            {
                if (reference.SchemaType != Type)
                    throw Errors.InvalidSchemaError($"Invalid schema: reference '{reference.Name}' is a {reference.SchemaType} schema; a JSON schema can only reference JSON schemas");
                using var referenced = JsonLimits.Parse(reference.Schema, limits.MaxNestingDepth);
                builder.AddDocument(reference.Name, referenced.RootElement.Clone());
            }
            using var doc = JsonLimits.Parse(schema, limits.MaxNestingDepth);
            var root = doc.RootElement.Clone();
            var model = builder.BuildRoot(root);
            var canonical = normalize ? Sorted(root) : JsonLimits.Compact(root);
            return new JsonSchemaParsed(canonical, model, text: schema, references.ToDictionary(r => r.Name, r => r.Schema, StringComparer.Ordinal));
        }
        catch (RegistryException)
        {
            throw;
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or KeyNotFoundException or JsonException or OverflowException)
        {
            throw Errors.InvalidSchemaError($"Invalid schema: {e.Message}");
        }
    }

    public IReadOnlyList<string> CheckCompatibility(ParsedSchema reader, ParsedSchema writer, string readerLabel, string writerLabel, bool lenient = false)
    {
        var compatible = lenient ? JsonCompatibleChanges.Lenient : JsonCompatibleChanges.Strict;
        // Confluent: the reader is compatible when every difference from the writer's schema to it is in the compatible set.
        return JsonSchemaDiff.Compare(((JsonSchemaParsed)writer).Model, ((JsonSchemaParsed)reader).Model, compatible)
            .Where(d => !compatible.Contains(d.Type))
            .Select(d => $"{{errorType:\"{d.Type}\", description:\"{d.Type} {d.Path}: {JsonDifferenceText.Sentence(d.Type, writerLabel, readerLabel)}\"}}")
            .ToList();
    }

    public string? Validate(ParsedSchema schema, ReadOnlySpan<byte> data, IReadOnlyList<int> messageIndexes)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(data.ToArray(), new JsonDocumentOptions { MaxDepth = limits.MaxNestingDepth });
        }
        catch (JsonException e)
        {
            return $"the data is not JSON: {e.Message}";
        }
        using (document)
        {
            var results = ((JsonSchemaParsed)schema).Validator.Evaluate(document.RootElement, new global::Json.Schema.EvaluationOptions { OutputFormat = global::Json.Schema.OutputFormat.List });
            if (results.IsValid) return null;
            var error = results.Details?.FirstOrDefault(d => d.Errors is { Count: > 0 });
            return error is null
                ? "the data does not match the schema"
                : $"the data does not match the schema at '{error.InstanceLocation}': {string.Join("; ", error.Errors!.Values)}";
        }
    }

    /// <summary>All differences from an original to an update, as "TYPE path" (the conformance vectors' form).</summary>
    internal static IReadOnlyList<string> Differences(ParsedSchema original, ParsedSchema update, bool lenient) =>
        JsonSchemaDiff.Compare(((JsonSchemaParsed)original).Model, ((JsonSchemaParsed)update).Model, lenient ? JsonCompatibleChanges.Lenient : JsonCompatibleChanges.Strict)
            .Select(d => $"{d.Type} {d.Path}").ToList();

    internal static bool IsCompatibleChange(string type, bool lenient) => (lenient ? JsonCompatibleChanges.Lenient : JsonCompatibleChanges.Strict).Contains(type);


    /// <summary>Keys sorted at every level (Confluent's JSON normalization); array order is kept.</summary>
    private static string Sorted(JsonElement root)
    {
        var node = JsonNode.Parse(root.GetRawText(), documentOptions: new JsonDocumentOptions { MaxDepth = 1000 });
        return JsonLimits.Compact(JsonSerializer.SerializeToElement(SortKeys(node)));
    }

    private static JsonNode? SortKeys(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, SortKeys(p.Value?.DeepClone())))),
        JsonArray a => new JsonArray(a.Select(i => SortKeys(i?.DeepClone())).ToArray()),
        _ => node?.DeepClone(),
    };
}

/// <summary>A parsed JSON Schema.</summary>
internal sealed class JsonSchemaParsed(string canonical, JsNode model, string text, IReadOnlyDictionary<string, string> references) : ParsedSchema
{
    private static readonly Uri Base = new("https://registry.invalid/");
    private global::Json.Schema.JsonSchema? _validator;

    /// <summary>The payload validator (JsonSchema.Net), built on first use; references are registered by name and nothing is fetched.</summary>
    public global::Json.Schema.JsonSchema Validator => _validator ??= BuildValidator();

    private global::Json.Schema.JsonSchema BuildValidator()
    {
        var registry = new global::Json.Schema.SchemaRegistry { Fetch = (_, _) => null };
        var options = new global::Json.Schema.BuildOptions { SchemaRegistry = registry };
        foreach (var (name, schema) in references)
        {
            var uri = new Uri(Base, name);
            registry.Register(uri, global::Json.Schema.JsonSchema.FromText(schema, options, uri));
        }
        return global::Json.Schema.JsonSchema.FromText(text, options, new Uri(Base, "__registry_main.json"));
    }

    public override string SchemaType => JsonSchemaFormat.Type;

    public override string Canonical { get; } = canonical;

    /// <summary>The root schema's <c>title</c> (the record name of the record-name subject strategies), read once.</summary>
    public string? Title => _title ??= ReadTitle() ?? "";

    private string? _title;

    private string? ReadTitle()
    {
        using var document = JsonDocument.Parse(Canonical);
        return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String
            ? title.GetString()
            : null;
    }

    public JsNode Model { get; } = model;

    public override bool HasTopLevelField(string name) => Model is JsObject o && o.Properties.Any(p => p.Name == name);
}
