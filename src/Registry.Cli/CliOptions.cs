using System.CommandLine;

namespace Registry.Cli;

/// <summary>Options shared by the commands that talk to a registry.</summary>
public static class CliOptions
{
    public static Option<string> Url() => new("--url") { Description = "Registry URL (env REGISTRY_URL)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("REGISTRY_URL") ?? "http://localhost:8081" };

    public static Option<string?> User() => new("--user") { Description = "Basic auth as user:password (env REGISTRY_USER)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("REGISTRY_USER") };

    public static Option<string?> Token() => new("--token") { Description = "Bearer token (env REGISTRY_TOKEN)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("REGISTRY_TOKEN") };

    public static Option<int> Timeout() => new("--timeout") { Description = "Seconds to wait for each request", DefaultValueFactory = _ => 30 };

    public static Option<string> Output() => new Option<string>("--output", "-o") { Description = "text, json, junit or github", DefaultValueFactory = _ => "text" }
        .AcceptOnlyFromAmong("text", "json", "junit", "github");

    /// <summary>The connection options of one command.</summary>
    public sealed record Connection(Option<string> UrlOption, Option<string?> UserOption, Option<string?> TokenOption, Option<int> TimeoutOption)
    {
        public static Connection AddTo(Command command)
        {
            var c = new Connection(Url(), User(), Token(), Timeout());
            command.Options.Add(c.UrlOption);
            command.Options.Add(c.UserOption);
            command.Options.Add(c.TokenOption);
            command.Options.Add(c.TimeoutOption);
            return c;
        }

        public RegistryHttp Open(ParseResult result) =>
            new(result.GetValue(UrlOption)!, result.GetValue(UserOption), result.GetValue(TokenOption), TimeSpan.FromSeconds(result.GetValue(TimeoutOption)));
    }
}
