using System.Text.Json;
using Registry.Core;

namespace Registry.Formats;

/// <summary>Schema JSON: parsed with a nesting limit before any recursive parser sees it, and written compactly.</summary>
internal static class JsonLimits
{
    public static JsonDocument Parse(string json, int maxDepth)
    {
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = maxDepth, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e) when (e.Message.Contains("maximum configured depth", StringComparison.OrdinalIgnoreCase))
        {
            throw Errors.InvalidSchemaError($"Invalid schema: JSON nesting is deeper than the limit of {maxDepth}");
        }
        catch (JsonException e)
        {
            throw Errors.InvalidSchemaError($"Invalid schema: not valid JSON: {e.Message}");
        }
    }

    /// <summary>The compact text of a JSON value: no whitespace, key order kept, non-ASCII kept as is.</summary>
    public static string Compact(JsonElement root)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            root.WriteTo(writer);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
