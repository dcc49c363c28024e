using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Registry.Storage.Kafka;

/// <summary>
/// Writes JSON exactly as Confluent's Jackson mapper does for <c>_schemas</c> records: no whitespace, members
/// in the order given, non-ASCII as raw UTF-8, and only <c>"</c>, <c>\</c> and control characters escaped
/// (<c>\b \t \n \f \r</c> short, the rest as <c>\u00XX</c> with upper-case hex). Compaction and tombstones work
/// on key bytes, so a key must be byte-identical to the one Confluent writes for the same subject.
/// </summary>
public static class JacksonJson
{
    public static string Write(JsonNode? node)
    {
        var sb = new StringBuilder(256);
        Append(sb, node);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, JsonNode? node)
    {
        // Nesting is bounded: record values nest a few levels (a rule set inside a config), never user-deep.
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject o:
                sb.Append('{');
                var first = true;
                foreach (var (name, value) in o)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    AppendString(sb, name);
                    sb.Append(':');
                    Append(sb, value);
                }
                sb.Append('}');
                break;
            case JsonArray a:
                sb.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Append(sb, a[i]);
                }
                sb.Append(']');
                break;
            case JsonValue v:
                AppendValue(sb, v);
                break;
        }
    }

    private static void AppendValue(StringBuilder sb, JsonValue v)
    {
        switch (v.GetValueKind())
        {
            case JsonValueKind.String:
                AppendString(sb, v.GetValue<string>());
                break;
            case JsonValueKind.True:
                sb.Append("true");
                break;
            case JsonValueKind.False:
                sb.Append("false");
                break;
            case JsonValueKind.Null:
                sb.Append("null");
                break;
            default:
                // Numbers: integers as written; anything else in its shortest round-trip form.
                if (v.TryGetValue<long>(out var l)) sb.Append(l.ToString(CultureInfo.InvariantCulture));
                else if (v.TryGetValue<int>(out var i)) sb.Append(i.ToString(CultureInfo.InvariantCulture));
                else if (v.TryGetValue<double>(out var d)) sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
                else sb.Append(v.ToJsonString());
                break;
        }
    }

    public static void AppendString(StringBuilder sb, string s)
    {
        const string hex = "0123456789ABCDEF";
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\t': sb.Append("\\t"); break;
                case '\n': sb.Append("\\n"); break;
                case '\f': sb.Append("\\f"); break;
                case '\r': sb.Append("\\r"); break;
                case < ' ':
                    sb.Append("\\u00").Append(hex[c >> 4]).Append(hex[c & 0xF]);
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
