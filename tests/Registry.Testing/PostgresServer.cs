using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

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
        if (asPostgres) await RunAsync("chown", ["postgres:postgres", root]);
        var server = new PostgresServer(bin, root, FreePort(), asPostgres);
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
        return _asPostgresUser ? RunAsync("runuser", ["-u", "postgres", "--", exe, .. args]) : RunAsync(exe, args);
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/tmp" };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr}{await stdout}");
    }

    private static string? FindBin()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"))) return dir;
        if (!Directory.Exists("/usr/lib/postgresql")) return null;
        return Directory.GetDirectories("/usr/lib/postgresql").OrderDescending()
            .Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
