using System.Text;
using Google.Protobuf.Reflection;
using Registry.Formats.Payloads;

namespace Registry.Formats.Protobuf;

/// <summary>
/// Checks Protobuf binary data against a message descriptor without generated code: well-formed tags and
/// lengths, declared fields with the wire type their type needs, valid UTF-8 strings, embedded messages
/// recursively (with a depth limit). Unknown fields are allowed, as Protobuf allows them.
/// </summary>
internal static class ProtobufPayload
{
    public static string? Validate(TypeIndex types, DescriptorProto message, string name, ReadOnlySpan<byte> data, int maxDepth) =>
        ValidateMessage(types, message, name, data, maxDepth);

    private static string? ValidateMessage(TypeIndex types, DescriptorProto message, string name, ReadOnlySpan<byte> data, int depth)
    {
        if (depth <= 0) return $"messages are nested deeper than the limit in {name}";
        var position = 0;
        while (position < data.Length)
        {
            if (!Varint.TryRead(data, ref position, out var tag)) return $"a field tag of {name} is malformed at byte {position}";
            var number = (int)(tag >> 3);
            var wireType = (int)(tag & 7);
            if (number <= 0) return $"{name} has a field with number 0 at byte {position}";
            var field = FieldOf(message, number);
            var start = position;
            switch (wireType)
            {
                case 0:
                    if (!Varint.TryRead(data, ref position, out _)) return $"field {number} of {name} has a malformed varint";
                    break;
                case 1:
                    position += 8;
                    break;
                case 5:
                    position += 4;
                    break;
                case 2:
                    if (!Varint.TryRead(data, ref position, out var length) || length > (ulong)(data.Length - position))
                        return $"field {number} of {name} declares a length past the end of the data";
                    start = position;
                    position += (int)length;
                    break;
                default:
                    return $"field {number} of {name} uses wire type {wireType}, which this registry does not accept (groups are deprecated)";
            }
            if (position > data.Length) return $"field {number} of {name} runs past the end of the data";
            if (field is null) continue;
            var expected = WireType(field);
            var packed = wireType == 2 && field.label == FieldDescriptorProto.Label.LabelRepeated && expected is 0 or 1 or 5;
            if (wireType != expected && !packed)
                return $"field {number} ({field.Name}) of {name} has wire type {wireType}; its type {field.type} needs {expected}";
            if (field.type == FieldDescriptorProto.Type.TypeString && !IsUtf8(data[start..position]))
                return $"field {number} ({field.Name}) of {name} is not valid UTF-8";
            if (field.type == FieldDescriptorProto.Type.TypeMessage && types.Message(field.TypeName) is { } nested)
            {
                var reason = ValidateMessage(types, nested.Message, field.TypeName.TrimStart('.'), data[start..position], depth - 1);
                if (reason is not null) return reason;
            }
        }
        return null;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DescriptorProto, Dictionary<int, FieldDescriptorProto>> FieldsByNumber = new();

    /// <summary>A field by number in constant time: messages with many fields must not cost fields × fields.</summary>
    private static FieldDescriptorProto? FieldOf(DescriptorProto message, int number) =>
        FieldsByNumber.GetValue(message, m => m.Fields.GroupBy(f => f.Number).ToDictionary(g => g.Key, g => g.First())).GetValueOrDefault(number);

    private static int WireType(FieldDescriptorProto field) => field.type switch
    {
        FieldDescriptorProto.Type.TypeDouble or FieldDescriptorProto.Type.TypeFixed64 or FieldDescriptorProto.Type.TypeSfixed64 => 1,
        FieldDescriptorProto.Type.TypeFloat or FieldDescriptorProto.Type.TypeFixed32 or FieldDescriptorProto.Type.TypeSfixed32 => 5,
        FieldDescriptorProto.Type.TypeString or FieldDescriptorProto.Type.TypeBytes or FieldDescriptorProto.Type.TypeMessage => 2,
        FieldDescriptorProto.Type.TypeGroup => 3,
        _ => 0,
    };

    private static bool IsUtf8(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);

    /// <summary>
    /// The message as plain values by field name, for rule expressions: proto3 defaults for absent scalars,
    /// empty lists for absent repeated fields, null for absent messages. Call after <see cref="Validate"/>.
    /// </summary>
    public static Dictionary<string, object?> Decode(TypeIndex types, DescriptorProto message, ReadOnlySpan<byte> data, int depth)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var field in message.Fields)
            values[field.Name] = field.label == FieldDescriptorProto.Label.LabelRepeated ? new List<object?>() : Default(field);
        var position = 0;
        while (position < data.Length && depth > 0)
        {
            if (!Varint.TryRead(data, ref position, out var tag)) break;
            var number = (int)(tag >> 3);
            var wireType = (int)(tag & 7);
            var field = FieldOf(message, number);
            ulong raw = 0;
            var start = position;
            switch (wireType)
            {
                case 0: Varint.TryRead(data, ref position, out raw); break;
                case 1: raw = BitConverter.ToUInt64(data.Slice(position, 8)); position += 8; break;
                case 5: raw = BitConverter.ToUInt32(data.Slice(position, 4)); position += 4; break;
                case 2:
                    Varint.TryRead(data, ref position, out var length);
                    start = position;
                    position += (int)length;
                    break;
                default: return values;
            }
            if (field is null) continue;
            var repeated = field.label == FieldDescriptorProto.Label.LabelRepeated;
            if (wireType == 2 && repeated && WireType(field) != 2)
            {
                // Packed scalars: a run of varints or fixed-width values.
                var packed = data[start..position];
                var p = 0;
                while (p < packed.Length)
                {
                    ulong item;
                    if (WireType(field) == 0) Varint.TryRead(packed, ref p, out item);
                    else if (WireType(field) == 1) { item = BitConverter.ToUInt64(packed.Slice(p, 8)); p += 8; }
                    else { item = BitConverter.ToUInt32(packed.Slice(p, 4)); p += 4; }
                    ((List<object?>)values[field.Name]!).Add(Scalar(field, item));
                }
                continue;
            }
            object? value = wireType == 2
                ? field.type switch
                {
                    FieldDescriptorProto.Type.TypeString => Encoding.UTF8.GetString(data[start..position]),
                    FieldDescriptorProto.Type.TypeMessage when types.Message(field.TypeName) is { } nested => Decode(types, nested.Message, data[start..position], depth - 1),
                    _ => data[start..position].ToArray(),
                }
                : Scalar(field, raw);
            if (repeated) ((List<object?>)values[field.Name]!).Add(value);
            else values[field.Name] = value;
        }
        return values;
    }

    private static object? Default(FieldDescriptorProto field) => field.type switch
    {
        FieldDescriptorProto.Type.TypeString => "",
        FieldDescriptorProto.Type.TypeBytes => Array.Empty<byte>(),
        FieldDescriptorProto.Type.TypeMessage => null,
        FieldDescriptorProto.Type.TypeBool => false,
        FieldDescriptorProto.Type.TypeDouble or FieldDescriptorProto.Type.TypeFloat => 0.0,
        FieldDescriptorProto.Type.TypeUint32 or FieldDescriptorProto.Type.TypeUint64 or FieldDescriptorProto.Type.TypeFixed32 or FieldDescriptorProto.Type.TypeFixed64 => 0UL,
        _ => 0L,
    };

    private static object Scalar(FieldDescriptorProto field, ulong raw) => field.type switch
    {
        FieldDescriptorProto.Type.TypeBool => raw != 0,
        FieldDescriptorProto.Type.TypeDouble => BitConverter.UInt64BitsToDouble(raw),
        FieldDescriptorProto.Type.TypeFloat => (double)BitConverter.UInt32BitsToSingle((uint)raw),
        FieldDescriptorProto.Type.TypeSint32 or FieldDescriptorProto.Type.TypeSint64 => (long)(raw >> 1) ^ -(long)(raw & 1),
        FieldDescriptorProto.Type.TypeInt32 => (long)(int)raw,
        FieldDescriptorProto.Type.TypeSfixed32 => (long)(int)(uint)raw,
        FieldDescriptorProto.Type.TypeUint32 or FieldDescriptorProto.Type.TypeUint64 or FieldDescriptorProto.Type.TypeFixed32 or FieldDescriptorProto.Type.TypeFixed64 => raw,
        _ => (long)raw, // int64, sfixed64, enum
    };

}
