using System.Diagnostics;
using Microsoft.Data.Sqlite;

/// <summary>
/// Registrations against the machine's limit: wrk registering distinct schemas (new subjects) on the server binary
/// in a process of its own (embedded store), at 1 and 32 connections, against SQLite's own durable commit rate on the
/// same disk (WAL, synchronous=FULL, one row of an event's size per commit), measured before and after in the same run.
/// The server is warmed first with 10 s of registrations of its own.
/// </summary>
internal static class WriteBench
{
    public static async Task RunAsync(string[] args)
    {
        var seconds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
        if (!File.Exists("/usr/bin/wrk")) throw new InvalidOperationException("wrk is missing: apt-get install -y wrk");
        var dir = Path.Combine(Path.GetTempPath(), "registry-writes-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var url = $"http://127.0.0.1:{ReadBench.FreePort()}";
        using var registry = ReadBench.Start(Path.Combine(AppContext.BaseDirectory, "Registry.Server.dll"), "--urls", url, "--data-dir", Path.Combine(dir, "registry"),
            "--Logging:LogLevel:Default=Warning");
        using var http = new HttpClient();
        await ReadBench.WaitAsync(http, url + "/health/ready");

        Console.WriteLine($"writes: wrk -d{seconds}s registering distinct schemas (a new subject each), embedded store; baseline: SQLite commits on the same disk");
        Console.WriteLine("| connections | SQLite commits/s | registrations/s | ratio |");
        Console.WriteLine("|---|---|---|---|");
        // The server warms up first (JIT tiering: under this load it takes seconds) on subjects of its own, so the first measured round is not a cold process.
        var warm = Path.Combine(dir, "register-warm.lua");
        await File.WriteAllTextAsync(warm, Script("warm"));
        await ReadBench.WrkAsync(url, warm, 10);
        foreach (var connections in new[] { 1, 32 })
        {
            var script = Path.Combine(dir, $"register-{connections}.lua");
            await File.WriteAllTextAsync(script, Script($"c{connections}"));
            var before = CommitRate(Path.Combine(dir, $"raw-{connections}-a.db"), seconds);
            var rate = await ReadBench.WrkAsync(url, script, seconds, connections);
            var after = CommitRate(Path.Combine(dir, $"raw-{connections}-b.db"), seconds);
            var limit = (before + after) / 2;
            Console.WriteLine($"| {connections} | {limit:N0} | {rate:N0} | {rate / limit:0.00} |");
        }
        var metrics = await http.GetStringAsync(url + "/metrics");
        foreach (var line in metrics.Split('\n').Where(l => l.StartsWith("registry_storage_store_append_writes_sum", StringComparison.Ordinal) || l.StartsWith("registry_storage_store_append_writes_count", StringComparison.Ordinal)))
            Console.WriteLine(line);
        registry.Kill();
        await registry.WaitForExitAsync();
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }

    /// <summary>A wrk script whose every request registers a new Avro record under a subject of its own.</summary>
    private static string Script(string run) => """
        local threads = 0
        function setup(thread)
          thread:set("tid", threads)
          threads = threads + 1
        end
        counter = 0
        request = function()
          counter = counter + 1
          local name = "W_RUN_" .. tid .. "_" .. counter
          local body = '{"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"' .. name .. '\\",\\"fields\\":[{\\"name\\":\\"id\\",\\"type\\":\\"string\\"},{\\"name\\":\\"amount\\",\\"type\\":\\"long\\"}]}"}'
          return wrk.format("POST", "/subjects/" .. name .. "-value/versions", {["Content-Type"] = "application/vnd.schemaregistry.v1+json"}, body)
        end
        """.Replace("_RUN_", "_" + run + "_", StringComparison.Ordinal);

    /// <summary>Durable commits per second of one row about the size of a registration event, one transaction each.</summary>
    private static double CommitRate(string file, int seconds)
    {
        using var connection = new SqliteConnection($"Data Source={file}");
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE log (position INTEGER PRIMARY KEY, event TEXT NOT NULL);";
            setup.ExecuteNonQuery();
        }
        var row = new string('x', 420);
        var clock = Stopwatch.StartNew();
        var commits = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            using var tx = connection.BeginTransaction();
            using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO log (position, event) VALUES ($p, $e)";
            insert.Parameters.AddWithValue("$p", commits + 1);
            insert.Parameters.AddWithValue("$e", row);
            insert.ExecuteNonQuery();
            tx.Commit();
            commits++;
        }
        return commits / clock.Elapsed.TotalSeconds;
    }
}
