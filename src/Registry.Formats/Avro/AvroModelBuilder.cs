using System.Text.Json;

namespace Registry.Formats.Avro;

/// <summary>
/// Builds <see cref="AvroType"/> graphs from schema JSON that Apache.Avro has already validated.
/// Recursion is bounded: the JSON nesting depth was checked before parsing.
/// </summary>
internal sealed class AvroModelBuilder
{
    private static readonly HashSet<string> Primitives = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"];
    private static readonly HashSet<string> NamedKeys = ["type", "name", "namespace", "doc", "aliases", "fields", "symbols", "default", "size"];
    private readonly Dictionary<string, AvroNamed> _names = new(StringComparer.Ordinal);

    /// <summary>Adds the named types of a referenced schema, marked external.</summary>
    public void AddReference(JsonElement schema)
    {
        var before = _names.Keys.ToHashSet(StringComparer.Ordinal);
        Build(schema, null);
        foreach (var (name, type) in _names)
            if (!before.Contains(name)) type.External = true;
    }

    public AvroType Build(JsonElement schema, string? enclosingNamespace)
    {
        switch (schema.ValueKind)
        {
            case JsonValueKind.String:
                return Named(schema.GetString()!, enclosingNamespace);
            case JsonValueKind.Array:
                return new AvroUnion(schema.EnumerateArray().Select(b => Build(b, enclosingNamespace)).ToList());
            case JsonValueKind.Object:
                break;
            default:
                throw new FormatException("a schema is a JSON string, object or array");
        }

        var type = schema.GetProperty("type");
        if (type.ValueKind != JsonValueKind.String) return Build(type, enclosingNamespace);
        var kind = type.GetString()!;
        switch (kind)
        {
            case "record" or "error":
                {
                    var (fullName, ns) = FullName(schema, enclosingNamespace);
                    var record = new AvroRecord(fullName, kind);
                    Define(record, schema, ns);
                    foreach (var f in schema.GetProperty("fields").EnumerateArray())
                    {
                        var field = new AvroField(f.GetProperty("name").GetString()!, Build(f.GetProperty("type"), ns))
                        {
                            Doc = f.TryGetProperty("doc", out var doc) ? doc.GetString() : null,
                            Default = f.TryGetProperty("default", out var def) ? def.Clone() : null,
                            Order = f.TryGetProperty("order", out var order) ? order.GetString() : null,
                        };
                        if (f.TryGetProperty("aliases", out var aliases)) field.Aliases.AddRange(aliases.EnumerateArray().Select(a => a.GetString()!));
                        foreach (var p in f.EnumerateObject())
                            if (p.Name is not ("name" or "type" or "doc" or "default" or "order" or "aliases")) field.Props[p.Name] = p.Value.Clone();
                        record.Fields.Add(field);
                    }
                    return WithProps(record, schema, NamedKeys);
                }
            case "enum":
                {
                    var (fullName, ns) = FullName(schema, enclosingNamespace);
                    var e = new AvroEnum(fullName) { Default = schema.TryGetProperty("default", out var d) ? d.GetString() : null };
                    e.Symbols.AddRange(schema.GetProperty("symbols").EnumerateArray().Select(s => s.GetString()!));
                    Define(e, schema, ns);
                    return WithProps(e, schema, NamedKeys);
                }
            case "fixed":
                {
                    var (fullName, ns) = FullName(schema, enclosingNamespace);
                    var f = new AvroFixed(fullName, schema.GetProperty("size").GetInt32());
                    Define(f, schema, ns);
                    return WithProps(f, schema, NamedKeys);
                }
            case "array":
                return WithProps(new AvroArray(Build(schema.GetProperty("items"), enclosingNamespace)), schema, ["type", "items"]);
            case "map":
                return WithProps(new AvroMap(Build(schema.GetProperty("values"), enclosingNamespace)), schema, ["type", "values"]);
            default:
                if (Primitives.Contains(kind)) return WithProps(new AvroPrimitive(kind), schema, ["type"]);
                return Named(kind, enclosingNamespace);
        }
    }

    private AvroType Named(string name, string? enclosingNamespace)
    {
        if (Primitives.Contains(name)) return new AvroPrimitive(name);
        if (!name.Contains('.') && enclosingNamespace is { Length: > 0 } && _names.TryGetValue(enclosingNamespace + "." + name, out var inNs)) return inNs;
        if (_names.TryGetValue(name, out var named)) return named;
        throw new FormatException($"Undefined name: {name}");
    }

    private void Define(AvroNamed type, JsonElement schema, string? ns)
    {
        type.Doc = schema.TryGetProperty("doc", out var doc) && doc.ValueKind == JsonValueKind.String ? doc.GetString() : null;
        if (schema.TryGetProperty("aliases", out var aliases))
            foreach (var a in aliases.EnumerateArray().Select(a => a.GetString()!))
                type.Aliases.Add(a.Contains('.') || ns is not { Length: > 0 } ? a : ns + "." + a);
        _names.TryAdd(type.FullName, type);
    }

    private static (string FullName, string? Namespace) FullName(JsonElement schema, string? enclosingNamespace)
    {
        ValidNames(schema.GetProperty("name").GetString()!, "name");
        if (schema.TryGetProperty("namespace", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() is { Length: > 0 } explicitNamespace)
            ValidNames(explicitNamespace, "namespace");
        return NameOf(schema, enclosingNamespace);
    }

    /// <summary>
    /// Avro's Name of a named type's definition: the full name and the namespace (null for none). A dotted name carries
    /// its namespace; otherwise an explicit namespace, else the enclosing one.
    /// </summary>
    internal static (string FullName, string? Namespace) NameOf(JsonElement schema, string? enclosingNamespace)
    {
        var name = schema.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
        if (name.Contains('.')) return (name, name[..name.LastIndexOf('.')]);
        var ns = schema.TryGetProperty("namespace", out var explicitNs) && explicitNs.ValueKind == JsonValueKind.String ? explicitNs.GetString() : enclosingNamespace;
        return string.IsNullOrEmpty(ns) ? (name, null) : (ns + "." + name, ns);
    }

    /// <summary>
    /// Avro's name rule for each dot-separated part (as Avro 1.12's default validator, which Confluent uses: a letter
    /// or '_' first, then letters, digits or '_'); a bad name or namespace is an invalid schema.
    /// </summary>
    private static void ValidNames(string dotted, string what)
    {
        foreach (var part in dotted.Split('.'))
        {
            var valid = part.Length > 0 && (char.IsLetter(part[0]) || part[0] == '_') && part.All(c => char.IsLetterOrDigit(c) || c == '_');
            if (!valid) throw new FormatException($"Invalid {what}: {dotted}");
        }
    }

    private static T WithProps<T>(T type, JsonElement schema, IReadOnlyCollection<string> known) where T : AvroType
    {
        foreach (var p in schema.EnumerateObject())
            if (!known.Contains(p.Name)) type.Props[p.Name] = p.Value.Clone();
        return type;
    }
}
