using System.Text;

namespace Registry.Formats.Protobuf;

/// <summary>
/// The tokens of a .proto (comments dropped), and the layout earlier versions stored as the canonical text: one
/// statement per line with a fixed indentation. Schemas stored in that layout keep it; it is still computed for a new
/// schema (<see cref="Registry.Core.Formats.ParsedSchema.LegacyCanonical"/>) so they stay the same schema.
/// </summary>
internal static class ProtoText
{
    public static string Canonical(string text, bool normalize = false)
    {
        var tokens = Tokens(text).ToList();
        if (normalize) tokens = ProtoNormalizer.Normalize(tokens);
        return Layout(tokens);
    }

    private static string Layout(IEnumerable<string> tokens)
    {
        var sb = new StringBuilder();
        var indent = 0;
        var lineStart = true;
        string? previous = null;
        foreach (var token in tokens)
        {
            if (token == "}")
            {
                indent = Math.Max(0, indent - 1);
                if (!lineStart) sb.Append('\n');
                sb.Append(' ', indent * 2).Append('}').Append('\n');
                lineStart = true;
                previous = token;
                continue;
            }
            if (lineStart) sb.Append(' ', indent * 2);
            else if (NeedsSpace(previous!, token)) sb.Append(' ');
            sb.Append(token);
            lineStart = false;
            if (token == "{")
            {
                sb.Append('\n');
                indent++;
                lineStart = true;
            }
            else if (token == ";")
            {
                sb.Append('\n');
                lineStart = true;
            }
            previous = token;
        }
        return sb.ToString().TrimEnd('\n');
    }

    private static bool NeedsSpace(string previous, string token) =>
        token is not (";" or "," or ")" or "]" or ">" or ".") && previous is not ("(" or "[" or "<" or ".");

    internal static IEnumerable<string> Tokens(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n') i++;
                continue;
            }
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? text.Length : end + 2;
                continue;
            }
            if (c is '"' or '\'')
            {
                var start = i++;
                while (i < text.Length && text[i] != c)
                {
                    if (text[i] == '\\') i++;
                    i++;
                }
                i = Math.Min(i + 1, text.Length);
                yield return text[start..i];
                continue;
            }
            if (char.IsLetterOrDigit(c) || c is '_' or '.' or '-' or '+')
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '_' or '.' or '-' or '+')) i++;
                yield return text[start..i];
                continue;
            }
            yield return c.ToString();
            i++;
        }
    }
}
