using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Registry.Core.Model;

namespace Registry.Cli.Commands;

/// <summary><c>register</c>, <c>get</c>, <c>lookup</c>, <c>delete</c>.</summary>
internal static class BasicCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static IEnumerable<Command> Create(CliIO io)
    {
        yield return Register(io, lookup: false);
        yield return Register(io, lookup: true);
        yield return Get(io);
        yield return Delete(io);
    }

    private static Command Register(CliIO io, bool lookup)
    {
        var file = new Argument<string>("file") { Description = "The schema file" };
        var subject = new Option<string>("--subject", "-s") { Description = "The subject", Required = true };
        var type = new Option<string?>("--type") { Description = "AVRO, JSON or PROTOBUF (default: from the extension)" };
        var reference = new Option<string[]>("--reference", "-r") { Description = "name=subject:version" };
        var normalize = new Option<bool>("--normalize") { Description = "Normalize the schema" };
        var command = new Command(lookup ? "lookup" : "register", lookup ? "Find the version of a subject holding a schema; exit 1 if none" : "Register a schema under a subject");
        command.Arguments.Add(file);
        foreach (var o in new Option[] { subject, type, reference, normalize }) command.Options.Add(o);
        var connection = CliOptions.Connection.AddTo(command);
        command.SetAction((result, ct) => io.Run(async () =>
        {
            var schema = SchemaFile.Read(result.GetValue(file)!, result.GetValue(type));
            var refs = (result.GetValue(reference) ?? []).Select(ParseReference).ToList();
            using var http = connection.Open(result);
            var path = lookup
                ? $"subjects/{RegistryHttp.Subject(result.GetValue(subject)!)}?normalize={(result.GetValue(normalize) ? "true" : "false")}"
                : $"subjects/{RegistryHttp.Subject(result.GetValue(subject)!)}/versions?normalize={(result.GetValue(normalize) ? "true" : "false")}";
            var (status, body) = await http.SendAsync(HttpMethod.Post, path, CompatCommands.Body(schema, refs), ct);
            if (lookup && status == 404)
            {
                await io.Out.WriteLineAsync($"not registered: {RegistryHttp.Message(body)}");
                return ExitCodes.Incompatible;
            }
            if (status is < 200 or >= 300)
                throw new CliException(status == 409 ? ExitCodes.Incompatible : status >= 500 ? ExitCodes.Unreachable : ExitCodes.UsageOrInput, RegistryHttp.Message(body));
            await io.Out.WriteLineAsync($"subject {result.GetValue(subject)} version {body?["version"]} id {body?["id"]}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Get(CliIO io)
    {
        var subject = new Option<string?>("--subject", "-s") { Description = "The subject" };
        var version = new Option<string>("--version", "-v") { Description = "A version number or latest", DefaultValueFactory = _ => "latest" };
        var id = new Option<int?>("--id") { Description = "A schema id (instead of a subject)" };
        var command = new Command("get", "Print a schema by subject/version or by id");
        foreach (var o in new Option[] { subject, version, id }) command.Options.Add(o);
        var connection = CliOptions.Connection.AddTo(command);
        command.SetAction((result, ct) => io.Run(async () =>
        {
            if (result.GetValue(id) is null && result.GetValue(subject) is null) throw new CliException(ExitCodes.UsageOrInput, "Give --subject or --id");
            using var http = connection.Open(result);
            var path = result.GetValue(id) is int schemaId
                ? $"schemas/ids/{schemaId}"
                : $"subjects/{RegistryHttp.Subject(result.GetValue(subject)!)}/versions/{Uri.EscapeDataString(result.GetValue(version)!)}";
            var body = await http.CallAsync(HttpMethod.Get, path, null, ct);
            await io.Out.WriteLineAsync(body?.ToJsonString(Indented));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Delete(CliIO io)
    {
        var subject = new Option<string>("--subject", "-s") { Description = "The subject", Required = true };
        var version = new Option<string?>("--version", "-v") { Description = "One version (default: the whole subject)" };
        var permanent = new Option<bool>("--permanent") { Description = "Delete for good (after a soft delete)" };
        var command = new Command("delete", "Delete a subject or one version (soft unless --permanent)");
        foreach (var o in new Option[] { subject, version, permanent }) command.Options.Add(o);
        var connection = CliOptions.Connection.AddTo(command);
        command.SetAction((result, ct) => io.Run(async () =>
        {
            using var http = connection.Open(result);
            var path = $"subjects/{RegistryHttp.Subject(result.GetValue(subject)!)}"
                + (result.GetValue(version) is { } v ? $"/versions/{Uri.EscapeDataString(v)}" : "")
                + (result.GetValue(permanent) ? "?permanent=true" : "");
            var body = await http.CallAsync(HttpMethod.Delete, path, null, ct);
            await io.Out.WriteLineAsync($"deleted {body?.ToJsonString()}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    internal static SchemaReference ParseReference(string text)
    {
        var eq = text.IndexOf('=');
        var colon = text.LastIndexOf(':');
        if (eq <= 0 || colon <= eq || !int.TryParse(text[(colon + 1)..], out var version))
            throw new CliException(ExitCodes.UsageOrInput, $"A reference is name=subject:version, not '{text}'");
        return new SchemaReference(text[..eq], text[(eq + 1)..colon], version);
    }
}
