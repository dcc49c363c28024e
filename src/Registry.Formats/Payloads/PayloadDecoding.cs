using System.Text.Json;
using Registry.Core.Formats;
using Registry.Formats.Avro;
using Registry.Formats.Json;
using Registry.Formats.Protobuf;

namespace Registry.Formats.Payloads;

/// <summary>
/// Turns a payload into plain values (dictionaries, lists, strings, numbers, booleans, bytes) for rule
/// expressions, and names the record type a schema describes, for the record-name subject strategies.
/// </summary>
public static class PayloadDecoding
{
    /// <summary>
    /// Whether <see cref="Decode"/> refuses exactly what the format's payload validator refuses (Avro walks the data the
    /// same way; Protobuf validates before it decodes), so a check that decodes anyway need not validate first.
    /// JSON Schema's decode only parses JSON.
    /// </summary>
    public static bool DecodeValidates(ParsedSchema schema) => schema is AvroSchema or ProtobufSchema;

    /// <summary>The payload as plain values, or null with <paramref name="error"/> when it cannot be decoded.</summary>
    public static object? Decode(ParsedSchema schema, ReadOnlySpan<byte> data, IReadOnlyList<int> messageIndexes, int maxDepth, out string? error)
    {
        error = null;
        switch (schema)
        {
            case AvroSchema avro:
                var value = AvroBinaryCheck.Decode(avro.Avro, data, out var avroError);
                if (avroError is not null) error = $"the data is not a valid {avro.Avro.Fullname} value: {avroError}";
                return value;
            case JsonSchemaParsed:
                try
                {
                    using var document = JsonDocument.Parse(data.ToArray(), new JsonDocumentOptions { MaxDepth = maxDepth });
                    return Plain(document.RootElement);
                }
                catch (JsonException e)
                {
                    error = $"the data is not JSON: {e.Message}";
                    return null;
                }
            case ProtobufSchema proto:
                var (message, name, resolveError) = ProtobufFormat.Resolve(proto, messageIndexes);
                var types = proto.Types;
                error = message is null ? resolveError : ProtobufPayload.Validate(types, message, name, data, maxDepth);
                return error is null ? ProtobufPayload.Decode(types, message!, data, maxDepth) : null;
            default:
                error = $"rules on {schema.SchemaType} payloads are not evaluated by this version";
                return null;
        }
    }

    /// <summary>The fully-qualified record name (Avro record, JSON Schema title, Protobuf message at the indexes), or null.</summary>
    public static string? RecordName(ParsedSchema schema, IReadOnlyList<int> messageIndexes)
    {
        switch (schema)
        {
            case AvroSchema avro:
                return avro.Avro is global::Avro.NamedSchema named ? named.Fullname : null;
            case JsonSchemaParsed json:
                return json.Title is { Length: > 0 } title ? title : null;
            case ProtobufSchema proto:
                var indexes = messageIndexes.Count == 0 ? [0] : messageIndexes;
                var types = proto.File.MessageTypes;
                var name = string.IsNullOrEmpty(proto.File.Package) ? "" : proto.File.Package;
                foreach (var index in indexes)
                {
                    if (index < 0 || index >= types.Count) return null;
                    name = name.Length == 0 ? types[index].Name : name + "." + types[index].Name;
                    types = types[index].NestedTypes;
                }
                return name;
            default:
                return null;
        }
    }

    private static object? Plain(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => Plain(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Select(Plain).ToArray(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var l) ? (object)l : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
