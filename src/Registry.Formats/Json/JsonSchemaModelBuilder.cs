using System.Text.Json;

namespace Registry.Formats.Json;

/// <summary>
/// Builds the <see cref="JsNode"/> model of a JSON Schema document. <c>$ref</c> resolves only inside the
/// document or to registry references by name; anything else (http:, file:, another host) is refused,
/// and nothing is ever fetched. Each referenced location is built once, so reference fan-out costs nothing.
/// </summary>
internal sealed class JsonSchemaModelBuilder
{
    private static readonly string[] StringKeywords = ["minLength", "maxLength", "pattern", "format"];
    private static readonly string[] NumberKeywords = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];
    private static readonly string[] ObjectKeywords = ["properties", "required", "additionalProperties", "patternProperties", "dependencies",
        "dependentRequired", "dependentSchemas", "minProperties", "maxProperties", "propertyNames", "unevaluatedProperties"];
    private static readonly string[] ArrayKeywords = ["items", "additionalItems", "prefixItems", "minItems", "maxItems", "uniqueItems",
        "contains", "minContains", "maxContains", "unevaluatedItems"];

    private readonly Dictionary<string, JsonElement> _documents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsNode> _byLocation = new(StringComparer.Ordinal);

    /// <summary>Makes a referenced schema reachable as <c>$ref: "{name}"</c> or <c>"{name}#/pointer"</c>.</summary>
    public void AddDocument(string name, JsonElement root) => _documents[name] = root;

    public JsNode BuildRoot(JsonElement root)
    {
        _documents[""] = root;
        ValidateReferences(root, "");
        return Build(root, "");
    }

    private JsNode Build(JsonElement e, string document)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.True:
                return new JsTrue();
            case JsonValueKind.False:
                return new JsFalse();
            case JsonValueKind.Object:
                break;
            default:
                throw new FormatException($"a schema must be an object or a boolean, not {e.ValueKind}");
        }

        if (e.TryGetProperty("$ref", out var reference))
        {
            var target = reference.GetString() ?? throw new FormatException("$ref must be a string");
            return new JsRef(target, () => Resolve(target, document));
        }

        var parts = new List<JsNode>();
        if (e.TryGetProperty("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.Array
                ? type.EnumerateArray().Select(t => t.GetString() ?? throw new FormatException("type names are strings")).Distinct().ToList()
                : [type.GetString() ?? throw new FormatException("type must be a string or an array")];
            var typed = types.Select(t => TypeNode(t, e, document)).ToList();
            if (typed.Count == 1) parts.Add(typed[0]);
            else if (typed.Count > 1) parts.Add(new JsCombined("anyOf", typed));
        }
        else
        {
            if (Has(e, StringKeywords)) parts.Add(TypeNode("string", e, document));
            if (Has(e, NumberKeywords)) parts.Add(TypeNode("number", e, document));
            if (Has(e, ObjectKeywords)) parts.Add(TypeNode("object", e, document));
            if (Has(e, ArrayKeywords)) parts.Add(TypeNode("array", e, document));
        }
        if (e.TryGetProperty("enum", out var values))
        {
            if (values.ValueKind != JsonValueKind.Array) throw new FormatException("enum must be an array");
            parts.Add(new JsEnum(values.EnumerateArray().Select(v => v.Clone()).ToList(), isConst: false));
        }
        if (e.TryGetProperty("const", out var constant)) parts.Add(new JsEnum([constant.Clone()], isConst: true));
        if (e.TryGetProperty("not", out var not)) parts.Add(new JsNot(Build(not, document)));
        foreach (var criterion in new[] { "allOf", "anyOf", "oneOf" })
        {
            if (!e.TryGetProperty(criterion, out var subschemas)) continue;
            if (subschemas.ValueKind != JsonValueKind.Array || subschemas.GetArrayLength() == 0)
                throw new FormatException($"{criterion} must be a non-empty array");
            parts.Add(new JsCombined(criterion, subschemas.EnumerateArray().Select(s => Build(s, document)).ToList()));
        }

        var node = parts.Count switch
        {
            0 => new JsTrue(),
            1 => parts[0],
            _ => new JsCombined("allOf", parts),
        };
        node.Id = e.TryGetProperty("$id", out var id) || e.TryGetProperty("id", out id) ? id.ToString() : null;
        node.Title = e.TryGetProperty("title", out var title) ? title.ToString() : null;
        node.Description = e.TryGetProperty("description", out var description) ? description.ToString() : null;
        node.Default = e.TryGetProperty("default", out var def) ? def.Clone() : null;
        return node;
    }

    private JsNode TypeNode(string type, JsonElement e, string document) => type switch
    {
        "string" => new JsString { MinLength = Number(e, "minLength"), MaxLength = Number(e, "maxLength"), Pattern = e.TryGetProperty("pattern", out var p) ? p.GetString() : null },
        "number" or "integer" => NumberNode(type, e),
        "object" => ObjectNode(e, document),
        "array" => ArrayNode(e, document),
        "null" => new JsNull(),
        "boolean" => new JsBoolean(),
        _ => throw new FormatException($"unknown type '{type}'"),
    };

    private static JsNumber NumberNode(string type, JsonElement e)
    {
        var node = new JsNumber
        {
            RequiresInteger = type == "integer",
            Minimum = Number(e, "minimum"),
            Maximum = Number(e, "maximum"),
            MultipleOf = Number(e, "multipleOf"),
        };
        // Draft 4 spells exclusive bounds as booleans beside minimum/maximum.
        if (e.TryGetProperty("exclusiveMinimum", out var exMin))
        {
            if (exMin.ValueKind == JsonValueKind.True) (node.ExclusiveMinimum, node.Minimum) = (node.Minimum, null);
            else if (exMin.ValueKind == JsonValueKind.Number) node.ExclusiveMinimum = exMin.GetDecimal();
        }
        if (e.TryGetProperty("exclusiveMaximum", out var exMax))
        {
            if (exMax.ValueKind == JsonValueKind.True) (node.ExclusiveMaximum, node.Maximum) = (node.Maximum, null);
            else if (exMax.ValueKind == JsonValueKind.Number) node.ExclusiveMaximum = exMax.GetDecimal();
        }
        return node;
    }

    private JsObject ObjectNode(JsonElement e, string document)
    {
        var node = new JsObject { MinProperties = Number(e, "minProperties"), MaxProperties = Number(e, "maxProperties") };
        if (e.TryGetProperty("properties", out var properties))
            foreach (var p in Members(properties, "properties")) node.Properties.Add((p.Name, Build(p.Value, document)));
        if (e.TryGetProperty("required", out var required))
            foreach (var r in Items(required, "required")) node.Required.Add(r.GetString() ?? throw new FormatException("required lists strings"));
        if (e.TryGetProperty("additionalProperties", out var additional))
        {
            node.HasAdditional = true;
            if (additional.ValueKind == JsonValueKind.False) node.PermitsAdditional = false;
            else if (additional.ValueKind == JsonValueKind.Object && additional.EnumerateObject().Any()) node.AdditionalSchema = Build(additional, document);
        }
        if (e.TryGetProperty("unevaluatedProperties", out var unevaluated))
        {
            node.HasUnevaluated = true;
            if (unevaluated.ValueKind == JsonValueKind.False) node.PermitsUnevaluated = false;
            else if (unevaluated.ValueKind == JsonValueKind.Object && unevaluated.EnumerateObject().Any()) node.UnevaluatedSchema = Build(unevaluated, document);
        }
        if (e.TryGetProperty("patternProperties", out var patterns))
            foreach (var p in Members(patterns, "patternProperties")) node.PatternProperties.Add((p.Name, Build(p.Value, document)));
        foreach (var keyword in new[] { "dependencies", "dependentRequired", "dependentSchemas" })
        {
            if (!e.TryGetProperty(keyword, out var dependencies)) continue;
            foreach (var d in Members(dependencies, keyword))
            {
                if (d.Value.ValueKind == JsonValueKind.Array) node.DependencyArrays[d.Name] = d.Value.EnumerateArray().Select(x => x.GetString() ?? "").ToList();
                else node.DependencySchemas[d.Name] = Build(d.Value, document);
            }
        }
        return node;
    }

    private JsArray ArrayNode(JsonElement e, string document)
    {
        var node = new JsArray { MinItems = Number(e, "minItems"), MaxItems = Number(e, "maxItems"), MinContains = Number(e, "minContains"), MaxContains = Number(e, "maxContains") };
        node.UniqueItems = e.TryGetProperty("uniqueItems", out var unique) && unique.ValueKind == JsonValueKind.True;
        JsonElement? additionalItems = e.TryGetProperty("additionalItems", out var ai) ? ai : null;
        if (e.TryGetProperty("prefixItems", out var prefix))
        {
            node.ItemSchemas = Items(prefix, "prefixItems").Select(i => Build(i, document)).ToList();
            if (e.TryGetProperty("items", out var rest)) additionalItems = rest;
        }
        else if (e.TryGetProperty("items", out var items))
        {
            if (items.ValueKind == JsonValueKind.Array) node.ItemSchemas = items.EnumerateArray().Select(i => Build(i, document)).ToList();
            else node.AllItems = Build(items, document);
        }
        if (e.TryGetProperty("unevaluatedItems", out var unevaluatedItems))
        {
            node.HasUnevaluatedItems = true;
            if (unevaluatedItems.ValueKind == JsonValueKind.False) node.PermitsUnevaluatedItems = false;
            else if (unevaluatedItems.ValueKind == JsonValueKind.Object && unevaluatedItems.EnumerateObject().Any()) node.UnevaluatedItemsSchema = Build(unevaluatedItems, document);
        }
        if (additionalItems is { } a)
        {
            node.HasAdditionalItems = true;
            if (a.ValueKind == JsonValueKind.False) node.PermitsAdditionalItems = false;
            else if (a.ValueKind == JsonValueKind.Object && a.EnumerateObject().Any()) node.AdditionalItemsSchema = Build(a, document);
        }
        if (e.TryGetProperty("contains", out var contains)) node.Contains = Build(contains, document);
        return node;
    }

    /// <summary>Resolves a reference to a node built once per location.</summary>
    private JsNode Resolve(string reference, string document)
    {
        var (target, pointer) = Split(reference, document);
        var key = target + "#" + pointer;
        if (_byLocation.TryGetValue(key, out var built)) return built;
        var element = Locate(_documents[target], pointer) ?? throw new FormatException($"$ref '{reference}' points at nothing");
        // Placeholder first, so a schema that refers to itself terminates.
        var node = Build(element, target);
        _byLocation[key] = node;
        return node;
    }

    private (string Document, string Pointer) Split(string reference, string document)
    {
        var hash = reference.IndexOf('#', StringComparison.Ordinal);
        var target = hash < 0 ? reference : reference[..hash];
        var pointer = hash < 0 ? "" : reference[(hash + 1)..];
        if (target.Length == 0) return (document, pointer);
        if (_documents.ContainsKey(target)) return (target, pointer);
        throw new FormatException($"$ref '{reference}' is not inside the schema and names no reference; remote references are not fetched");
    }

    /// <summary>Checks every $ref up front so a bad one is refused at registration, iteratively.</summary>
    private void ValidateReferences(JsonElement root, string document)
    {
        var stack = new Stack<JsonElement>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var e = stack.Pop();
            if (e.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in e.EnumerateArray()) stack.Push(item);
            }
            else if (e.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in e.EnumerateObject())
                {
                    if (p.Name == "$ref" && p.Value.ValueKind == JsonValueKind.String)
                    {
                        var (target, pointer) = Split(p.Value.GetString()!, document);
                        if (Locate(_documents[target], pointer) is null) throw new FormatException($"$ref '{p.Value.GetString()}' points at nothing");
                    }
                    else
                    {
                        stack.Push(p.Value);
                    }
                }
            }
        }
    }

    private static JsonElement? Locate(JsonElement root, string pointer)
    {
        if (pointer.Length == 0 || pointer == "/") return root;
        if (!pointer.StartsWith('/')) return null;
        var current = root;
        foreach (var raw in pointer[1..].Split('/'))
        {
            var token = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(token, out var next)) current = next;
            else if (current.ValueKind == JsonValueKind.Array && int.TryParse(token, out var index) && index >= 0 && index < current.GetArrayLength()) current = current[index];
            else return null;
        }
        return current;
    }

    private static bool Has(JsonElement e, string[] keywords) => keywords.Any(k => e.TryGetProperty(k, out _));

    private static decimal? Number(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Number) throw new FormatException($"{name} must be a number");
        return value.TryGetDecimal(out var d) ? d : throw new FormatException($"{name} is out of range");
    }

    private static IEnumerable<JsonProperty> Members(JsonElement e, string keyword) =>
        e.ValueKind == JsonValueKind.Object ? e.EnumerateObject() : throw new FormatException($"{keyword} must be an object");

    private static IEnumerable<JsonElement> Items(JsonElement e, string keyword) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray() : throw new FormatException($"{keyword} must be an array");
}
