using System.Text;
using System.Text.Json;

namespace Registry.Formats.Avro;

/// <summary>
/// Writes the normalized form of an Avro schema: full names, a fixed attribute order, sorted aliases and
/// custom properties, <c>{"type":"int"}</c> written as <c>"int"</c>, and each named type defined once.
/// Types from references stay references by full name.
/// </summary>
internal static class AvroNormalizer
{
    /// <summary>The normalized form; with <paramref name="inlineReferences"/>, types from references are defined inline where first used.</summary>
    public static string Write(AvroType type, bool inlineReferences = false)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { SkipValidation = false, MaxDepth = 4096 }))
        {
            Write(writer, type, new Defined(inlineReferences));
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The named types written so far, and whether referenced ones are written out.</summary>
    private sealed class Defined(bool inlineReferences) : HashSet<string>(StringComparer.Ordinal)
    {
        public bool InlineReferences { get; } = inlineReferences;
    }

    private static void Write(Utf8JsonWriter w, AvroType type, Defined defined)
    {
        switch (type)
        {
            case AvroPrimitive p when p.Props.Count == 0:
                w.WriteStringValue(p.Kind);
                return;
            case AvroNamed named when (named.External && !defined.InlineReferences) || !defined.Add(named.FullName):
                w.WriteStringValue(named.FullName);
                return;
            case AvroUnion u:
                w.WriteStartArray();
                foreach (var b in u.Branches) Write(w, b, defined);
                w.WriteEndArray();
                return;
        }

        w.WriteStartObject();
        w.WriteString("type", type.Kind);
        switch (type)
        {
            case AvroRecord r:
                w.WriteString("name", r.FullName);
                w.WritePropertyName("fields");
                w.WriteStartArray();
                foreach (var f in r.Fields)
                {
                    w.WriteStartObject();
                    w.WriteString("name", f.Name);
                    w.WritePropertyName("type");
                    Write(w, f.Type, defined);
                    if (f.Doc is not null) w.WriteString("doc", f.Doc);
                    if (f.Aliases.Count > 0) WriteStrings(w, "aliases", f.Aliases.Order(StringComparer.Ordinal));
                    if (f.Default is { } d)
                    {
                        w.WritePropertyName("default");
                        d.WriteTo(w);
                    }
                    if (f.Order is not null and not "ascending") w.WriteString("order", f.Order);
                    WriteProps(w, f.Props);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                WriteNamedTail(w, r);
                break;
            case AvroEnum e:
                w.WriteString("name", e.FullName);
                WriteStrings(w, "symbols", e.Symbols);
                if (e.Default is not null) w.WriteString("default", e.Default);
                WriteNamedTail(w, e);
                break;
            case AvroFixed f:
                w.WriteString("name", f.FullName);
                w.WriteNumber("size", f.Size);
                WriteNamedTail(w, f);
                break;
            case AvroArray a:
                w.WritePropertyName("items");
                Write(w, a.Items, defined);
                WriteProps(w, a.Props);
                break;
            case AvroMap m:
                w.WritePropertyName("values");
                Write(w, m.Values, defined);
                WriteProps(w, m.Props);
                break;
            default:
                WriteProps(w, type.Props);
                break;
        }
        w.WriteEndObject();
    }

    private static void WriteNamedTail(Utf8JsonWriter w, AvroNamed named)
    {
        if (named.Doc is not null) w.WriteString("doc", named.Doc);
        if (named.Aliases.Count > 0) WriteStrings(w, "aliases", named.Aliases.Order(StringComparer.Ordinal));
        WriteProps(w, named.Props);
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WritePropertyName(name);
        w.WriteStartArray();
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static void WriteProps(Utf8JsonWriter w, SortedDictionary<string, JsonElement> props)
    {
        foreach (var (key, value) in props)
        {
            w.WritePropertyName(key);
            WriteSorted(w, value);
        }
    }

    /// <summary>A custom property's value with object keys sorted at every level, so key order never changes the normalized form.</summary>
    private static void WriteSorted(Utf8JsonWriter w, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var p in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    w.WritePropertyName(p.Name);
                    WriteSorted(w, p.Value);
                }
                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var item in value.EnumerateArray()) WriteSorted(w, item);
                w.WriteEndArray();
                break;
            default:
                value.WriteTo(w);
                break;
        }
    }
}
