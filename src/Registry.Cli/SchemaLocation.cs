using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Registry.Cli;

/// <summary>
/// Where in a schema file a compatibility message points, and the message as a sentence: JSON Schema and
/// Protobuf messages name a path such as <c>#/properties/qty</c> or <c>#/Order/2</c>, Avro messages a path such
/// as <c>/fields/1/type</c>. The location is the deepest part of that path the file has (1:1 when none).
/// </summary>
public static partial class SchemaLocation
{
    [GeneratedRegex("#(/[^\\s:'\"]*)")]
    private static partial Regex HashPath();

    [GeneratedRegex("path '(/[^']*)'")]
    private static partial Regex AvroPath();

    /// <summary>The line and column (1-based) the first locatable message points at.</summary>
    public static (int Line, int Column) Of(SchemaFile file, IReadOnlyList<string> messages)
    {
        foreach (var message in messages)
        {
            var path = HashPath().Match(message) is { Success: true } h ? h.Groups[1].Value
                : AvroPath().Match(message) is { Success: true } a ? a.Groups[1].Value : null;
            if (path is null) continue;
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var offset = file.SchemaType == "PROTOBUF" ? InProto(file.Text, segments) : InJson(file.Text, segments);
            if (offset >= 0) return LineAndColumn(file.Text, offset);
        }
        return (1, 1);
    }

    /// <summary>The character offset of the deepest member or element of a JSON document on the path, or -1.</summary>
    private static int InJson(string text, string[] segments)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        // The segments of the containers being read (the root has none), and for each open array its next index.
        var path = new List<string>();
        var arrays = new Stack<(bool IsArray, int Next)>();
        string? name = null;
        var best = -1;
        var bestDepth = 0;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    name = reader.GetString();
                    Consider([.. path, name!], (int)reader.TokenStartIndex);
                    continue;
                }
                if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    arrays.Pop();
                    if (arrays.Count > 0) path.RemoveAt(path.Count - 1);
                    continue;
                }
                // A value: named by the member it belongs to, or by its index in the array it is in.
                var segment = name;
                name = null;
                if (arrays.Count > 0 && arrays.Peek().IsArray)
                {
                    var (_, next) = arrays.Pop();
                    arrays.Push((true, next + 1));
                    segment = next.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    Consider([.. path, segment], (int)reader.TokenStartIndex);
                }
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    if (arrays.Count > 0) path.Add(segment ?? "");
                    arrays.Push((reader.TokenType == JsonTokenType.StartArray, 0));
                }
            }
        }
        catch (JsonException)
        {
            // A file that is not JSON: the best location found so far.
        }
        return best < 0 ? -1 : Encoding.UTF8.GetCharCount(bytes, 0, best);

        void Consider(List<string> at, int offset)
        {
            if (at.Count > segments.Length || at.Count <= bestDepth) return;
            for (var i = 0; i < at.Count; i++)
                if (at[i] != segments[i]) return;
            best = offset;
            bestDepth = at.Count;
        }
    }

    /// <summary>The offset of a message declaration (the path's first segment, by its last name) and of its field numbered by the second, or -1.</summary>
    private static int InProto(string text, string[] segments)
    {
        if (segments.Length == 0) return -1;
        var name = segments[0][(segments[0].LastIndexOf('.') + 1)..];
        var declaration = Regex.Match(text, $@"\b(message|enum)\s+{Regex.Escape(name)}\b");
        if (!declaration.Success) return -1;
        if (segments.Length < 2 || !int.TryParse(segments[1], out var number)) return declaration.Index;
        var field = new Regex($@"^\s*[^=\n]*=\s*{number}\s*[;\[]", RegexOptions.Multiline).Match(text, declaration.Index);
        return field.Success ? field.Index + (field.Value.Length - field.Value.TrimStart().Length) : declaration.Index;
    }

    private static (int Line, int Column) LineAndColumn(string text, int offset)
    {
        var before = text[..Math.Min(offset, text.Length)];
        return (before.Count(c => c == '\n') + 1, before.Length - (before.LastIndexOf('\n') + 1) + 1);
    }
}
