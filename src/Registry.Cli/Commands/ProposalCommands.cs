using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Registry.Cli.Commands;

/// <summary><c>propose</c> and <c>proposals list|show</c>: contract review from CI (docs/review.md).</summary>
internal static class ProposalCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static IEnumerable<Command> Create(CliIO io)
    {
        yield return Propose(io);
        yield return Proposals(io);
    }

    private static Command Propose(CliIO io)
    {
        var file = new Argument<string>("file") { Description = "The schema file" };
        var subject = new Option<string>("--subject", "-s") { Description = "The subject", Required = true };
        var type = new Option<string?>("--type") { Description = "AVRO, JSON or PROTOBUF (default: from the extension)" };
        var reference = new Option<string[]>("--reference", "-r") { Description = "name=subject:version" };
        var normalize = new Option<bool>("--normalize") { Description = "Normalize the schema" };
        var description = new Option<string?>("--description", "-d") { Description = "Why the change is needed, for the reviewers" };
        var output = new Option<string>("--output", "-o") { Description = "text, json or github", DefaultValueFactory = _ => "text" }.AcceptOnlyFromAmong("text", "json", "github");
        var command = new Command("propose", "Open a proposal for review instead of registering; prints its URL");
        command.Arguments.Add(file);
        foreach (var o in new Option[] { subject, type, reference, normalize, description, output }) command.Options.Add(o);
        var connection = CliOptions.Connection.AddTo(command);
        command.SetAction((result, ct) => io.Run(async () =>
        {
            var path = result.GetValue(file)!;
            var schema = SchemaFile.Read(path, result.GetValue(type));
            var body = CompatCommands.Body(schema, (result.GetValue(reference) ?? []).Select(BasicCommands.ParseReference).ToList());
            body["subject"] = result.GetValue(subject);
            body["description"] = result.GetValue(description);
            body["normalize"] = result.GetValue(normalize);
            using var http = connection.Open(result);
            var opened = await OpenAsync(http, body, ct);
            await Print(io, opened, result.GetValue(connection.UrlOption)!, result.GetValue(output)!, path);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>POST /v1/proposals; the exit code says why a refusal happened (409: the change is incompatible).</summary>
    internal static async Task<JsonNode> OpenAsync(RegistryHttp http, JsonObject body, CancellationToken ct)
    {
        var (status, reply) = await http.SendAsync(HttpMethod.Post, "v1/proposals", body, ct);
        if (status is < 200 or >= 300)
            throw new CliException(status == 409 ? ExitCodes.Incompatible : status >= 500 ? ExitCodes.Unreachable : ExitCodes.UsageOrInput, RegistryHttp.Message(reply));
        return reply!;
    }

    /// <summary>The page a reviewer opens for a proposal.</summary>
    internal static string PageOf(string url, JsonNode proposal) => $"{url.TrimEnd('/')}/ui/proposals/{proposal["id"]}";

    internal static async Task Print(CliIO io, JsonNode proposal, string url, string output, string? file)
    {
        var page = PageOf(url, proposal);
        switch (output)
        {
            case "json":
                await io.Out.WriteLineAsync(proposal.ToJsonString());
                break;
            case "github":
                await io.Out.WriteLineAsync($"::notice{(file is null ? "" : $" file={file}")},title=Proposal {proposal["id"]} for {proposal["subject"]}::Review it at {page}");
                break;
            default:
                await io.Out.WriteLineAsync($"proposal {proposal["id"]} {proposal["state"]} for {proposal["subject"]}: {page}");
                break;
        }
    }

    private static Command Proposals(CliIO io)
    {
        var list = new Command("list", "List proposals (newest first)");
        var subject = new Option<string?>("--subject", "-s") { Description = "Only this subject's" };
        var state = new Option<string?>("--state") { Description = "OPEN, APPLIED, REJECTED, WITHDRAWN or STALE" };
        list.Options.Add(subject);
        list.Options.Add(state);
        var listConnection = CliOptions.Connection.AddTo(list);
        list.SetAction((result, ct) => io.Run(async () =>
        {
            using var http = listConnection.Open(result);
            var query = string.Join("&", new[] { ("subject", result.GetValue(subject)), ("state", result.GetValue(state)) }
                .Where(q => q.Item2 is not null).Select(q => $"{q.Item1}={Uri.EscapeDataString(q.Item2!)}"));
            var body = await http.CallAsync(HttpMethod.Get, "v1/proposals" + (query.Length > 0 ? "?" + query : ""), null, ct);
            foreach (var p in body?.AsArray() ?? [])
                await io.Out.WriteLineAsync($"{p!["id"],5}  {p["state"],-9}  {p["subject"]}  by {p["proposer"]}  {p["approvals"]}/{p["requiredApprovals"]} approvals  {p["description"]}");
            return ExitCodes.Ok;
        }));

        var show = new Command("show", "Print a proposal with its verdict, diff, impact and reviews");
        var id = new Argument<long>("id") { Description = "The proposal id" };
        show.Arguments.Add(id);
        var showConnection = CliOptions.Connection.AddTo(show);
        show.SetAction((result, ct) => io.Run(async () =>
        {
            using var http = showConnection.Open(result);
            var body = await http.CallAsync(HttpMethod.Get, $"v1/proposals/{result.GetValue(id)}", null, ct);
            await io.Out.WriteLineAsync(body?.ToJsonString(Indented));
            return ExitCodes.Ok;
        }));
        var command = new Command("proposals", "Contract review proposals");
        command.Subcommands.Add(list);
        command.Subcommands.Add(show);
        return command;
    }
}
