using System.Text;
using System.Text.Json;
using Registry.Server.Tests.Infrastructure;

namespace Registry.Server.Tests;

/// <summary>Kill -9 during a stream of registrations: nothing acknowledged is lost, nothing half-written appears.</summary>
[Trait("Category", "Slow")]
public sealed class DurabilityTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "registry-kill-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Every_acknowledged_registration_survives_SIGKILL_with_the_same_id_and_version()
    {
        var acknowledged = new List<(string Subject, int Id, int Version)>();
        using (var server = await ServerProcess.StartAsync(_dataDirectory))
        {
            using var http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromSeconds(5) };
            // Sixteen writers, so the kill lands while writes are group-committed in batches.
            var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
            {
                for (var i = 0; ; i++)
                {
                    var subject = $"kill-{w}-{i}";
                    if (i % 3 == 0) subject = $"kill-shared-{w}";
                    var schema = Schemas.Record("R" + w, Schemas.FieldWithDefault("f" + i, "string", "\"x\""));
                    try
                    {
                        using var response = await http.PostAsync($"/subjects/{subject}/versions?normalize=false",
                            new StringContent(RegistryServer.Body(schema), Encoding.UTF8, "application/vnd.schemaregistry.v1+json"));
                        var body = await response.Content.ReadAsStringAsync();
                        if (!response.IsSuccessStatusCode) { if ((int)response.StatusCode == 409) continue; return; }
                        using var json = JsonDocument.Parse(body);
                        lock (acknowledged) acknowledged.Add((subject, json.RootElement.GetProperty("id").GetInt32(), json.RootElement.GetProperty("version").GetInt32()));
                    }
                    catch (HttpRequestException) { return; }
                    catch (TaskCanceledException) { return; }
                }
            })).ToList();

            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (DateTime.UtcNow < deadline && Count(acknowledged) < 300) await Task.Delay(20);
            var metrics = await http.GetStringAsync("/metrics");
            server.Kill();
            // Some append carried more than one write: more writes than appends.
            Assert.True(Sum(metrics, "registry_storage_store_append_writes_sum") > Sum(metrics, "registry_storage_store_append_writes_count"), "no write was group-committed");
            await Task.WhenAll(writers);
        }

        Assert.True(acknowledged.Count >= 50, $"only {acknowledged.Count} registrations were acknowledged before the kill");
        using var restarted = await ServerProcess.StartAsync(_dataDirectory);
        using var check = new HttpClient { BaseAddress = new Uri(restarted.Url) };
        foreach (var (subject, id, version) in acknowledged)
        {
            var body = await check.GetStringAsync($"/subjects/{subject}/versions/{version}");
            using var json = JsonDocument.Parse(body);
            Assert.Equal(id, json.RootElement.GetProperty("id").GetInt32());
        }

        // Nothing half-written: every listed subject has contiguous versions that resolve to schemas.
        var subjects = JsonSerializer.Deserialize<string[]>(await check.GetStringAsync("/subjects"))!;
        var ids = new Dictionary<int, string>();
        foreach (var subject in subjects)
        {
            var versions = JsonSerializer.Deserialize<int[]>(await check.GetStringAsync($"/subjects/{subject}/versions"))!;
            Assert.Equal(Enumerable.Range(1, versions.Length), versions);
            foreach (var v in versions)
            {
                using var json = JsonDocument.Parse(await check.GetStringAsync($"/subjects/{subject}/versions/{v}"));
                var id = json.RootElement.GetProperty("id").GetInt32();
                var schema = json.RootElement.GetProperty("schema").GetString()!;
                Assert.True(!ids.TryGetValue(id, out var other) || other == schema, $"id {id} means two schemas");
                ids[id] = schema;
            }
        }
        Assert.True(subjects.Length >= acknowledged.Select(a => a.Subject).Distinct().Count());
    }

    private static double Sum(string metrics, string name) =>
        metrics.Split('\n').Where(l => l.StartsWith(name, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    private static int Count(List<(string, int, int)> list)
    {
        lock (list) return list.Count;
    }

    public void Dispose()
    {
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }
}
