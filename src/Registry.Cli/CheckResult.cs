using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace Registry.Cli;

/// <summary>The verdict on one schema file for one subject.</summary>
public sealed record CheckResult(string Subject, string File, bool Compatible, IReadOnlyList<string> Messages, int Line = 1, int Column = 1, double Seconds = 0);

/// <summary>Writes check results as text, JSON, JUnit XML or GitHub workflow annotations.</summary>
public static class Report
{
    public static void Write(TextWriter output, string format, IReadOnlyList<CheckResult> results, string what = "compatibility")
    {
        switch (format)
        {
            case "json":
                var array = new JsonArray(results.Select(r => (JsonNode)new JsonObject
                {
                    ["subject"] = r.Subject,
                    ["file"] = r.File,
                    ["compatible"] = r.Compatible,
                    ["messages"] = new JsonArray(r.Messages.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
                }).ToArray());
                output.WriteLine(array.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
                break;
            case "junit":
                var time = Seconds(results.Sum(r => r.Seconds));
                var suite = new XElement("testsuite",
                    new XAttribute("name", $"registry {what}"),
                    new XAttribute("tests", results.Count),
                    new XAttribute("failures", results.Count(r => !r.Compatible)),
                    new XAttribute("errors", 0),
                    new XAttribute("time", time),
                    results.Select(r => new XElement("testcase",
                        new XAttribute("classname", r.Subject),
                        new XAttribute("name", $"{r.Subject} ({Path.GetFileName(r.File)})"),
                        new XAttribute("time", Seconds(r.Seconds)),
                        r.Compatible ? null : new XElement("failure", new XAttribute("message", $"{r.Subject} is incompatible"), string.Join("\n", r.Messages)))));
                output.WriteLine(new XDocument(new XElement("testsuites",
                    new XAttribute("name", $"registry {what}"),
                    new XAttribute("tests", results.Count),
                    new XAttribute("failures", results.Count(r => !r.Compatible)),
                    new XAttribute("errors", 0),
                    new XAttribute("time", time),
                    suite)).ToString());
                break;
            case "github":
                foreach (var r in results)
                {
                    if (r.Compatible) output.WriteLine($"::notice file={r.File},line={r.Line}::{r.Subject}: compatible");
                    else output.WriteLine($"::error file={r.File},line={r.Line},col={r.Column},title={r.Subject} is incompatible::{Escape(string.Join(" | ", Registry.Formats.CompatibilityText.Sentences(r.Messages)))}");
                }
                break;
            default:
                foreach (var r in results)
                {
                    output.WriteLine($"{(r.Compatible ? "OK  " : "FAIL")} {r.Subject} <- {r.File}");
                    foreach (var m in r.Messages) output.WriteLine($"     {m}");
                }
                break;
        }
    }

    private static string Seconds(double seconds) => seconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>GitHub annotation messages are one line; %, CR and LF are escaped as the runner expects.</summary>
    private static string Escape(string text) => text.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);
}
