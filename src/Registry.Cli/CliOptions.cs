using System.CommandLine;

namespace Registry.Cli;

/// <summary>Options shared by the commands that talk to a registry.</summary>
public static class CliOptions
{
    public static Option<string> Url() => new("--url") { Description = "Registry URL (env REGISTRY_URL)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("REGISTRY_URL") ?? "http://localhost:8081" };

    public static Option<string?> User() => new("--user") { Description = "Basic auth as user:password (env REGISTRY_USER)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("REGISTRY_USER") };

    public static Option<string?> Token() => new("--token") { Description = "Bearer token (env REGISTRY_TOKEN)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("REGISTRY_TOKEN") };

    public static Option<string?> Cert() => new("--cert") { Description = "Client certificate (PEM) for an mTLS registry (env REGISTRY_CERT)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("REGISTRY_CERT") };

    public static Option<string?> Key() => new("--key") { Description = "Private key (PEM) of --cert (env REGISTRY_KEY)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("REGISTRY_KEY") };

    public static Option<string?> Ca() => new("--ca") { Description = "CA bundle (PEM) the registry's certificate must chain to, instead of the system's (env REGISTRY_CA)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("REGISTRY_CA") };

    public static Option<int> Timeout() => new("--timeout") { Description = "Seconds to wait for each request", DefaultValueFactory = _ => 30 };

    public static Option<string> Output() => new Option<string>("--output", "-o") { Description = "text, json, junit or github", DefaultValueFactory = _ => "text" }
        .AcceptOnlyFromAmong("text", "json", "junit", "github");

    /// <summary>The connection options of one command.</summary>
    public sealed record Connection(Option<string> UrlOption, Option<string?> UserOption, Option<string?> TokenOption, Option<int> TimeoutOption,
        Option<string?> CertOption, Option<string?> KeyOption, Option<string?> CaOption)
    {
        public static Connection AddTo(Command command)
        {
            var c = new Connection(Url(), User(), Token(), Timeout(), Cert(), Key(), Ca());
            foreach (var option in new Option[] { c.UrlOption, c.UserOption, c.TokenOption, c.TimeoutOption, c.CertOption, c.KeyOption, c.CaOption })
                command.Options.Add(option);
            return c;
        }

        public RegistryHttp Open(ParseResult result) =>
            new(result.GetValue(UrlOption)!, result.GetValue(UserOption), result.GetValue(TokenOption), TimeSpan.FromSeconds(result.GetValue(TimeoutOption)),
                new ClientTls(result.GetValue(CertOption), result.GetValue(KeyOption), result.GetValue(CaOption)));
    }
}
