using Registry.Core.Formats;
using Registry.Formats.Protobuf;

namespace Registry.Formats.Payloads;

/// <summary>The verdict on one payload: valid or not, the schema id it named, and why not.</summary>
public sealed record PayloadVerdict(bool Valid, int? SchemaId, string? Reason)
{
    public static PayloadVerdict Invalid(int? id, string reason) => new(false, id, reason);
}

/// <summary>Checks Confluent wire-format payloads: header, schema id, and the data against that schema.</summary>
public static class PayloadValidation
{
    /// <summary>
    /// Validates a payload; <paramref name="schemaById"/> returns the parsed schema for an id, or null when
    /// the id is unknown.
    /// </summary>
    public static PayloadVerdict Validate(ReadOnlySpan<byte> payload, Func<int, ParsedSchema?> schemaById, SchemaFormats formats)
    {
        if (!WireFormat.TryReadHeader(payload, out var id, out var error)) return PayloadVerdict.Invalid(null, error!);
        var schema = schemaById(id);
        if (schema is null) return PayloadVerdict.Invalid(id, $"schema id {id} is not registered");
        var data = payload[5..];
        IReadOnlyList<int> indexes = [];
        if (schema.SchemaType == ProtobufFormat.Type)
        {
            var consumed = WireFormat.ReadMessageIndexes(data, out var read, out error);
            if (consumed < 0) return PayloadVerdict.Invalid(id, error!);
            indexes = read;
            data = data[consumed..];
        }
        if (formats.Get(schema.SchemaType) is not IPayloadValidator validator)
            return PayloadVerdict.Invalid(id, $"payloads of {schema.SchemaType} schemas cannot be validated");
        var reason = validator.Validate(schema, data, indexes);
        return reason is null ? new PayloadVerdict(true, id, null) : PayloadVerdict.Invalid(id, reason);
    }
}
