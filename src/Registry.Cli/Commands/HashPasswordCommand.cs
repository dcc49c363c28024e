using System.CommandLine;

namespace Registry.Cli.Commands;

/// <summary><c>registry hash-password</c>: a users-file line for basic authentication.</summary>
internal static class HashPasswordCommand
{
    public static Command Create(CliIO io)
    {
        var user = new Argument<string>("user") { Description = "The user name" };
        var roles = new Option<string[]>("--role") { Description = "role[:subject-prefix], e.g. writer:orders- or admin (repeatable)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("hash-password", "Read a password from stdin and print a users-file line (PBKDF2-SHA256)");
        command.Arguments.Add(user);
        command.Options.Add(roles);
        command.SetAction((result, ct) => io.Run(async () =>
        {
            var password = (await Console.In.ReadLineAsync(ct))?.TrimEnd('\r', '\n');
            if (string.IsNullOrEmpty(password)) throw new CliException(ExitCodes.UsageOrInput, "Give the password on stdin");
            var grants = result.GetValue(roles) ?? [];
            await io.Out.WriteLineAsync($"{result.GetValue(user)}: {Core.Security.PasswordHash.Create(password)}{string.Concat(grants.Select(g => ", " + g))}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
