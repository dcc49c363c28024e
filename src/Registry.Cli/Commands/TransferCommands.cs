using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Registry.Cli.Commands;

/// <summary>
/// <c>registry export</c> and <c>registry import</c>: every schema with its subject, version and id, plus
/// subject configs, to one JSON file and back (in IMPORT mode, so ids and versions are kept). Export uses
/// only the Confluent REST API, so it also reads a Confluent Schema Registry.
/// </summary>
internal static class TransferCommands
{
    public const string Format = "registry-export/1";

    public static IEnumerable<Command> Create(CliIO io)
    {
        yield return Export(io);
        yield return Import(io);
    }

    private static Command Export(CliIO io)
    {
        var file = new Option<string>("--file", "-f") { Description = "The file to write", Required = true };
        var prefix = new Option<string?>("--subject-prefix") { Description = "Only subjects starting with this (a context: ':.ctx:')" };
        var command = new Command("export", "Write the registry's schemas, versions, ids and configs to one file");
        command.Options.Add(file);
        command.Options.Add(prefix);
        var connection = CliOptions.Connection.AddTo(command);
        command.SetAction((result, ct) => io.Run(async () =>
        {
            using var http = connection.Open(result);
            var query = result.GetValue(prefix) is { } p ? $"?subjectPrefix={Uri.EscapeDataString(p)}" : "";
            var subjects = (await http.CallAsync(HttpMethod.Get, "subjects" + query, null, ct))!.AsArray().Select(s => s!.GetValue<string>()).ToList();
            var schemas = new JsonArray();
            var configs = new JsonArray();
            var globalConfig = await http.CallAsync(HttpMethod.Get, "config", null, ct);
            configs.Add(new JsonObject { ["subject"] = null, ["compatibilityLevel"] = globalConfig?["compatibilityLevel"]?.DeepClone() });
            await WithProgress(io, "Exporting", subjects.Count, async tick =>
            {
                foreach (var subject in subjects)
                {
                    var s = RegistryHttp.Subject(subject);
                    foreach (var version in (await http.CallAsync(HttpMethod.Get, $"subjects/{s}/versions", null, ct))!.AsArray())
                    {
                        var v = (await http.CallAsync(HttpMethod.Get, $"subjects/{s}/versions/{version}", null, ct))!.AsObject();
                        schemas.Add(new JsonObject
                        {
                            ["subject"] = subject,
                            ["version"] = v["version"]?.DeepClone(),
                            ["id"] = v["id"]?.DeepClone(),
                            ["schemaType"] = v["schemaType"]?.DeepClone() ?? "AVRO",
                            ["schema"] = v["schema"]?.DeepClone(),
                            ["references"] = v["references"]?.DeepClone(),
                            ["metadata"] = v["metadata"]?.DeepClone(),
                            ["ruleSet"] = v["ruleSet"]?.DeepClone(),
                        });
                    }
                    var (status, config) = await http.SendAsync(HttpMethod.Get, $"config/{s}", null, ct);
                    if (status == 200) configs.Add(new JsonObject { ["subject"] = subject, ["compatibilityLevel"] = config?["compatibilityLevel"]?.DeepClone() });
                    tick(subject);
                }
            });
            var document = new JsonObject { ["format"] = Format, ["schemas"] = schemas, ["configs"] = configs };
            await File.WriteAllTextAsync(result.GetValue(file)!, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);
            await io.Out.WriteLineAsync($"Exported {schemas.Count} schema versions of {subjects.Count} subjects to {result.GetValue(file)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Import(CliIO io)
    {
        var file = new Option<string>("--file", "-f") { Description = "A file written by registry export", Required = true };
        var force = new Option<bool>("--force") { Description = "Import into a registry that already has subjects" };
        var command = new Command("import", "Register an export's schemas with their ids and versions (IMPORT mode), then its configs");
        command.Options.Add(file);
        command.Options.Add(force);
        var connection = CliOptions.Connection.AddTo(command);
        command.SetAction((result, ct) => io.Run(async () =>
        {
            JsonObject document;
            try
            {
                document = JsonNode.Parse(await File.ReadAllTextAsync(result.GetValue(file)!, ct))?.AsObject() ?? throw new JsonException("empty");
            }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                throw new CliException(ExitCodes.UsageOrInput, $"Cannot read export file {result.GetValue(file)}: {e.Message}");
            }
            if (document["format"]?.GetValue<string>() != Format) throw new CliException(ExitCodes.UsageOrInput, $"{result.GetValue(file)} is not a {Format} file");
            var schemas = document["schemas"]!.AsArray().Select(s => s!.AsObject())
                .OrderBy(s => s["id"]!.GetValue<int>()).ThenBy(s => s["subject"]!.GetValue<string>(), StringComparer.Ordinal).ThenBy(s => s["version"]!.GetValue<int>()).ToList();

            using var http = connection.Open(result);
            var previousMode = (await http.CallAsync(HttpMethod.Get, "mode", null, ct))?["mode"]?.GetValue<string>() ?? "READWRITE";
            await http.CallAsync(HttpMethod.Put, $"mode?force={(result.GetValue(force) ? "true" : "false")}", new JsonObject { ["mode"] = "IMPORT" }, ct);
            try
            {
                await WithProgress(io, "Importing", schemas.Count, async tick =>
                {
                    foreach (var s in schemas)
                    {
                        var body = new JsonObject { ["schema"] = s["schema"]?.DeepClone(), ["schemaType"] = s["schemaType"]?.DeepClone(), ["id"] = s["id"]?.DeepClone(), ["version"] = s["version"]?.DeepClone() };
                        foreach (var key in new[] { "references", "metadata", "ruleSet" })
                            if (s[key] is { } value) body[key] = value.DeepClone();
                        await http.CallAsync(HttpMethod.Post, $"subjects/{RegistryHttp.Subject(s["subject"]!.GetValue<string>())}/versions", body, ct);
                        tick($"{s["subject"]} v{s["version"]}");
                    }
                });
            }
            finally
            {
                await http.CallAsync(HttpMethod.Put, "mode?force=true", new JsonObject { ["mode"] = previousMode }, CancellationToken.None);
            }
            var configs = 0;
            foreach (var c in document["configs"]?.AsArray() ?? [])
            {
                if (c?["compatibilityLevel"] is not { } level) continue;
                var path = c["subject"] is { } subject ? $"config/{RegistryHttp.Subject(subject.GetValue<string>())}" : "config";
                await http.CallAsync(HttpMethod.Put, path, new JsonObject { ["compatibility"] = level.DeepClone() }, ct);
                configs++;
            }
            await io.Out.WriteLineAsync($"Imported {schemas.Count} schema versions and {configs} configs");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>A progress bar on a terminal; a plain line every 100 items otherwise.</summary>
    private static async Task WithProgress(CliIO io, string title, int total, Func<Action<string>, Task> work)
    {
        if (io.Interactive)
        {
            await AnsiConsole.Progress().StartAsync(async context =>
            {
                var task = context.AddTask(title, maxValue: Math.Max(1, total));
                await work(_ => task.Increment(1));
            });
            return;
        }
        var done = 0;
        await work(item =>
        {
            done++;
            if (done % 100 == 0 || done == total) io.Out.WriteLine($"{title}: {done}/{total} ({item})");
        });
    }
}
