using System.Diagnostics;

namespace Registry.Cli.Tests;

/// <summary>Bad input: clear messages on stderr and the documented exit codes.</summary>
public sealed class BadInputTests
{
    [Fact]
    public async Task A_missing_file_is_exit_2()
    {
        var result = await Cli.RunAsync("compat", "check", "/nonexistent/x.avsc", "--against", "/nonexistent/y.avsc");
        Assert.Equal(ExitCodes.UsageOrInput, result.Code);
        Assert.Contains("not found", result.Err);
    }

    [Fact]
    public async Task An_invalid_schema_is_exit_2_offline_and_online()
    {
        var good = Cli.Temp("a.avsc", """{"type":"record","name":"R","fields":[]}""");
        var bad = Cli.Temp("a.avsc", """{"type":"record","name":"R"}""");
        var offline = await Cli.RunAsync("compat", "check", bad, "--against", good);
        Assert.Equal(ExitCodes.UsageOrInput, offline.Code);
        Assert.Contains("42201", offline.Err);

        await using var registry = await TestRegistry.StartAsync();
        Assert.Equal(0, (await Cli.RunAsync("register", good, "--subject", "a", "--url", registry.Url)).Code);
        var online = await Cli.RunAsync("compat", "check", bad, "--subject", "a", "--url", registry.Url);
        Assert.Equal(ExitCodes.UsageOrInput, online.Code);
        Assert.Contains("42201", online.Err);
    }

    [Fact]
    public async Task An_unknown_subject_is_exit_2_with_the_registry_message()
    {
        await using var registry = await TestRegistry.StartAsync();
        var result = await Cli.RunAsync("get", "--subject", "nobody", "--url", registry.Url);
        Assert.Equal(ExitCodes.UsageOrInput, result.Code);
        Assert.Contains("40401", result.Err);
    }

    [Fact]
    public async Task An_unreachable_registry_is_exit_3()
    {
        var file = Cli.Temp("a.avsc", "\"string\"");
        var result = await Cli.RunAsync("compat", "check", file, "--subject", "a", "--url", "http://127.0.0.1:1", "--timeout", "5");
        Assert.Equal(ExitCodes.Unreachable, result.Code);
        Assert.Contains("Cannot reach", result.Err);
    }

    [Fact]
    public async Task Wrong_credentials_are_exit_2_and_right_ones_work()
    {
        var users = Cli.Temp("users.txt", $"ci: {Registry.Core.Security.PasswordHash.Create("ci-pw")}, writer\n");
        await using var registry = await TestRegistry.StartAsync("--Registry:AuthMode=basic", $"--Registry:UsersFile={users}");
        var file = Cli.Temp("a.avsc", "\"string\"");
        var wrong = await Cli.RunAsync("register", file, "--subject", "a", "--url", registry.Url, "--user", "ci:nope");
        Assert.Equal(ExitCodes.UsageOrInput, wrong.Code);
        Assert.Contains("refused the credentials (401)", wrong.Err);
        var right = await Cli.RunAsync("register", file, "--subject", "a", "--url", registry.Url, "--user", "ci:ci-pw");
        Assert.True(right.Code == 0, right.ToString());
    }

    [Fact]
    public async Task Unknown_options_are_exit_2()
    {
        var result = await Cli.RunAsync("compat", "check", "--frobnicate");
        Assert.Equal(ExitCodes.UsageOrInput, result.Code);
    }

    [Fact]
    public async Task The_tool_runs_as_a_process_with_help_on_every_command()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "registry.dll");
        foreach (var args in new[] { "--help", "compat check --help", "plan --help", "export --help" })
        {
            var info = new ProcessStartInfo("dotnet", $"\"{dll}\" {args}") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(info)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"{args}: {output}");
            Assert.Contains("Usage:", output);
        }
        var missing = new ProcessStartInfo("dotnet", $"\"{dll}\" compat check /nonexistent.avsc --against /nonexistent.avsc") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var failing = Process.Start(missing)!;
        await failing.WaitForExitAsync();
        Assert.Equal(ExitCodes.UsageOrInput, failing.ExitCode);
    }
}
