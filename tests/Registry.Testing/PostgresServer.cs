namespace Registry.Testing;

/// <summary>
/// A throw-away Postgres cluster: initdb + pg_ctl on a free port in a temp directory, removed afterwards.
/// As root, the server runs as the postgres user (initdb refuses root).
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _root;
    private readonly bool _asPostgresUser;

    public int Port { get; }

    public string DataDirectory => Path.Combine(_root, "data");

    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Timeout=3;Command Timeout=10;Pooling=true";

    private PostgresServer(string bin, string root, int port, bool asPostgresUser)
    {
        _bin = bin;
        _root = root;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = FindBin() ?? throw new InvalidOperationException(
            "Postgres server binaries (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql/*/bin; install the Debian package 'postgresql'.");
        var root = Path.Combine(Path.GetTempPath(), "registry-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var asPostgres = Environment.UserName == "root";
        if (asPostgres) await Processes.RunAsync("chown", ["postgres:postgres", root]);
        var server = new PostgresServer(bin, root, Processes.FreePort(), asPostgres);
        await server.RunPgAsync("initdb", ["-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
        await server.StartServerAsync();
        return server;
    }

    public Task StartServerAsync() => RunPgAsync("pg_ctl", ["-D", DataDirectory, "-l", Path.Combine(_root, "log.txt"), "-w", "-t", "30",
        "-o", $"-p {Port} -k {_root} -h 127.0.0.1 -c fsync=off -c max_connections=200", "start"]);

    public Task StopServerAsync(string mode = "fast") => RunPgAsync("pg_ctl", ["-D", DataDirectory, "-m", mode, "-w", "stop"]);

    public Task RestartServerAsync(string mode = "immediate") => RunPgAsync("pg_ctl", ["-D", DataDirectory, "-m", mode, "-w", "-t", "30",
        "-o", $"-p {Port} -k {_root} -h 127.0.0.1 -c fsync=off -c max_connections=200", "restart"]);

    public async ValueTask DisposeAsync()
    {
        try { await StopServerAsync("immediate"); } catch (InvalidOperationException) { }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private Task RunPgAsync(string tool, IReadOnlyList<string> args)
    {
        var exe = Path.Combine(_bin, tool);
        return _asPostgresUser ? Processes.RunAsync("runuser", ["-u", "postgres", "--", exe, .. args]) : Processes.RunAsync(exe, args);
    }

    private static string? FindBin()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"))) return dir;
        if (!Directory.Exists("/usr/lib/postgresql")) return null;
        return Directory.GetDirectories("/usr/lib/postgresql").OrderDescending()
            .Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")));
    }
}
