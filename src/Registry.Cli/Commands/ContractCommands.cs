using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Core.Model;

namespace Registry.Cli.Commands;

/// <summary>Contracts as code: <c>registry plan DIR</c> and <c>registry apply DIR</c> (layout in docs/cli.md).</summary>
internal static class ContractCommands
{
    /// <summary>One subject's declared contract: <c>DIR/&lt;name&gt;/contract.json</c> and its schema file.</summary>
    private sealed record Contract(string Subject, string File, SchemaFile Schema, string? Compatibility, List<SchemaReference> References, JsonNode? Metadata, JsonNode? RuleSet, bool Normalize);

    private sealed record Step(Contract Contract, string Kind, string? ConfigFrom, string? ConfigTo, bool Compatible, IReadOnlyList<string> Messages, string? Diff)
    {
        public bool RegistersVersion => Kind is "new subject" or "new version";

        public bool ChangesConfig => ConfigTo is not null;
    }

    public static IEnumerable<Command> Create(CliIO io)
    {
        yield return Build(io, apply: false);
        yield return Build(io, apply: true);
    }

    private static Command Build(CliIO io, bool apply)
    {
        var dir = new Argument<string>("dir") { Description = "The contracts directory (one folder per subject with a contract.json)" };
        var output = CliOptions.Output();
        var command = new Command(apply ? "apply" : "plan", apply
            ? "Apply the plan of a contracts directory; nothing is written if any change is invalid or incompatible"
            : "Show what applying a contracts directory would change; exit 1 if any change is incompatible");
        command.Arguments.Add(dir);
        command.Options.Add(output);
        var connection = CliOptions.Connection.AddTo(command);
        command.SetAction((result, ct) => io.Run(async () =>
        {
            var contracts = Load(result.GetValue(dir)!);
            using var http = connection.Open(result);
            var steps = new List<Step>();
            foreach (var contract in contracts) steps.Add(await PlanAsync(http, contract, steps, ct));
            var policies = await ReviewPoliciesAsync(http, ct);
            for (var i = 0; i < steps.Count; i++)
            {
                if (steps[i].RegistersVersion && Core.Model.ReviewPolicy.Governing(policies, steps[i].Contract.Subject) is { } review)
                    steps[i] = steps[i] with { Messages = [.. steps[i].Messages, $"needs review under the policy '{review.Scope}' ({review.Policy.RequiredApprovals} approval(s)): apply opens a proposal"] };
            }
            var format = result.GetValue(output)!;
            if (format == "text") PrintPlan(io.Out, steps);
            else Report.Write(io.Out, format, steps.Select(s => new CheckResult(s.Contract.Subject, s.Contract.File, s.Compatible, [$"{s.Kind}{(s.ChangesConfig ? $", compatibility {s.ConfigFrom ?? "(default)"} -> {s.ConfigTo}" : "")}", .. s.Messages])).ToList(), "plan");
            if (steps.Any(s => !s.Compatible))
            {
                if (apply) await io.Err.WriteLineAsync("Nothing was applied: the plan has incompatible changes.");
                return ExitCodes.Incompatible;
            }
            if (!apply) return ExitCodes.Ok;

            var applied = 0;
            var proposed = 0;
            foreach (var step in steps)
            {
                var subject = RegistryHttp.Subject(step.Contract.Subject);
                if (step.RegistersVersion)
                {
                    var body = CompatCommands.Body(step.Contract.Schema, step.Contract.References, step.Contract.Metadata, step.Contract.RuleSet);
                    var (status, registered) = await http.SendAsync(HttpMethod.Post, $"subjects/{subject}/versions?normalize={(step.Contract.Normalize ? "true" : "false")}", body, ct);
                    if (status == 403 && registered?["error_code"]?.GetValue<int>() == Core.Decisions.RegistryDecider.ReviewRequired)
                    {
                        // Under a review policy the change is proposed instead, for the reviewers to approve.
                        body["subject"] = step.Contract.Subject;
                        body["normalize"] = step.Contract.Normalize;
                        body["description"] = $"registry apply: {step.Contract.File}";
                        var proposal = await ProposalCommands.OpenAsync(http, body, ct);
                        await ProposalCommands.Print(io, proposal, result.GetValue(connection.UrlOption)!, format == "github" ? "github" : "text", step.Contract.File);
                        proposed++;
                    }
                    else if (status is < 200 or >= 300)
                    {
                        throw new CliException(status >= 500 ? ExitCodes.Unreachable : ExitCodes.UsageOrInput, RegistryHttp.Message(registered));
                    }
                    else
                    {
                        await io.Out.WriteLineAsync($"registered {step.Contract.Subject} version {registered?["version"]} id {registered?["id"]}");
                        applied++;
                    }
                }
                if (step.ChangesConfig)
                {
                    await http.CallAsync(HttpMethod.Put, $"config/{subject}", new JsonObject { ["compatibility"] = step.ConfigTo }, ct);
                    await io.Out.WriteLineAsync($"set {step.Contract.Subject} compatibility to {step.ConfigTo}");
                    applied++;
                }
            }
            await io.Out.WriteLineAsync(applied == 0 && proposed == 0 ? "No changes."
                : $"Applied {applied} change(s)." + (proposed > 0 ? $" Proposed {proposed} for review." : ""));
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The registry's review policies; none from a registry without them (Confluent's answers 404).</summary>
    private static async Task<List<KeyValuePair<string, Core.Model.ReviewPolicy>>> ReviewPoliciesAsync(RegistryHttp http, CancellationToken ct)
    {
        var (status, body) = await http.SendAsync(HttpMethod.Get, "v1/review-policies", null, ct);
        if (status != 200 || body is not JsonArray list) return [];
        return [.. list.OfType<JsonObject>().Select(p => KeyValuePair.Create((string)p["scope"]!,
            new Core.Model.ReviewPolicy((int)p["requiredApprovals"]!, [.. (p["approvers"] as JsonArray ?? []).Select(a => (string)a!)])))];
    }

    private static async Task<Step> PlanAsync(RegistryHttp http, Contract c, List<Step> earlier, CancellationToken ct)
    {
        var subject = RegistryHttp.Subject(c.Subject);
        string? configFrom = null, configTo = null;
        if (c.Compatibility is not null)
        {
            var (status, config) = await http.SendAsync(HttpMethod.Get, $"config/{subject}", null, ct);
            configFrom = status == 200 ? config?["compatibilityLevel"]?.GetValue<string>() : null;
            if (!string.Equals(configFrom, c.Compatibility, StringComparison.OrdinalIgnoreCase)) configTo = c.Compatibility.ToUpperInvariant();
        }
        var (latestStatus, latest) = await http.SendAsync(HttpMethod.Get, $"subjects/{subject}/versions/latest", null, ct);
        var kind = latestStatus == 404 ? "new subject" : "new version";
        var pendingReference = c.References.FirstOrDefault(r => earlier.Any(s => s.RegistersVersion && s.Contract.Subject == r.Subject));
        if (pendingReference is not null)
            return new Step(c, kind, configFrom, configTo, true, [$"depends on {pendingReference.Subject}, which this plan registers first; checked by the registry when applied"], null);

        var body = CompatCommands.Body(c.Schema, c.References, c.Metadata, c.RuleSet);
        var (found, existing) = await http.SendAsync(HttpMethod.Post, $"subjects/{subject}?normalize={(c.Normalize ? "true" : "false")}", body, ct);
        if (found == 200) return new Step(c, $"unchanged (version {existing?["version"]})", configFrom, configTo, true, [], null);
        if (found is 422 or 400) throw new CliException(ExitCodes.UsageOrInput, $"{c.File}: {RegistryHttp.Message(existing)}");
        if (found >= 500) throw new CliException(ExitCodes.Unreachable, $"{c.File}: {RegistryHttp.Message(existing)}");

        if (latestStatus == 404) return new Step(c, "new subject", configFrom, configTo, true, [], Registry.Formats.SchemaTextDiff.Unified("", c.Schema.Text, c.Schema.SchemaType));
        var path = $"compatibility/subjects/{subject}/versions?normalize={(c.Normalize ? "true" : "false")}";
        var (checkStatus, check) = await http.SendAsync(HttpMethod.Post, path, body, ct);
        if (checkStatus is 422 or 400) throw new CliException(ExitCodes.UsageOrInput, $"{c.File}: {RegistryHttp.Message(check)}");
        var compatible = check?["is_compatible"]?.GetValue<bool>() == true;
        IReadOnlyList<string> messages = [];
        if (!compatible)
        {
            var verbose = await http.CallAsync(HttpMethod.Post, path + "&verbose=true", body, ct);
            messages = verbose?["messages"]?.AsArray().Select(m => m!.GetValue<string>()).ToList() ?? [];
        }
        var diff = Registry.Formats.SchemaTextDiff.Unified(latest?["schema"]?.GetValue<string>() ?? "", c.Schema.Text, c.Schema.SchemaType);
        return new Step(c, "new version", configFrom, configTo, compatible, messages, diff);
    }

    private static void PrintPlan(TextWriter output, List<Step> steps)
    {
        foreach (var s in steps)
        {
            output.WriteLine($"{(s.Compatible ? "  " : "! ")}{s.Contract.Subject}: {s.Kind}{(s.RegistersVersion ? (s.Compatible ? ", compatible" : ", INCOMPATIBLE") : "")}");
            if (s.ChangesConfig) output.WriteLine($"    compatibility: {s.ConfigFrom ?? "(default)"} -> {s.ConfigTo}");
            foreach (var m in s.Messages) output.WriteLine($"    {m}");
            if (s.Diff is not null) foreach (var line in s.Diff.Split('\n')) output.WriteLine($"    {line}");
        }
        var changes = steps.Count(s => s.RegistersVersion || s.ChangesConfig);
        output.WriteLine(changes == 0 ? "No changes." : $"{changes} subject(s) would change; {steps.Count(s => !s.Compatible)} incompatible.");
    }

    /// <summary>Reads every contract, then orders them so referenced subjects come first.</summary>
    private static List<Contract> Load(string dir)
    {
        if (!Directory.Exists(dir)) throw new CliException(ExitCodes.UsageOrInput, $"Contracts directory not found: {dir}");
        var contracts = new List<Contract>();
        foreach (var file in Directory.GetFiles(dir, "contract.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(File.ReadAllText(file));
            }
            catch (JsonException e)
            {
                throw new CliException(ExitCodes.UsageOrInput, $"{file}: not valid JSON: {e.Message}");
            }
            var folder = Path.GetDirectoryName(file)!;
            var schemaPath = node?["schema"]?.GetValue<string>() ?? throw new CliException(ExitCodes.UsageOrInput, $"{file}: \"schema\" (the schema file) is required");
            var schema = SchemaFile.Read(Path.Combine(folder, schemaPath), node["schemaType"]?.GetValue<string>());
            var references = node["references"]?.AsArray().Select(r => new SchemaReference(
                r!["name"]!.GetValue<string>(), r["subject"]!.GetValue<string>(), r["version"]?.GetValue<int>() ?? -1)).ToList() ?? [];
            var level = node["compatibility"]?.GetValue<string>();
            if (level is not null && !CompatibilityLevels.TryParse(level, out _)) throw new CliException(ExitCodes.UsageOrInput, $"{file}: unknown compatibility '{level}'");
            contracts.Add(new Contract(node["subject"]?.GetValue<string>() ?? Path.GetFileName(folder), schema.Path, schema, level, references,
                node["metadata"], node["ruleSet"], node["normalize"]?.GetValue<bool>() ?? false));
        }
        if (contracts.Count == 0) throw new CliException(ExitCodes.UsageOrInput, $"No contract.json files under {dir}");
        var ordered = new List<Contract>();
        var visiting = new HashSet<string>();
        void Visit(Contract c)
        {
            if (ordered.Contains(c)) return;
            if (!visiting.Add(c.Subject)) throw new CliException(ExitCodes.UsageOrInput, $"Contracts reference each other in a cycle through {c.Subject}");
            foreach (var r in c.References)
                foreach (var dependency in contracts.Where(d => d.Subject == r.Subject)) Visit(dependency);
            ordered.Add(c);
        }
        foreach (var c in contracts) Visit(c);
        return ordered;
    }
}
