using System.Net;
using System.Text;

namespace Registry.Server.Ui;

/// <summary>HTML building for the review UI: every value is encoded; no external CDN, no build step.</summary>
internal static class Html
{
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string Url(string text) => Uri.EscapeDataString(text);

    public static IResult Page(string title, string body, int status = 200) =>
        Results.Content(Layout(title, body), "text/html; charset=utf-8", Encoding.UTF8, status);

    private static string Layout(string title, string body) => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{E(title)}} · Registry</title>
        <link rel="stylesheet" href="/ui/registry.css">
        </head>
        <body><header><a href="/ui/subjects">Registry</a><a href="/ui/proposals" id="nav-reviews">Reviews</a><span class="muted">contract review</span></header>
        <main>{{body}}</main></body></html>
        """;

    /// <summary>The stylesheet, served from <c>/ui/registry.css</c> so the pages need no inline style or script (a strict CSP).</summary>
    public const string Css = """
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2433; background: #f6f7f9; }
        header { background: #1d2433; color: #fff; padding: 10px 24px; display: flex; gap: 24px; align-items: center; }
        header a { color: #fff; text-decoration: none; font-weight: 600; }
        main { max-width: 1200px; margin: 0 auto; padding: 20px 24px; }
        h1 { font-size: 22px; margin: 0 0 12px; } h2 { font-size: 17px; margin: 24px 0 8px; }
        table { border-collapse: collapse; width: 100%; background: #fff; }
        th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e3e6eb; vertical-align: top; }
        th { background: #eef0f4; font-weight: 600; }
        a { color: #2155c4; } .muted { color: #6b7385; } .tag { display: inline-block; background: #e8eefc; border-radius: 3px; padding: 0 6px; margin: 0 2px; }
        form.inline { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; margin-bottom: 12px; }
        input, select, textarea, button { font: inherit; padding: 5px 8px; border: 1px solid #c5cad3; border-radius: 4px; }
        button { background: #2155c4; color: #fff; border: 0; cursor: pointer; } button.secondary { background: #6b7385; }
        textarea { width: 100%; min-height: 260px; font-family: ui-monospace, monospace; }
        pre.code { background: #fff; border: 1px solid #e3e6eb; padding: 12px; overflow: auto; font: 13px/1.4 ui-monospace, monospace; }
        .k { color: #7a3e9d; } .s { color: #2a7a3a; } .n { color: #b35c00; }
        .diff div { font: 13px/1.4 ui-monospace, monospace; white-space: pre; padding: 0 8px; }
        .diff .add { background: #e6ffec; } .diff .del { background: #ffebe9; }
        .box { padding: 10px 14px; border-radius: 4px; margin: 12px 0; } .ok { background: #e6ffec; border: 1px solid #8fd19e; }
        .bad { background: #ffebe9; border: 1px solid #f1a7a0; } .info { background: #eef3ff; border: 1px solid #b7c8f3; }
        tr.current td { background: #fff8d6; font-weight: 600; }
        .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; } nav.pages { margin: 10px 0; display: flex; gap: 12px; }
        """;

    /// <summary>Light server-side highlighting: strings, numbers and keywords in a schema text.</summary>
    public static string Code(string text, string schemaType)
    {
        var pretty = text;
        if (schemaType is "AVRO" or "JSON")
        {
            try
            {
                pretty = System.Text.Json.Nodes.JsonNode.Parse(text)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }
        var encoded = E(pretty);
        encoded = System.Text.RegularExpressions.Regex.Replace(encoded, "&quot;(.*?)&quot;", m => $"<span class=\"s\">{m.Value}</span>");
        encoded = System.Text.RegularExpressions.Regex.Replace(encoded, @"\b(syntax|package|import|message|enum|oneof|repeated|optional|map|option|reserved|service|rpc|returns)\b", "<span class=\"k\">$1</span>");
        return $"<pre class=\"code\">{encoded}</pre>";
    }

    /// <summary>A diff with added and removed lines highlighted.</summary>
    public static string Diff(string unified)
    {
        var sb = new StringBuilder("<div class=\"diff\">");
        foreach (var line in unified.Split('\n'))
        {
            var css = line.StartsWith("+ ", StringComparison.Ordinal) ? "add" : line.StartsWith("- ", StringComparison.Ordinal) ? "del" : "";
            sb.Append($"<div class=\"{css}\">{E(line)}</div>");
        }
        return sb.Append("</div>").ToString();
    }
}
