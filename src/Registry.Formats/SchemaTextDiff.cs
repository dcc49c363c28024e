using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Registry.Formats;

/// <summary>A unified-style line diff (LCS), with JSON schemas pretty-printed first so changes read line by line.</summary>
public static class SchemaTextDiff
{
    private const int MaxLines = 3000;

    public static string Unified(string before, string after, string schemaType)
    {
        var a = Lines(before, schemaType);
        var b = Lines(after, schemaType);
        if (a.Length > MaxLines || b.Length > MaxLines) return $"(schemas of {a.Length} and {b.Length} lines: too long to diff here)";
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
            for (var j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var sb = new StringBuilder();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y]) { sb.Append("  ").AppendLine(a[x]); x++; y++; }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] > lcs[x + 1, y])) sb.Append("+ ").AppendLine(b[y++]);
            else sb.Append("- ").AppendLine(a[x++]);
        }
        return sb.ToString().TrimEnd();
    }

    private static string[] Lines(string text, string schemaType)
    {
        // No text is no lines (a new subject's diff is all additions), not one empty line.
        if (text.Length == 0) return [];
        if (schemaType is "AVRO" or "JSON")
        {
            try
            {
                text = JsonNode.Parse(text)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            }
            catch (JsonException)
            {
            }
        }
        return text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
    }
}
