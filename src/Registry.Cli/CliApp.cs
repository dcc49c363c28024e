using System.CommandLine;
using Registry.Cli.Commands;

namespace Registry.Cli;

/// <summary>The <c>registry</c> command line; tests run it in-process with their own writers.</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var io = new CliIO(output, error);
        var root = new RootCommand("registry: compatibility checks for CI, contracts as code, backup and migration for a Confluent-compatible schema registry.");
        root.Subcommands.Add(CompatCommands.Create(io));
        foreach (var command in BasicCommands.Create(io)) root.Subcommands.Add(command);
        foreach (var command in ContractCommands.Create(io)) root.Subcommands.Add(command);
        foreach (var command in TransferCommands.Create(io)) root.Subcommands.Add(command);
        foreach (var command in ProposalCommands.Create(io)) root.Subcommands.Add(command);
        root.Subcommands.Add(HashPasswordCommand.Create(io));
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) await error.WriteLineAsync(e.Message);
            await error.WriteLineAsync("Run with --help for usage.");
            return ExitCodes.UsageOrInput;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }
}

/// <summary>Where a command writes, and the one way failures become exit codes.</summary>
public sealed class CliIO(TextWriter output, TextWriter error)
{
    public TextWriter Out { get; } = output;

    public TextWriter Err { get; } = error;

    /// <summary>True when stdout is a terminal a progress bar can draw on.</summary>
    public bool Interactive => ReferenceEquals(Out, Console.Out) && !Console.IsOutputRedirected;

    public async Task<int> Run(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (CliException e)
        {
            await Err.WriteLineAsync(e.Message);
            return e.ExitCode;
        }
        catch (Core.RegistryException e)
        {
            await Err.WriteLineAsync($"{e.Message} (error_code {e.ErrorCode})");
            return ExitCodes.UsageOrInput;
        }
    }
}
