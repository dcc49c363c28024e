namespace Registry.Cli;

/// <summary>The documented exit codes (docs/cli.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Incompatible = 1;
    public const int UsageOrInput = 2;
    public const int Unreachable = 3;
}

/// <summary>A failure that ends the command with an exit code and a message on stderr.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
