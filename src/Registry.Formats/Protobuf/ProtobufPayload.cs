using System.Text;
using Google.Protobuf.Reflection;

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
            if (!TryReadVarint(data, ref position, out var tag)) return $"a field tag of {name} is malformed at byte {position}";
            var number = (int)(tag >> 3);
            var wireType = (int)(tag & 7);
            if (number <= 0) return $"{name} has a field with number 0 at byte {position}";
            var field = message.Fields.FirstOrDefault(f => f.Number == number);
            var start = position;
            switch (wireType)
            {
                case 0:
                    if (!TryReadVarint(data, ref position, out _)) return $"field {number} of {name} has a malformed varint";
                    break;
                case 1:
                    position += 8;
                    break;
                case 5:
                    position += 4;
                    break;
                case 2:
                    if (!TryReadVarint(data, ref position, out var length) || length > (ulong)(data.Length - position))
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

    private static int WireType(FieldDescriptorProto field) => field.type switch
    {
        FieldDescriptorProto.Type.TypeDouble or FieldDescriptorProto.Type.TypeFixed64 or FieldDescriptorProto.Type.TypeSfixed64 => 1,
        FieldDescriptorProto.Type.TypeFloat or FieldDescriptorProto.Type.TypeFixed32 or FieldDescriptorProto.Type.TypeSfixed32 => 5,
        FieldDescriptorProto.Type.TypeString or FieldDescriptorProto.Type.TypeBytes or FieldDescriptorProto.Type.TypeMessage => 2,
        FieldDescriptorProto.Type.TypeGroup => 3,
        _ => 0,
    };

    private static bool IsUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetCharCount(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> data, ref int position, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (position >= data.Length) return false;
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return true;
        }
        return false;
    }
}
