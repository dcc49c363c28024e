using System.Text.Json;
using Registry.Core.Model;

namespace Registry.Formats.Payloads;

/// <summary>
/// The fields an ENCRYPT rule covers, and whether a decoded record carries them encrypted. A field is covered when
/// its <c>confluent:tags</c> (on an Avro field, or a JSON Schema property; inline definitions, followed through
/// records, unions and nested objects) share a tag with an enabled ENCRYPT rule of the schema's domain rules.
/// "Encrypted" is recognised by the clients' ciphertext framing, without any key: a string field carries base64 of
/// the ciphertext, a bytes field the ciphertext itself, and a ciphertext is at least 16 bytes (AES-SIV's tag; AES-GCM
/// adds a 12-byte IV in front). Plaintext that happens to be base64 of 16 bytes or more (24+ characters) passes.
/// </summary>
public static class EncryptedFields
{
    public const int MinimumCiphertext = 16;

    /// <summary>The paths (field names from the top) of the fields the schema's ENCRYPT rules encrypt, and the rule for each.</summary>
    public static IReadOnlyList<(string[] Path, string Rule)> Covered(string schemaType, string schema, RuleSet? ruleSet)
    {
        // Producers encrypt only where their rules run: at ALL or CLIENT.
        if (!RuleSet.IsEnabledAt(ruleSet, "CLIENT")) return [];
        var rules = (ruleSet?.DomainRules ?? []).Where(r => r.Type == "ENCRYPT" && !r.Disabled && r.Tags is { Count: > 0 }).ToList();
        if (rules.Count == 0) return [];
        var found = new List<(string[], string)>();
        try
        {
            using var doc = JsonDocument.Parse(schema);
            var tagged = new List<(string[] Path, HashSet<string> Tags)>();
            if (schemaType == "AVRO") Avro(doc.RootElement, [], tagged, 0);
            else if (schemaType == "JSON") Json(doc.RootElement, [], tagged, 0);
            foreach (var (path, tags) in tagged)
                if (rules.FirstOrDefault(r => r.Tags!.Any(tags.Contains)) is { } rule) found.Add((path, rule.Name ?? "ENCRYPT"));
        }
        catch (JsonException)
        {
            return [];
        }
        return found;
    }

    /// <summary>The first covered field of a decoded record that is present in plaintext, or null when all are encrypted.</summary>
    public static (string Field, string Rule)? FirstPlaintext(object? message, IReadOnlyList<(string[] Path, string Rule)> covered)
    {
        foreach (var (path, rule) in covered)
        {
            object? value = message;
            foreach (var name in path)
            {
                value = value is IReadOnlyDictionary<string, object?> record && record.TryGetValue(name, out var inner) ? inner
                    : value is IDictionary<string, object?> map && map.TryGetValue(name, out inner) ? inner : null;
                if (value is null) break;
            }
            var encrypted = value switch
            {
                null => true,
                byte[] bytes => bytes.Length >= MinimumCiphertext,
                string text => LooksLikeCiphertext(text),
                _ => false,
            };
            if (!encrypted) return (string.Join('.', path), rule);
        }
        return null;
    }

    private static bool LooksLikeCiphertext(string text) => KeyMaterialText.DecodedLength(text) >= MinimumCiphertext;

    private static void Avro(JsonElement schema, string[] path, List<(string[], HashSet<string>)> tagged, int depth)
    {
        if (depth > 64) return;
        switch (schema.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var branch in schema.EnumerateArray()) Avro(branch, path, tagged, depth + 1);
                return;
            case JsonValueKind.Object when schema.TryGetProperty("fields", out var fields) && fields.ValueKind == JsonValueKind.Array:
                foreach (var field in fields.EnumerateArray())
                {
                    if (field.ValueKind != JsonValueKind.Object || !field.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String) continue;
                    string[] at = [.. path, name.GetString()!];
                    if (Tags(field) is { Count: > 0 } tags) tagged.Add((at, tags));
                    if (field.TryGetProperty("type", out var type)) Avro(type, at, tagged, depth + 1);
                }
                return;
            case JsonValueKind.Object when schema.TryGetProperty("type", out var inner) && inner.ValueKind is JsonValueKind.Object or JsonValueKind.Array:
                Avro(inner, path, tagged, depth + 1);
                return;
        }
    }

    private static void Json(JsonElement schema, string[] path, List<(string[], HashSet<string>)> tagged, int depth)
    {
        if (depth > 64 || schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object) return;
        foreach (var property in properties.EnumerateObject())
        {
            string[] at = [.. path, property.Name];
            if (Tags(property.Value) is { Count: > 0 } tags) tagged.Add((at, tags));
            Json(property.Value, at, tagged, depth + 1);
        }
    }

    private static HashSet<string>? Tags(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("confluent:tags", out var tags) && tags.ValueKind == JsonValueKind.Array
            ? tags.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).ToHashSet(StringComparer.Ordinal)
            : null;
}
