using System.Text.Json;
using System.Text.Json.Serialization;
using Registry.Core.State;

namespace Registry.Server.Contracts;

/// <summary>
/// A schema text in an answer: a stored schema's own UTF-8 bytes, written into the JSON as they are kept (no string
/// decoded and encoded again per read), or a text made for this answer (another format of it).
/// </summary>
[JsonConverter(typeof(Converter))]
public readonly struct SchemaText
{
    private readonly StoredSchema? _stored;
    private readonly string? _text;

    public SchemaText(StoredSchema stored) => _stored = stored;

    public SchemaText(string text) => _text = text;

    public override string ToString() => _text ?? _stored?.Schema ?? "";

    public static implicit operator SchemaText(string text) => new(text);

    private sealed class Converter : JsonConverter<SchemaText>
    {
        public override SchemaText Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new(reader.GetString() ?? "");

        public override void Write(Utf8JsonWriter writer, SchemaText value, JsonSerializerOptions options)
        {
            if (value._stored is { } stored) writer.WriteStringValue(stored.SchemaUtf8);
            else writer.WriteStringValue(value._text);
        }
    }
}
