using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

/// <summary>
/// Hot reads against the machine's limit: wrk (an outside client) on the registry's read endpoints, and on a bare
/// Kestrel app in a process of its own answering the same bytes, in one run; each printed as a ratio to the bare
/// app's rate (measured before and after the registry, averaged).
/// </summary>
internal static class ReadBench
{
    public static async Task RunAsync(string[] args)
    {
        var numbers = args.Skip(1).Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        var seconds = numbers.Length > 0 ? int.Parse(numbers[0], System.Globalization.CultureInfo.InvariantCulture) : 5;
        // Rounds per endpoint: the bare app and the registry alternate, each registry round against the bare rounds either
        // side of it; the median of the rounds' ratios is printed, with their range (the machine's rate drifts within a run).
        var rounds = numbers.Length > 1 ? int.Parse(numbers[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
        // --auth: the registry as production runs it, with basic authentication, and every request signed in as Confluent's
        // clients do (basic.auth.user.info: credentials on every request); the bare app ignores them.
        var auth = args.Contains("--auth");
        if (!File.Exists("/usr/bin/wrk")) throw new InvalidOperationException("wrk is missing: apt-get install -y wrk");
        var dir = Path.Combine(Path.GetTempPath(), "registry-reads-" + Guid.NewGuid().ToString("N"));
        // The registry as deployed: the server's own binary (server GC and all) in a process of its own.
        var url = $"http://127.0.0.1:{FreePort()}";
        using var registry = Start(Path.Combine(AppContext.BaseDirectory, "Registry.Server.dll"), ["--urls", url, "--data-dir", dir, "--Logging:LogLevel:Default=Warning",
            .. (auth ? new[] { "--Registry:AuthMode=basic", $"--Registry:UsersFile={UsersFile(dir)}" } : Array.Empty<string>())]);
        var credentials = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bench:bench-pw"));
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        if (auth) http.DefaultRequestHeaders.Authorization = System.Net.Http.Headers.AuthenticationHeaderValue.Parse(credentials);
        await WaitAsync(http, url + "/health/ready");
        const int schemas = 1000;
        for (var i = 0; i < schemas; i++)
            (await http.PostAsync($"/subjects/read-{i}/versions", new StringContent("{\"schema\":" + System.Text.Json.JsonSerializer.Serialize(Schema(i)) + "}", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var body = await http.GetByteArrayAsync("/schemas/ids/1");
        var latestBody = await http.GetByteArrayAsync("/subjects/read-0/versions/latest");
        using var lookup = await http.PostAsync("/subjects/read-0", new StringContent("{\"schema\":" + System.Text.Json.JsonSerializer.Serialize(Schema(0)) + "}", Encoding.UTF8, "application/json"));
        var lookupBody = await lookup.EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync();

        // The limit: Kestrel answering each endpoint's body, with the same content type, and nothing else, in a process of its own.
        var bodyFile = Path.Combine(dir, "body.json");
        File.WriteAllBytes(bodyFile, body);
        var latestFile = Path.Combine(dir, "latest.json");
        File.WriteAllBytes(latestFile, latestBody);
        var lookupFile = Path.Combine(dir, "lookup.json");
        File.WriteAllBytes(lookupFile, lookupBody);
        var barePort = FreePort();
        using var bare = Start(typeof(ReadBench).Assembly.Location, "--bare", barePort.ToString(System.Globalization.CultureInfo.InvariantCulture), bodyFile, latestFile, lookupFile);
        var bareUrl = $"http://127.0.0.1:{barePort}";
        await WaitAsync(http, bareUrl + "/schemas/ids/1");

        // Every request carries the Accept header of Confluent's .NET client; lookups post the schema as that client does.
        var prelude = "counter = 0\nheaders = {}\nheaders[\"Accept\"] = \"application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json\"\n"
            + (auth ? $"headers[\"Authorization\"] = \"{credentials}\"\n" : "");
        var script = Path.Combine(dir, "ids.lua");
        File.WriteAllText(script, prelude + $"request = function()\n  counter = counter % {schemas} + 1\n  return wrk.format(\"GET\", \"/schemas/ids/\" .. counter, headers)\nend\n");
        var latest = Path.Combine(dir, "latest.lua");
        File.WriteAllText(latest, prelude + $"request = function()\n  counter = counter % {schemas}\n  local path = \"/subjects/read-\" .. counter .. \"/versions/latest\"\n  counter = counter + 1\n  return wrk.format(\"GET\", path, headers)\nend\n");
        var lookups = Path.Combine(dir, "lookup.lua");
        File.WriteAllText(lookups, prelude + "headers[\"Content-Type\"] = \"application/vnd.schemaregistry.v1+json\"\n"
            + $"request = function()\n  counter = counter % {schemas}\n"
            // The schema as a JSON string (its quotes escaped), in Lua's long brackets, which take backslashes as they are.
            + "  local schema = [[{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"Read]] .. counter .. [[\\\",\\\"fields\\\":[{\\\"name\\\":\\\"id\\\",\\\"type\\\":\\\"string\\\"},{\\\"name\\\":\\\"n]] .. counter .. [[\\\",\\\"type\\\":\\\"long\\\"}]}]]\n"
            + "  local path = \"/subjects/read-\" .. counter\n  counter = counter + 1\n  return wrk.format(\"POST\", path, headers, '{\"schema\":\"' .. schema .. '\"}')\nend\n");
        Console.WriteLine($"reads{(auth ? " with basic authentication (the bare app has none)" : "")}: wrk -t2 -c32 -d{seconds}s, {schemas} schemas, bodies of {body.Length} (ids), {latestBody.Length} (latest) and {lookupBody.Length} bytes (lookup); {rounds} registry rounds per endpoint, each between two of the bare app (same path, same body)");
        Console.WriteLine("| endpoint | bare Kestrel req/s | registry req/s | ratio (median of rounds) | rounds' range |");
        Console.WriteLine("|---|---|---|---|---|");
        // Both processes warm up on both endpoints first (JIT tiering), so no round measures a cold process.
        foreach (var lua in new[] { script, latest, lookups })
        {
            await WrkAsync(bareUrl, lua, 3);
            await WrkAsync(url, lua, 3);
        }
        foreach (var (name, lua) in new[] { ("GET /schemas/ids/{id}", script), ("GET /subjects/{s}/versions/latest", latest), ("POST /subjects/{s} (lookup)", lookups) })
        {
            var bareRates = new List<double> { await WrkAsync(bareUrl, lua, seconds) };
            var registryRates = new List<double>();
            for (var round = 0; round < rounds; round++)
            {
                registryRates.Add(await WrkAsync(url, lua, seconds));
                bareRates.Add(await WrkAsync(bareUrl, lua, seconds));
            }
            var ratios = registryRates.Select((rate, i) => rate / ((bareRates[i] + bareRates[i + 1]) / 2)).Order().ToList();
            Console.WriteLine($"| {name} | {bareRates.Average():N0} | {registryRates.Average():N0} | {ratios[ratios.Count / 2]:0.00} | {ratios[0]:0.00}–{ratios[^1]:0.00} |");
        }
        bare.Kill();
        registry.Kill();
        await registry.WaitForExitAsync();
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }

    /// <summary>A users file in <paramref name="dir"/> with one admin, "bench" (password "bench-pw").</summary>
    private static string UsersFile(string dir)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "users.txt");
        File.WriteAllText(path, $"bench: {Registry.Core.Security.PasswordHash.Create("bench-pw")}, admin\n");
        return path;
    }

    internal static Process Start(string dll, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    internal static async Task WaitAsync(HttpClient http, string url, int seconds = 30)
    {
        for (var tries = 0; ; tries++)
        {
            try
            {
                using var response = await http.GetAsync(url);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) when (tries < seconds * 10)
            {
            }
            if (tries >= seconds * 10) throw new TimeoutException(url + " did not answer");
            await Task.Delay(100);
        }
    }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Schema(int i) => $$"""{"type":"record","name":"Read{{i}}","fields":[{"name":"id","type":"string"},{"name":"n{{i}}","type":"long"}]}""";

    /// <summary><c>--bare PORT IDSBODYFILE LATESTBODYFILE LOOKUPBODYFILE</c>: only the bare app, in a process of its own, until killed.</summary>
    public static async Task BareAsync(int port, byte[] body, byte[] latest, byte[] lookup)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var app = builder.Build();
        app.MapGet("/schemas/ids/{id}", (HttpContext c) =>
        {
            c.Response.ContentType = "application/vnd.schemaregistry.v1+json";
            return c.Response.Body.WriteAsync(body).AsTask();
        });
        app.MapGet("/subjects/{subject}/versions/latest", (HttpContext c) =>
        {
            c.Response.ContentType = "application/vnd.schemaregistry.v1+json";
            return c.Response.Body.WriteAsync(latest).AsTask();
        });
        // A lookup's least cost: read the posted body, answer the stored one.
        app.MapPost("/subjects/{subject}", async (HttpContext c) =>
        {
            await c.Request.Body.CopyToAsync(Stream.Null);
            c.Response.ContentType = "application/vnd.schemaregistry.v1+json";
            await c.Response.Body.WriteAsync(lookup);
        });
        await app.RunAsync();
    }

    internal static async Task<double> WrkAsync(string url, string script, int seconds, int connections = 32)
    {
        var info = new ProcessStartInfo("/usr/bin/wrk") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { $"-t{Math.Min(2, connections)}", $"-c{connections}", $"-d{seconds}s", "-s", script, url.TrimEnd('/') }) info.ArgumentList.Add(a);
        using var wrk = Process.Start(info)!;
        var output = await wrk.StandardOutput.ReadToEndAsync();
        await wrk.WaitForExitAsync();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("Requests/sec:", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("wrk printed no rate: " + output);
        if (output.Contains("Non-2xx", StringComparison.Ordinal)) throw new InvalidOperationException("wrk saw errors: " + output);
        return double.Parse(line["Requests/sec:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

}
