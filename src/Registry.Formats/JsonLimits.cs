using System.Text.Json;
using Registry.Core;

namespace Registry.Formats;

/// <summary>Parses schema JSON with a nesting limit, before any recursive parser sees it.</summary>
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
}
