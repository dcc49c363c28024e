using Avro;

namespace Registry.Formats.Avro;

/// <summary>
/// Checks Avro binary data against a schema by walking it without building values: no allocation per
/// record, which is what keeps payload checks in the gateway close to the broker's own speed.
/// </summary>
internal static class AvroBinaryCheck
{
    private const int MaxDepth = 1_000;

    /// <summary>Null when <paramref name="data"/> is exactly one value of <paramref name="schema"/>, else why not.</summary>
    public static string? Check(Schema schema, ReadOnlySpan<byte> data)
    {
        var position = 0;
        var error = Value(schema, data, ref position, 0);
        if (error is not null) return error;
        return position == data.Length ? null : $"{data.Length - position} bytes are left over after the {schema.Fullname} value";
    }

    private static string? Value(Schema schema, ReadOnlySpan<byte> data, ref int position, int depth)
    {
        if (depth > MaxDepth) return $"the value nests deeper than {MaxDepth} levels";
        switch (schema)
        {
            case LogicalSchema logical:
                return Value(logical.BaseSchema, data, ref position, depth);
            case RecordSchema record:
                foreach (var field in record.Fields)
                {
                    if (Value(field.Schema, data, ref position, depth + 1) is { } error) return $"{record.Name}.{field.Name}: {error}";
                }
                return null;
            case UnionSchema union:
                if (!Long(data, ref position, out var branch)) return Ended(schema);
                if (branch < 0 || branch >= union.Count) return $"union branch {branch} does not exist (the union has {union.Count})";
                return Value(union[(int)branch], data, ref position, depth + 1);
            case EnumSchema @enum:
                if (!Long(data, ref position, out var symbol)) return Ended(schema);
                return symbol < 0 || symbol >= @enum.Count ? $"enum index {symbol} is not a symbol of {@enum.Name}" : null;
            case FixedSchema @fixed:
                return Skip(data, ref position, @fixed.Size) ? null : Ended(schema);
            case ArraySchema array:
                return Blocks(data, ref position, depth, (ReadOnlySpan<byte> d, ref int p, int dp) => Value(array.ItemSchema, d, ref p, dp));
            case MapSchema map:
                return Blocks(data, ref position, depth, (ReadOnlySpan<byte> d, ref int p, int dp) =>
                    LengthPrefixed(d, ref p) ?? Value(map.ValueSchema, d, ref p, dp));
        }
        return schema.Tag switch
        {
            Schema.Type.Null => null,
            Schema.Type.Boolean => position < data.Length && data[position] <= 1 ? Advance(ref position, 1) : "a boolean must be the byte 0 or 1",
            Schema.Type.Int => Long(data, ref position, out var i) ? i is >= int.MinValue and <= int.MaxValue ? null : $"{i} does not fit an int" : Ended(schema),
            Schema.Type.Long => Long(data, ref position, out _) ? null : Ended(schema),
            Schema.Type.Float => Skip(data, ref position, 4) ? null : Ended(schema),
            Schema.Type.Double => Skip(data, ref position, 8) ? null : Ended(schema),
            Schema.Type.Bytes or Schema.Type.String => LengthPrefixed(data, ref position),
            _ => $"values of type {schema.Tag} cannot be checked",
        };
    }

    private delegate string? Item(ReadOnlySpan<byte> data, ref int position, int depth);

    /// <summary>Arrays and maps: blocks of (count, items), a negative count followed by the block's byte size, ending with 0.</summary>
    private static string? Blocks(ReadOnlySpan<byte> data, ref int position, int depth, Item item)
    {
        while (true)
        {
            if (!Long(data, ref position, out var count)) return "the data ends inside an array or map";
            if (count == 0) return null;
            if (count < 0)
            {
                count = -count;
                if (!Long(data, ref position, out _)) return "the data ends inside an array or map";
            }
            // Items of most types take at least a byte; only null-like items can be more than the bytes left.
            if (count > data.Length - position && count > 1_000_000) return $"a block claims {count} items, more than the data can hold";
            for (long i = 0; i < count; i++)
            {
                if (item(data, ref position, depth + 1) is { } error) return error;
            }
        }
    }

    private static string? LengthPrefixed(ReadOnlySpan<byte> data, ref int position)
    {
        if (!Long(data, ref position, out var length)) return "the data ends inside a length";
        if (length < 0) return $"negative length {length}";
        return Skip(data, ref position, length) ? null : $"a length of {length} runs past the end of the data";
    }

    private static bool Skip(ReadOnlySpan<byte> data, ref int position, long count)
    {
        if (count > data.Length - position) return false;
        position += (int)count;
        return true;
    }

    private static string? Advance(ref int position, int count)
    {
        position += count;
        return null;
    }

    private static bool Long(ReadOnlySpan<byte> data, ref int position, out long value)
    {
        var ok = Payloads.Varint.TryRead(data, ref position, out var raw);
        value = (long)(raw >> 1) ^ -(long)(raw & 1);
        return ok;
    }

    private static string Ended(Schema schema) => $"the data ends before the {schema.Fullname} value does";
}
