namespace Registry.Testing;

/// <summary>
/// The official Confluent JavaScript client (<c>@confluentinc/schemaregistry</c>) and kafkajs, pinned in tests/js/package-lock.json,
/// installed with <c>npm ci</c> on first use and run with node.
/// </summary>
public static class JsClient
{
    private static readonly SemaphoreSlim Install = new(1, 1);

    // The packages of tests/js/package.json: npm ci runs when any is missing.
    private static readonly string[] Packages = ["@confluentinc/schemaregistry", "kafkajs"];

    /// <summary>tests/js of this repository.</summary>
    public static string Directory { get; } = Find();

    /// <summary>Runs a script of tests/js with arguments and returns what it printed.</summary>
    public static async Task<string> RunAsync(string script, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        await EnsureInstalledAsync();
        return await Processes.RunAsync("node", [script, .. args], Directory, environment);
    }

    private static async Task EnsureInstalledAsync()
    {
        await Install.WaitAsync();
        try
        {
            if (Packages.All(p => File.Exists(Path.Combine(Directory, "node_modules", p, "package.json")))) return;
            await Processes.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], Directory);
        }
        finally
        {
            Install.Release();
        }
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "js");
            if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
        }
        throw new DirectoryNotFoundException("tests/js (the JavaScript client's package.json) was not found above " + AppContext.BaseDirectory);
    }
}
