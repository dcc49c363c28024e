using System.Text;
using System.Text.Json;

namespace Registry.Formats.Avro;

/// <summary>
/// An Avro schema printed as Apache Avro's Java <c>Schema.toString()</c> prints it, which is the text Confluent stores
/// (<c>AvroSchema.canonicalString</c>): compact JSON; a named type's members in Avro's order (type, name, namespace,
/// doc, then fields/symbols/size, then other properties as sent, then aliases); a field's name, type, doc, default,
/// order (only when not ascending), aliases, then its other properties; a namespace written only where it differs from
/// the one the type inherits; a primitive without properties as a bare string; a reference to a named type as its
/// name relative to the enclosing namespace. Values (defaults, properties, docs) are written as sent.
/// </summary>
internal sealed class AvroPrinter
{
    private static readonly HashSet<string> Primitives = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"];
    private static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly HashSet<string> _defined = new(StringComparer.Ordinal);

    private AvroPrinter(IEnumerable<JsonElement> schemas)
    {
        foreach (var schema in schemas) Collect(schema, null);
    }

    /// <summary>The text of <paramref name="schema"/>; <paramref name="references"/> are the referenced schemas.</summary>
    public static string Print(JsonElement schema, IEnumerable<JsonElement> references)
    {
        var printer = new AvroPrinter([.. references, schema]);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Options)) printer.Write(writer, schema, null);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Every named type's full name, so a reference by short name resolves as Avro resolves it.</summary>
    private void Collect(JsonElement schema, string? space)
    {
        switch (schema.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var branch in schema.EnumerateArray()) Collect(branch, space);
                return;
            case JsonValueKind.Object when schema.TryGetProperty("type", out var type):
                if (type.ValueKind != JsonValueKind.String)
                {
                    Collect(type, space);
                    return;
                }
                switch (type.GetString())
                {
                    case "record" or "error" or "enum" or "fixed":
                        var (full, ns) = AvroModelBuilder.NameOf(schema, space);
                        _defined.Add(full);
                        if (schema.TryGetProperty("fields", out var fields) && fields.ValueKind == JsonValueKind.Array)
                            foreach (var field in fields.EnumerateArray())
                                if (field.ValueKind == JsonValueKind.Object && field.TryGetProperty("type", out var fieldType)) Collect(fieldType, ns);
                        return;
                    case "array" when schema.TryGetProperty("items", out var items):
                        Collect(items, space);
                        return;
                    case "map" when schema.TryGetProperty("values", out var values):
                        Collect(values, space);
                        return;
                }
                return;
        }
    }

    private void Write(Utf8JsonWriter w, JsonElement schema, string? space)
    {
        switch (schema.ValueKind)
        {
            case JsonValueKind.String:
                WriteReference(w, schema.GetString()!, space);
                return;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var branch in schema.EnumerateArray()) Write(w, branch, space);
                w.WriteEndArray();
                return;
            case JsonValueKind.Object when schema.TryGetProperty("type", out var type):
                if (type.ValueKind != JsonValueKind.String)
                {
                    Write(w, type, space);
                    return;
                }
                var kind = type.GetString()!;
                switch (kind)
                {
                    case "record" or "error":
                        Record(w, schema, kind, space);
                        return;
                    case "enum":
                        Named(w, schema, kind, space, ["symbols", "default"]);
                        return;
                    case "fixed":
                        Named(w, schema, kind, space, ["size"]);
                        return;
                    case "array" or "map":
                        {
                            var child = kind == "array" ? "items" : "values";
                            w.WriteStartObject();
                            w.WriteString("type", kind);
                            if (schema.TryGetProperty(child, out var items))
                            {
                                w.WritePropertyName(child);
                                Write(w, items, space);
                            }
                            Props(w, schema, ["type", child]);
                            w.WriteEndObject();
                            return;
                        }
                    default:
                        if (!Primitives.Contains(kind))
                        {
                            WriteReference(w, kind, space);
                            return;
                        }
                        if (schema.EnumerateObject().All(p => p.Name == "type"))
                        {
                            w.WriteStringValue(kind);
                            return;
                        }
                        w.WriteStartObject();
                        w.WriteString("type", kind);
                        Props(w, schema, ["type"]);
                        w.WriteEndObject();
                        return;
                }
            default:
                schema.WriteTo(w);
                return;
        }
    }

    private void Record(Utf8JsonWriter w, JsonElement schema, string kind, string? space)
    {
        var (full, ns) = AvroModelBuilder.NameOf(schema, space);
        w.WriteStartObject();
        w.WriteString("type", kind);
        WriteName(w, full, ns, space);
        Raw(w, schema, "doc");
        if (schema.TryGetProperty("fields", out var fields))
        {
            w.WritePropertyName("fields");
            if (fields.ValueKind != JsonValueKind.Array)
            {
                fields.WriteTo(w);
            }
            else
            {
                w.WriteStartArray();
                foreach (var field in fields.EnumerateArray()) Field(w, field, ns);
                w.WriteEndArray();
            }
        }
        Props(w, schema, ["type", "name", "namespace", "doc", "fields", "aliases"]);
        Aliases(w, schema);
        w.WriteEndObject();
    }

    private void Field(Utf8JsonWriter w, JsonElement field, string? space)
    {
        if (field.ValueKind != JsonValueKind.Object)
        {
            field.WriteTo(w);
            return;
        }
        w.WriteStartObject();
        Raw(w, field, "name");
        if (field.TryGetProperty("type", out var type))
        {
            w.WritePropertyName("type");
            Write(w, type, space);
        }
        Raw(w, field, "doc");
        Raw(w, field, "default");
        if (field.TryGetProperty("order", out var order) && !(order.ValueKind == JsonValueKind.String && order.GetString() == "ascending"))
        {
            w.WritePropertyName("order");
            order.WriteTo(w);
        }
        Aliases(w, field);
        Props(w, field, ["name", "type", "doc", "default", "order", "aliases"]);
        w.WriteEndObject();
    }

    private static void Named(Utf8JsonWriter w, JsonElement schema, string kind, string? space, string[] members)
    {
        var (full, ns) = AvroModelBuilder.NameOf(schema, space);
        w.WriteStartObject();
        w.WriteString("type", kind);
        WriteName(w, full, ns, space);
        Raw(w, schema, "doc");
        foreach (var member in members) Raw(w, schema, member);
        Props(w, schema, ["type", "name", "namespace", "doc", "aliases", .. members]);
        Aliases(w, schema);
        w.WriteEndObject();
    }

    /// <summary>Avro's writeName: the simple name, and the namespace where it differs from the enclosing one.</summary>
    private static void WriteName(Utf8JsonWriter w, string full, string? ns, string? space)
    {
        w.WriteString("name", ns is null ? full : full[(ns.Length + 1)..]);
        if (ns is not null)
        {
            if (ns != space) w.WriteString("namespace", ns);
        }
        else if (space is not null)
        {
            w.WriteString("namespace", "");
        }
    }

    /// <summary>Avro's writeNameRef: a defined type by its name relative to the enclosing namespace.</summary>
    private void WriteReference(Utf8JsonWriter w, string name, string? space)
    {
        if (Primitives.Contains(name))
        {
            w.WriteStringValue(name);
            return;
        }
        var full = name.Contains('.') || space is null || !_defined.Contains(space + "." + name) ? name : space + "." + name;
        var dot = full.LastIndexOf('.');
        w.WriteStringValue(dot < 0 || full[..dot] == space ? full[(dot + 1)..] : full);
    }

    private static void Raw(Utf8JsonWriter w, JsonElement owner, string member)
    {
        if (!owner.TryGetProperty(member, out var value)) return;
        w.WritePropertyName(member);
        value.WriteTo(w);
    }

    private static void Aliases(Utf8JsonWriter w, JsonElement owner)
    {
        if (owner.TryGetProperty("aliases", out var aliases) && !(aliases.ValueKind == JsonValueKind.Array && aliases.GetArrayLength() == 0))
        {
            w.WritePropertyName("aliases");
            aliases.WriteTo(w);
        }
    }

    private static void Props(Utf8JsonWriter w, JsonElement owner, string[] reserved)
    {
        foreach (var property in owner.EnumerateObject())
            if (Array.IndexOf(reserved, property.Name) < 0) property.WriteTo(w);
    }
}
