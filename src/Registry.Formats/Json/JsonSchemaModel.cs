using System.Text.Json;

namespace Registry.Formats.Json;

/// <summary>
/// A JSON Schema as the compatibility rules see it: one node per schema kind (string, number, object,
/// array, combined, enum, not, ...), the way Confluent's JSON Schema provider models it.
/// </summary>
internal abstract class JsNode
{
    public string? Id { get; set; }

    public string? Title { get; set; }

    public string? Description { get; set; }

    public JsonElement? Default { get; set; }

    /// <summary>The kind compared for TYPE_CHANGED; nodes of different kinds are different types.</summary>
    public abstract string Kind { get; }
}

/// <summary><c>true</c> or <c>{}</c>: every value.</summary>
internal sealed class JsTrue : JsNode
{
    public override string Kind => "true";
}

/// <summary><c>false</c>: no value.</summary>
internal sealed class JsFalse : JsNode
{
    public override string Kind => "false";
}

internal sealed class JsNull : JsNode
{
    public override string Kind => "null";
}

internal sealed class JsBoolean : JsNode
{
    public override string Kind => "boolean";
}

internal sealed class JsString : JsNode
{
    public override string Kind => "string";

    public decimal? MinLength { get; set; }

    public decimal? MaxLength { get; set; }

    public string? Pattern { get; set; }
}

internal sealed class JsNumber : JsNode
{
    public override string Kind => "number";

    public bool RequiresInteger { get; set; }

    public decimal? Minimum { get; set; }

    public decimal? Maximum { get; set; }

    public decimal? ExclusiveMinimum { get; set; }

    public decimal? ExclusiveMaximum { get; set; }

    public decimal? MultipleOf { get; set; }
}

internal sealed class JsEnum : JsNode
{
    public JsEnum(IReadOnlyList<JsonElement> values, bool isConst)
    {
        Values = values;
        IsConst = isConst;
    }

    public override string Kind => "enum";

    public IReadOnlyList<JsonElement> Values { get; }

    public bool IsConst { get; }
}

internal sealed class JsNot(JsNode mustNot) : JsNode
{
    public override string Kind => "not";

    public JsNode MustNot { get; } = mustNot;
}

internal sealed class JsCombined(string criterion, List<JsNode> subschemas) : JsNode
{
    public override string Kind => "combined";

    /// <summary>allOf, anyOf or oneOf.</summary>
    public string Criterion { get; } = criterion;

    public List<JsNode> Subschemas { get; } = subschemas;
}

internal sealed class JsObject : JsNode
{
    public override string Kind => "object";

    public List<(string Name, JsNode Schema)> Properties { get; } = [];

    public HashSet<string> Required { get; } = new(StringComparer.Ordinal);

    /// <summary>False when additionalProperties is false.</summary>
    public bool PermitsAdditional { get; set; } = true;

    /// <summary>The schema of additional properties, when it is a schema rather than true/false.</summary>
    public JsNode? AdditionalSchema { get; set; }

    public List<(string Pattern, JsNode Schema)> PatternProperties { get; } = [];

    public Dictionary<string, List<string>> DependencyArrays { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, JsNode> DependencySchemas { get; } = new(StringComparer.Ordinal);

    public decimal? MinProperties { get; set; }

    public decimal? MaxProperties { get; set; }

    public bool PermitsUnevaluated { get; set; } = true;

    public JsNode? UnevaluatedSchema { get; set; }

    public bool HasUnevaluated { get; set; }

    public bool HasAdditional { get; set; }

    /// <summary>What extra properties must satisfy: additionalProperties, else unevaluatedProperties (2019-09+).</summary>
    public JsNode? ExtraSchema => HasAdditional || !HasUnevaluated ? AdditionalSchema : UnevaluatedSchema;

    public bool PermitsExtra => HasAdditional || !HasUnevaluated ? PermitsAdditional : PermitsUnevaluated;

    public bool IsOpen => PermitsExtra && ExtraSchema is null && PatternProperties.Count == 0;

    public bool IsPartiallyOpen => ExtraSchema is not null || PatternProperties.Count > 0;
}

internal sealed class JsArray : JsNode
{
    public override string Kind => "array";

    /// <summary>The schema of every item (<c>items</c> as one schema).</summary>
    public JsNode? AllItems { get; set; }

    /// <summary>Positional item schemas (<c>items</c> as an array, or <c>prefixItems</c>).</summary>
    public List<JsNode>? ItemSchemas { get; set; }

    public bool PermitsAdditionalItems { get; set; } = true;

    public JsNode? AdditionalItemsSchema { get; set; }

    public decimal? MinItems { get; set; }

    public decimal? MaxItems { get; set; }

    public bool UniqueItems { get; set; }

    public JsNode? Contains { get; set; }

    public decimal? MinContains { get; set; }

    public decimal? MaxContains { get; set; }

    public bool HasAdditionalItems { get; set; }

    public bool HasUnevaluatedItems { get; set; }

    public bool PermitsUnevaluatedItems { get; set; } = true;

    public JsNode? UnevaluatedItemsSchema { get; set; }

    /// <summary>What items past the positional ones must satisfy: additionalItems, else unevaluatedItems.</summary>
    public JsNode? ExtraItemsSchema => HasAdditionalItems || !HasUnevaluatedItems ? AdditionalItemsSchema : UnevaluatedItemsSchema;

    public bool PermitsExtraItems => HasAdditionalItems || !HasUnevaluatedItems ? PermitsAdditionalItems : PermitsUnevaluatedItems;

    public bool IsOpen => PermitsExtraItems && ExtraItemsSchema is null;
}

/// <summary>A <c>$ref</c>, resolved lazily so recursive schemas are finite graphs.</summary>
internal sealed class JsRef(string reference, Func<JsNode> resolve) : JsNode
{
    private JsNode? _target;

    public override string Kind => "ref";

    public string Reference { get; } = reference;

    public JsNode Target => _target ??= resolve();
}
