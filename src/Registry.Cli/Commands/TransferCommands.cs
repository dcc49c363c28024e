using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Registry.Cli.Commands;

/// <summary>
/// <c>registry export</c> and <c>registry import</c>: every schema version with its subject, id and registration
/// time, soft-deleted ones included (records written with their ids must still deserialize after a restore), plus
/// the configs and modes of the registry, its contexts and its subjects, to one JSON file and back (in IMPORT mode,
/// so ids and versions are kept). Export uses only the Confluent REST API, so it also reads a Confluent Schema Registry.
/// </summary>
internal static class TransferCommands
{
    public const string Format = "registry-export/2";

    /// <summary>The first format: live versions and compatibility levels only. Still imported.</summary>
    public const string FormatV1 = "registry-export/1";

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
            var query = result.GetValue(prefix) is { } p ? $"&subjectPrefix={Uri.EscapeDataString(p)}" : "";
            var subjects = (await http.CallAsync(HttpMethod.Get, "subjects?deleted=true" + query, null, ct))!.AsArray().Select(s => s!.GetValue<string>()).ToList();
            var schemas = new JsonArray();
            var configs = new JsonArray();
            var modes = new JsonArray();
            // Scopes above the subjects: the registry (null) and each context (:.ctx:).
            var contexts = (await http.CallAsync(HttpMethod.Get, "contexts", null, ct))?.AsArray().Select(c => c!.GetValue<string>()).Where(c => c != ".") ?? [];
            foreach (var scope in new string?[] { null }.Concat(contexts.Select(c => $":{c}:")))
                await ExportScopeAsync(http, scope, configs, modes, ct);
            await WithProgress(io, "Exporting", subjects.Count, async tick =>
            {
                foreach (var subject in subjects)
                {
                    var s = RegistryHttp.Subject(subject);
                    // A subject whose versions are all soft-deleted has no live versions (404).
                    var (liveStatus, liveVersions) = await http.SendAsync(HttpMethod.Get, $"subjects/{s}/versions", null, ct);
                    var live = liveStatus == 200 ? liveVersions!.AsArray().Select(v => v!.GetValue<int>()).ToHashSet() : [];
                    foreach (var version in (await http.CallAsync(HttpMethod.Get, $"subjects/{s}/versions?deleted=true", null, ct))!.AsArray())
                    {
                        var v = (await http.CallAsync(HttpMethod.Get, $"subjects/{s}/versions/{version}?deleted=true", null, ct))!.AsObject();
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
                            ["ts"] = v["ts"]?.DeepClone(),
                            ["deleted"] = !live.Contains(version!.GetValue<int>()),
                        });
                    }
                    await ExportScopeAsync(http, subject, configs, modes, ct);
                    tick(subject);
                }
            });
            var (keks, deks) = await ExportKeysAsync(http, result.GetValue(prefix), ct);
            var document = new JsonObject { ["format"] = Format, ["schemas"] = schemas, ["configs"] = configs, ["modes"] = modes, ["keks"] = keks, ["deks"] = deks };
            await File.WriteAllTextAsync(result.GetValue(file)!, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);
            await io.Out.WriteLineAsync($"Exported {schemas.Count} schema versions of {subjects.Count} subjects, {keks.Count} KEKs and {deks.Count} DEK versions to {result.GetValue(file)}");
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
            if (document["format"]?.GetValue<string>() is not (Format or FormatV1)) throw new CliException(ExitCodes.UsageOrInput, $"{result.GetValue(file)} is not a {Format} file");
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
                        foreach (var key in new[] { "references", "metadata", "ruleSet", "ts" })
                            if (s[key] is { } value) body[key] = value.DeepClone();
                        await http.CallAsync(HttpMethod.Post, $"subjects/{RegistryHttp.Subject(s["subject"]!.GetValue<string>())}/versions", body, ct);
                        tick($"{s["subject"]} v{s["version"]}");
                    }
                });
                // Soft deletes once everything is in: a version may be referenced by later ones.
                foreach (var s in schemas.Where(s => s["deleted"]?.GetValue<bool>() == true))
                    await http.CallAsync(HttpMethod.Delete, $"subjects/{RegistryHttp.Subject(s["subject"]!.GetValue<string>())}/versions/{s["version"]}", null, ct);
                // Keys while the registry is in IMPORT mode, so no shared KEK's DEK is unwrapped or returned.
                await ImportKeysAsync(http, document, ct);
            }
            finally
            {
                await http.CallAsync(HttpMethod.Put, "mode?force=true", new JsonObject { ["mode"] = previousMode }, CancellationToken.None);
            }
            var configs = 0;
            foreach (var c in document["configs"]?.AsArray() ?? [])
            {
                var update = c!.AsObject().DeepClone().AsObject();
                var subject = update["subject"]?.GetValue<string>();
                update.Remove("subject");
                if (update["compatibilityLevel"] is { } level)
                {
                    update.Remove("compatibilityLevel");
                    update["compatibility"] = level.DeepClone();
                }
                if (update.Count == 0) continue;
                await http.CallAsync(HttpMethod.Put, subject is null ? "config" : $"config/{RegistryHttp.Subject(subject)}", update, ct);
                configs++;
            }
            // Modes last, subjects and contexts before the registry's, so a read-only export stays writable until the end.
            var modes = (document["modes"]?.AsArray() ?? []).Select(m => m!.AsObject()).OrderBy(m => m["subject"] is null).ToList();
            foreach (var m in modes)
            {
                var subject = m["subject"]?.GetValue<string>();
                await http.CallAsync(HttpMethod.Put, (subject is null ? "mode" : $"mode/{RegistryHttp.Subject(subject)}") + "?force=true", new JsonObject { ["mode"] = m["mode"]?.DeepClone() }, ct);
            }
            await io.Out.WriteLineAsync($"Imported {schemas.Count} schema versions, {configs} configs, {modes.Count} modes, "
                + $"{document["keks"]?.AsArray().Count ?? 0} KEKs and {document["deks"]?.AsArray().Count ?? 0} DEK versions");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>
    /// The DEK registry's KEKs and every DEK version (deleted ones too), as stored: wrapped key material only, never a
    /// shared KEK's raw <c>keyMaterial</c>. A registry without a DEK registry (404) exports none; with a subject prefix,
    /// only the DEKs of matching subjects and the KEKs they are under.
    /// </summary>
    private static async Task<(JsonArray Keks, JsonArray Deks)> ExportKeysAsync(RegistryHttp http, string? prefix, CancellationToken ct)
    {
        var keks = new JsonArray();
        var deks = new JsonArray();
        var (status, names) = await http.SendAsync(HttpMethod.Get, "dek-registry/v1/keks?deleted=true", null, ct);
        if (status != 200 || names is not JsonArray list) return (keks, deks);
        foreach (var name in list.Select(n => n!.GetValue<string>()))
        {
            var k = Uri.EscapeDataString(name);
            var kekDeks = new JsonArray();
            foreach (var subject in (await http.CallAsync(HttpMethod.Get, $"dek-registry/v1/keks/{k}/deks?deleted=true", null, ct))!.AsArray().Select(x => x!.GetValue<string>()))
            {
                if (prefix is not null && !subject.StartsWith(prefix, StringComparison.Ordinal)) continue;
                var s = RegistryHttp.Subject(subject);
                foreach (var algorithm in Enum.GetNames<Core.Model.DekAlgorithm>())
                {
                    foreach (var version in (await http.CallAsync(HttpMethod.Get, $"dek-registry/v1/keks/{k}/deks/{s}/versions?algorithm={algorithm}&deleted=true", null, ct))!.AsArray())
                    {
                        var dek = (await http.CallAsync(HttpMethod.Get, $"dek-registry/v1/keks/{k}/deks/{s}/versions/{version}?algorithm={algorithm}&deleted=true", null, ct))!.AsObject();
                        dek.Remove("keyMaterial");
                        kekDeks.Add(dek.DeepClone());
                    }
                }
            }
            if (prefix is not null && kekDeks.Count == 0) continue;
            keks.Add((await http.CallAsync(HttpMethod.Get, $"dek-registry/v1/keks/{k}?deleted=true", null, ct))!.DeepClone());
            foreach (var dek in kekDeks) deks.Add(dek!.DeepClone());
        }
        return (keks, deks);
    }

    /// <summary>KEKs live first, then their DEKs with their deleted flags, then the soft deletes of KEKs.</summary>
    private static async Task ImportKeysAsync(RegistryHttp http, JsonObject document, CancellationToken ct)
    {
        var keks = (document["keks"]?.AsArray() ?? []).Select(k => k!.AsObject()).ToList();
        foreach (var kek in keks)
        {
            var body = new JsonObject();
            foreach (var key in new[] { "name", "kmsType", "kmsKeyId", "kmsProps", "doc", "shared" })
                if (kek[key] is { } value) body[key] = value.DeepClone();
            await http.CallAsync(HttpMethod.Post, "dek-registry/v1/keks", body, ct);
        }
        foreach (var dek in (document["deks"]?.AsArray() ?? []).Select(d => d!.AsObject()))
        {
            var body = new JsonObject();
            foreach (var key in new[] { "version", "algorithm", "encryptedKeyMaterial", "deleted" })
                if (dek[key] is { } value) body[key] = value.DeepClone();
            await http.CallAsync(HttpMethod.Post, $"dek-registry/v1/keks/{Uri.EscapeDataString(dek["kekName"]!.GetValue<string>())}/deks/{RegistryHttp.Subject(dek["subject"]!.GetValue<string>())}", body, ct);
        }
        foreach (var kek in keks.Where(k => k["deleted"]?.GetValue<bool>() == true))
            await http.CallAsync(HttpMethod.Delete, $"dek-registry/v1/keks/{Uri.EscapeDataString(kek["name"]!.GetValue<string>())}", null, ct);
    }

    /// <summary>The config and mode set at one scope (null: the registry), where there are any.</summary>
    private static async Task ExportScopeAsync(RegistryHttp http, string? scope, JsonArray configs, JsonArray modes, CancellationToken ct)
    {
        var path = scope is null ? "" : "/" + RegistryHttp.Subject(scope);
        var (configStatus, config) = await http.SendAsync(HttpMethod.Get, "config" + path, null, ct);
        if (configStatus == 200 && config is JsonObject c)
        {
            var entry = new JsonObject { ["subject"] = scope };
            foreach (var (name, value) in c) entry[name] = value?.DeepClone();
            configs.Add(entry);
        }
        var (modeStatus, mode) = await http.SendAsync(HttpMethod.Get, "mode" + path, null, ct);
        if (modeStatus == 200 && mode?["mode"] is { } m && !(scope is null && m.GetValue<string>() == "READWRITE"))
            modes.Add(new JsonObject { ["subject"] = scope, ["mode"] = m.DeepClone() });
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
