using System.CommandLine;
using System.Text.Json.Nodes;
using Registry.Core.Model;

namespace Registry.Cli.Commands;

/// <summary><c>registry compat check</c>: online against a subject, or offline against earlier schema files.</summary>
internal static class CompatCommands
{
    public static Command Create(CliIO io)
    {
        var path = new Argument<string>("path") { Description = "A schema file, or a directory of them (one subject per file, named after it)" };
        var subject = new Option<string?>("--subject", "-s") { Description = "Subject to check against (default: the file name without extension)" };
        var against = new Option<string[]>("--against") { Description = "Offline: earlier schema files, oldest first (no registry needed)", AllowMultipleArgumentsPerToken = true };
        var level = new Option<string>("--level") { Description = "Offline: compatibility level", DefaultValueFactory = _ => "BACKWARD" };
        var type = new Option<string?>("--type") { Description = "AVRO, JSON or PROTOBUF (default: from the extension)" };
        var reference = new Option<string[]>("--reference", "-r") { Description = "name=subject:version online, name=path offline" };
        var normalize = new Option<bool>("--normalize") { Description = "Normalize before comparing" };
        var output = CliOptions.Output();
        var check = new Command("check", "Check schema files for compatibility; exit 1 if any is incompatible");
        check.Arguments.Add(path);
        foreach (var o in new Option[] { subject, against, level, type, reference, normalize, output }) check.Options.Add(o);
        var connection = CliOptions.Connection.AddTo(check);
        check.SetAction((result, ct) => io.Run(async () =>
        {
            var files = SchemaFile.Expand(result.GetValue(path)!).Select(f => SchemaFile.Read(f, result.GetValue(type))).ToList();
            if (files.Count == 0) throw new CliException(ExitCodes.UsageOrInput, $"No schema files in {result.GetValue(path)}");
            var references = result.GetValue(reference) ?? [];
            var previous = result.GetValue(against) ?? [];
            var results = new List<CheckResult>();
            foreach (var file in files)
            {
                var name = result.GetValue(subject) ?? Path.GetFileNameWithoutExtension(file.Path);
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var messages = previous.Length > 0 || result.GetValue(against) is { Length: > 0 }
                    ? Offline(file, name, previous, references, result.GetValue(level)!, result.GetValue(normalize))
                    : await Online(connection.Open(result), file, name, references, result.GetValue(normalize), ct);
                var (line, column) = SchemaLocation.Of(file, messages);
                results.Add(new CheckResult(name, file.Path, messages.Count == 0, messages, line, column, watch.Elapsed.TotalSeconds));
            }
            Report.Write(io.Out, result.GetValue(output)!, results);
            return results.All(r => r.Compatible) ? ExitCodes.Ok : ExitCodes.Incompatible;
        }));
        var compat = new Command("compat", "Compatibility checks");
        compat.Subcommands.Add(check);
        return compat;
    }

    private static IReadOnlyList<string> Offline(SchemaFile file, string subject, string[] previous, string[] references, string level, bool normalize)
    {
        if (!CompatibilityLevels.TryParse(level, out var parsed)) throw new CliException(ExitCodes.UsageOrInput, $"Unknown level '{level}'");
        var registry = new OfflineRegistry(parsed);
        var refs = new List<SchemaReference>();
        foreach (var r in references)
        {
            var (name, target) = Split(r);
            registry.Add("ref:" + name, SchemaFile.Read(target), []);
            refs.Add(new SchemaReference(name, "ref:" + name, 1));
        }
        foreach (var p in previous) registry.Add(subject, SchemaFile.Read(p, file.SchemaType), refs);
        return registry.Check(subject, file, refs, normalize);
    }

    private static async Task<IReadOnlyList<string>> Online(RegistryHttp http, SchemaFile file, string subject, string[] references, bool normalize, CancellationToken ct)
    {
        using var _ = http;
        var body = Body(file, references.Select(BasicCommands.ParseReference).ToList());
        var path = $"compatibility/subjects/{RegistryHttp.Subject(subject)}/versions?normalize={(normalize ? "true" : "false")}";
        // Without verbose first, so an invalid schema is an input error here as it is offline.
        var quick = await http.CallAsync(HttpMethod.Post, path, body, ct);
        if (quick?["is_compatible"]?.GetValue<bool>() == true) return [];
        var verbose = await http.CallAsync(HttpMethod.Post, path + "&verbose=true", body, ct);
        var messages = verbose?["messages"]?.AsArray().Select(m => m!.GetValue<string>()).ToList() ?? [];
        return messages.Count > 0 ? messages : ["incompatible"];
    }

    internal static JsonObject Body(SchemaFile file, IReadOnlyList<SchemaReference> references, JsonNode? metadata = null, JsonNode? ruleSet = null)
    {
        var body = new JsonObject { ["schema"] = file.Text, ["schemaType"] = file.SchemaType };
        if (references.Count > 0)
            body["references"] = new JsonArray(references.Select(r => (JsonNode)new JsonObject { ["name"] = r.Name, ["subject"] = r.Subject, ["version"] = r.Version }).ToArray());
        if (metadata is not null) body["metadata"] = metadata.DeepClone();
        if (ruleSet is not null) body["ruleSet"] = ruleSet.DeepClone();
        return body;
    }

    private static (string Name, string Target) Split(string reference)
    {
        var eq = reference.IndexOf('=');
        if (eq <= 0) throw new CliException(ExitCodes.UsageOrInput, $"A reference is name=target, not '{reference}'");
        return (reference[..eq], reference[(eq + 1)..]);
    }
}
