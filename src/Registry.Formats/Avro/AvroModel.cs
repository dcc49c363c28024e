using System.Text.Json;

namespace Registry.Formats.Avro;

/// <summary>Our own view of an Avro schema: what normalization and compatibility need, including aliases and custom properties.</summary>
internal abstract class AvroType
{
    /// <summary>The Avro type name: a primitive name, or record, enum, fixed, array, map, union.</summary>
    public abstract string Kind { get; }

    /// <summary>Custom properties (logicalType, precision and others), sorted by name.</summary>
    public SortedDictionary<string, JsonElement> Props { get; } = new(StringComparer.Ordinal);

    public string KindUpper => Kind.ToUpperInvariant();
}

internal sealed class AvroPrimitive(string kind) : AvroType
{
    public override string Kind { get; } = kind;
}

internal abstract class AvroNamed(string fullName) : AvroType
{
    public string FullName { get; } = fullName;

    public string Name => FullName[(FullName.LastIndexOf('.') + 1)..];

    public string? Namespace => FullName.Contains('.') ? FullName[..FullName.LastIndexOf('.')] : null;

    public string? Doc { get; set; }

    public List<string> Aliases { get; } = [];

    /// <summary>Defined in a referenced schema rather than in this one.</summary>
    public bool External { get; set; }
}

internal sealed class AvroRecord(string fullName, string kind) : AvroNamed(fullName)
{
    public override string Kind { get; } = kind;

    public List<AvroField> Fields { get; } = [];
}

internal sealed class AvroField(string name, AvroType type)
{
    public string Name { get; } = name;

    public AvroType Type { get; } = type;

    public string? Doc { get; set; }

    public JsonElement? Default { get; set; }

    public string? Order { get; set; }

    public List<string> Aliases { get; } = [];

    public SortedDictionary<string, JsonElement> Props { get; } = new(StringComparer.Ordinal);
}

internal sealed class AvroEnum(string fullName) : AvroNamed(fullName)
{
    public override string Kind => "enum";

    public List<string> Symbols { get; } = [];

    public string? Default { get; set; }
}

internal sealed class AvroFixed(string fullName, int size) : AvroNamed(fullName)
{
    public override string Kind => "fixed";

    public int Size { get; } = size;
}

internal sealed class AvroArray(AvroType items) : AvroType
{
    public override string Kind => "array";

    public AvroType Items { get; } = items;
}

internal sealed class AvroMap(AvroType values) : AvroType
{
    public override string Kind => "map";

    public AvroType Values { get; } = values;
}

internal sealed class AvroUnion(List<AvroType> branches) : AvroType
{
    public override string Kind => "union";

    public List<AvroType> Branches { get; } = branches;
}
