using Avro;

namespace Registry.Formats.Avro;

/// <summary>
/// Checks Avro binary data against a schema by walking it without building values: no allocation per
/// record, which is what keeps payload checks in the gateway close to the broker's own speed. For rule
/// checks, <see cref="Decode"/> walks it the same way and builds only the plain values the rules read.
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

    /// <summary>
    /// The plain value of <paramref name="data"/> (records and maps as dictionaries, arrays as object arrays, enums as
    /// their symbols, fixed and bytes as byte arrays, logical types as their underlying values), or null with
    /// <paramref name="error"/> when the data is not exactly one value of <paramref name="schema"/>.
    /// </summary>
    public static object? Decode(Schema schema, ReadOnlySpan<byte> data, out string? error)
    {
        var position = 0;
        var value = Read(schema, data, ref position, 0, out error);
        if (error is null && position != data.Length) error = $"{data.Length - position} bytes are left over after the {schema.Fullname} value";
        return error is null ? value : null;
    }

    private static object? Read(Schema schema, ReadOnlySpan<byte> data, ref int position, int depth, out string? error)
    {
        error = null;
        if (depth > MaxDepth)
        {
            error = $"the value nests deeper than {MaxDepth} levels";
            return null;
        }
        switch (schema)
        {
            case LogicalSchema logical:
                return Read(logical.BaseSchema, data, ref position, depth, out error);
            case RecordSchema record:
                var fields = new Dictionary<string, object?>(record.Count, StringComparer.Ordinal);
                foreach (var field in record.Fields)
                {
                    fields[field.Name] = Read(field.Schema, data, ref position, depth + 1, out error);
                    if (error is not null)
                    {
                        error = $"{record.Name}.{field.Name}: {error}";
                        return null;
                    }
                }
                return fields;
            case UnionSchema union:
                if (!Long(data, ref position, out var branch)) error = Ended(schema);
                else if (branch < 0 || branch >= union.Count) error = $"union branch {branch} does not exist (the union has {union.Count})";
                else return Read(union[(int)branch], data, ref position, depth + 1, out error);
                return null;
            case EnumSchema @enum:
                if (!Long(data, ref position, out var symbol)) error = Ended(schema);
                else if (symbol < 0 || symbol >= @enum.Count) error = $"enum index {symbol} is not a symbol of {@enum.Name}";
                else return @enum[(int)symbol];
                return null;
            case FixedSchema @fixed:
                if (@fixed.Size <= data.Length - position)
                {
                    var bytes = data.Slice(position, @fixed.Size).ToArray();
                    position += @fixed.Size;
                    return bytes;
                }
                error = Ended(schema);
                return null;
            case ArraySchema array:
                var items = new List<object?>();
                error = Blocks(data, ref position, depth, (ReadOnlySpan<byte> d, ref int p, int dp) =>
                {
                    items.Add(Read(array.ItemSchema, d, ref p, dp, out var e));
                    return e;
                });
                return error is null ? items.ToArray() : null;
            case MapSchema map:
                var entries = new Dictionary<string, object?>(StringComparer.Ordinal);
                error = Blocks(data, ref position, depth, (ReadOnlySpan<byte> d, ref int p, int dp) =>
                {
                    if (Text(d, ref p, out var key) is { } e) return e;
                    entries[key!] = Read(map.ValueSchema, d, ref p, dp, out e);
                    return e;
                });
                return error is null ? entries : null;
        }
        switch (schema.Tag)
        {
            case Schema.Type.Null:
                return null;
            case Schema.Type.Boolean when position < data.Length && data[position] <= 1:
                return data[position++] == 1;
            case Schema.Type.Boolean:
                error = "a boolean must be the byte 0 or 1";
                return null;
            case Schema.Type.Int:
                if (!Long(data, ref position, out var i)) error = Ended(schema);
                else if (i is < int.MinValue or > int.MaxValue) error = $"{i} does not fit an int";
                else return (int)i;
                return null;
            case Schema.Type.Long:
                if (Long(data, ref position, out var l)) return l;
                error = Ended(schema);
                return null;
            case Schema.Type.Float when 4 <= data.Length - position:
                position += 4;
                return System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(data[(position - 4)..]);
            case Schema.Type.Double when 8 <= data.Length - position:
                position += 8;
                return System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(data[(position - 8)..]);
            case Schema.Type.Float or Schema.Type.Double:
                error = Ended(schema);
                return null;
            case Schema.Type.String:
                error = Text(data, ref position, out var text);
                return text;
            case Schema.Type.Bytes:
                error = Content(data, ref position, out var start);
                return error is null ? data[start..position].ToArray() : null;
            default:
                error = $"values of type {schema.Tag} cannot be decoded";
                return null;
        }
    }

    private static string? Text(ReadOnlySpan<byte> data, ref int position, out string? text)
    {
        text = null;
        if (Content(data, ref position, out var start) is { } error) return error;
        text = System.Text.Encoding.UTF8.GetString(data[start..position]);
        return null;
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

    private static string? LengthPrefixed(ReadOnlySpan<byte> data, ref int position) => Content(data, ref position, out _);

    /// <summary>A length-prefixed value (string, bytes, map key): moves past it; <paramref name="start"/> is where its content begins.</summary>
    private static string? Content(ReadOnlySpan<byte> data, ref int position, out int start)
    {
        start = position;
        if (!Long(data, ref position, out var length)) return "the data ends inside a length";
        if (length < 0) return $"negative length {length}";
        start = position;
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
