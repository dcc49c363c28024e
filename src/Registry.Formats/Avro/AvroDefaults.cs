using System.Text.Json;

namespace Registry.Formats.Avro;

/// <summary>
/// Field defaults checked against their types, as Avro's <c>isValidDefault</c> does (a union's default may match any
/// branch). Confluent parses without this check and applies it only with <c>validateNewSchemas</c> or
/// <c>normalize</c>; a <c>null</c> default on a field that cannot be null is refused always (its testRegisterBadDefault).
/// </summary>
internal static class AvroDefaults
{
    /// <summary>The first field whose default is <c>null</c> though its type cannot be null, or null.</summary>
    public static string? NullWhereNotNullable(AvroType root) =>
        Walk(root, (field, value) => value.ValueKind == JsonValueKind.Null && !AcceptsNull(field.Type)
            ? $"Invalid default for field {field.Name}: null not a {Describe(field.Type)}"
            : null);

    /// <summary>The first field whose default does not match its type, or null.</summary>
    public static string? Mismatch(AvroType root) =>
        Walk(root, (field, value) => IsValid(field.Type, value, 0) ? null : $"Invalid default for field {field.Name}: {value.GetRawText()} not a {Describe(field.Type)}");

    private static string? Walk(AvroType root, Func<AvroField, JsonElement, string?> check)
    {
        var seen = new HashSet<AvroType>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<AvroType>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var type = stack.Pop();
            if (!seen.Add(type)) continue;
            switch (type)
            {
                case AvroRecord record:
                    foreach (var field in record.Fields)
                    {
                        if (field.Default is { } value && check(field, value) is { } problem) return problem;
                        stack.Push(field.Type);
                    }
                    break;
                case AvroArray array: stack.Push(array.Items); break;
                case AvroMap map: stack.Push(map.Values); break;
                case AvroUnion union: foreach (var branch in union.Branches) stack.Push(branch); break;
            }
        }
        return null;
    }

    private static bool AcceptsNull(AvroType type) =>
        type.Kind == "null" || (type is AvroUnion union && union.Branches.Any(b => b.Kind == "null"));

    private static string Describe(AvroType type) => type is AvroNamed named ? $"{type.Kind} {named.FullName}" : type.Kind;

    private static bool IsValid(AvroType type, JsonElement value, int depth)
    {
        if (depth > 64) return true;
        return type switch
        {
            AvroUnion union => union.Branches.Any(b => IsValid(b, value, depth + 1)),
            AvroRecord record => value.ValueKind == JsonValueKind.Object && record.Fields.All(f =>
                value.TryGetProperty(f.Name, out var member) ? IsValid(f.Type, member, depth + 1) : f.Default is not null),
            AvroEnum e => value.ValueKind == JsonValueKind.String && e.Symbols.Contains(value.GetString()!),
            AvroFixed or AvroPrimitive { Kind: "bytes" or "string" } => value.ValueKind == JsonValueKind.String,
            AvroArray array => value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(v => IsValid(array.Items, v, depth + 1)),
            AvroMap map => value.ValueKind == JsonValueKind.Object && value.EnumerateObject().All(p => IsValid(map.Values, p.Value, depth + 1)),
            AvroPrimitive { Kind: "null" } => value.ValueKind == JsonValueKind.Null,
            AvroPrimitive { Kind: "boolean" } => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            AvroPrimitive { Kind: "int" } => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _),
            AvroPrimitive { Kind: "long" } => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            AvroPrimitive { Kind: "float" or "double" } => value.ValueKind == JsonValueKind.Number,
            _ => true,
        };
    }
}
