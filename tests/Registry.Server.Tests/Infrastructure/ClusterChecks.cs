using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Registry.Server.Tests.Infrastructure;

/// <summary>Load and invariant checks shared by the multi-node suites of every shared store.</summary>
public static class ClusterChecks
{
    public static HttpClient Client(ServerProcess node) => new() { BaseAddress = new Uri(node.Url), Timeout = TimeSpan.FromSeconds(20) };

    public static async Task<HttpResponseMessage> SendAsync(ServerProcess node, HttpMethod method, string path, string? body = null)
    {
        using var http = Client(node);
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonBody(body) };
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    public static async Task AssertOkAsync(HttpResponseMessage response, string what)
    {
        Assert.True(response.IsSuccessStatusCode, $"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// DEK registry writes across nodes (at least three): a KEK on one node, its DEK on another, a soft delete on a
    /// third and the undelete on the first, each read back where it was answered; then DEKs created on every node at
    /// once, which every node lists alike.
    /// </summary>
    public static async Task KeyTrafficAsync(IReadOnlyList<ServerProcess> nodes)
    {
        var material = Convert.ToBase64String(Enumerable.Repeat((byte)3, 62).ToArray());
        await AssertOkAsync(await SendAsync(nodes[0], HttpMethod.Post, "/dek-registry/v1/keks", """{"name":"cluster-kek","kmsType":"local-kms","kmsKeyId":"k"}"""), "KEK on one node");
        await AssertOkAsync(await SendAsync(nodes[1], HttpMethod.Post, "/dek-registry/v1/keks/cluster-kek/deks/dep-value", $$"""{"encryptedKeyMaterial":"{{material}}"}"""), "DEK on another");
        await AssertOkAsync(await SendAsync(nodes[2], HttpMethod.Delete, "/dek-registry/v1/keks/cluster-kek/deks/dep-value"), "soft delete on a third");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await SendAsync(nodes[2], HttpMethod.Get, "/dek-registry/v1/keks/cluster-kek/deks/dep-value")).StatusCode);
        await AssertOkAsync(await SendAsync(nodes[0], HttpMethod.Post, "/dek-registry/v1/keks/cluster-kek/deks/dep-value/undelete"), "undelete on the first");
        var dek = await SendAsync(nodes[0], HttpMethod.Get, "/dek-registry/v1/keks/cluster-kek/deks/dep-value");
        await AssertOkAsync(dek, "read the DEK back");
        Assert.Contains(material, await dek.Content.ReadAsStringAsync());

        var creates = Enumerable.Range(0, 4 * nodes.Count).Select(async i =>
            await AssertOkAsync(await SendAsync(nodes[i % nodes.Count], HttpMethod.Post, $"/dek-registry/v1/keks/cluster-kek/deks/many-{i}-value",
                $$"""{"encryptedKeyMaterial":"{{material}}"}"""), $"DEK {i} on node {i % nodes.Count}"));
        await Task.WhenAll(creates);
        var expected = "[\"dep-value\"," + string.Join(",", Enumerable.Range(0, 4 * nodes.Count).Select(i => $"\"many-{i}-value\"").Order(StringComparer.Ordinal)) + "]";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        foreach (var node in nodes)
        {
            string listed;
            while ((listed = await (await SendAsync(node, HttpMethod.Get, "/dek-registry/v1/keks/cluster-kek/deks")).Content.ReadAsStringAsync()) != expected && DateTime.UtcNow < deadline)
                await Task.Delay(100);
            Assert.Equal(expected, listed);
        }
    }

    /// <summary>
    /// Contract review across nodes (at least three): a proposal opened on one, commented on a second, a review
    /// policy set on the third, the proposal withdrawn on the first; every node then answers alike, and the policy
    /// refuses a direct registration on each.
    /// </summary>
    public static async Task ProposalTrafficAsync(IReadOnlyList<ServerProcess> nodes)
    {
        var v1 = System.Text.Json.JsonSerializer.Serialize(new { schema = Schemas.V1 });
        await AssertOkAsync(await SendAsync(nodes[0], HttpMethod.Post, "/subjects/reviewed-value/versions", v1), "register v1");
        var opened = await SendAsync(nodes[0], HttpMethod.Post, "/v1/proposals", System.Text.Json.JsonSerializer.Serialize(new { subject = "reviewed-value", schema = Schemas.V2, description = "age" }));
        await AssertOkAsync(opened, "open a proposal");
        var id = System.Text.Json.JsonDocument.Parse(await opened.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetInt64();
        await AssertOkAsync(await SendAsync(nodes[1], HttpMethod.Post, $"/v1/proposals/{id}/reviews", """{"decision":"COMMENT","comment":"from node 1"}"""), "comment on another node");
        await AssertOkAsync(await SendAsync(nodes[2], HttpMethod.Put, "/v1/review-policies/reviewed-*", """{"requiredApprovals":2}"""), "policy on a third");
        await AssertOkAsync(await SendAsync(nodes[0], HttpMethod.Post, $"/v1/proposals/{id}/withdraw"), "withdraw on the first");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        foreach (var node in nodes)
        {
            System.Text.Json.JsonElement view;
            while (true)
            {
                view = System.Text.Json.JsonDocument.Parse(await (await SendAsync(node, HttpMethod.Get, $"/v1/proposals/{id}")).Content.ReadAsStringAsync()).RootElement;
                if ((view.TryGetProperty("state", out var s) && s.GetString() == "WITHDRAWN") || DateTime.UtcNow > deadline) break;
                await Task.Delay(100);
            }
            Assert.Equal("WITHDRAWN", view.GetProperty("state").GetString());
            Assert.Equal("from node 1", view.GetProperty("comments")[0].GetProperty("comment").GetString());
            Assert.Equal("reviewed-*", view.GetProperty("policy").GetProperty("scope").GetString());
            var direct = await SendAsync(node, HttpMethod.Post, "/subjects/reviewed-value/versions", System.Text.Json.JsonSerializer.Serialize(new { schema = Schemas.V2 }));
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, direct.StatusCode);
        }
    }

    public static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/vnd.schemaregistry.v1+json");

    public static string Schema(string name, int n) =>
        "{\"schema\":" + JsonSerializer.Serialize($$"""{"type":"record","name":"{{name}}","fields":[{"name":"f{{n}}","type":"string"}]}""") + "}";

    /// <summary>
    /// Writers on every node registering a mix of shared and distinct schemas into shared subjects: <paramref name="perWriter"/>
    /// each, or, given <paramref name="stop"/>, until it is cancelled, pausing briefly after a failure as a client's retry would.
    /// </summary>
    public static async Task<ConcurrentBag<(string Subject, string Body, int Id, int Version)>> LoadAsync(
        ServerProcess[] nodes, int writersPerNode, int perWriter, ConcurrentBag<string> errors, Func<int, Task>? during = null, CancellationToken stop = default)
    {
        var acknowledged = new ConcurrentBag<(string, string, int, int)>();
        var done = 0;
        var writers = nodes.SelectMany((node, n) => Enumerable.Range(0, writersPerNode).Select(w => Task.Run(async () =>
        {
            using var http = Client(node);
            for (var i = 0; i < perWriter && !stop.IsCancellationRequested; i++)
            {
                var subject = $"shared-{(n + w + i) % 6}";
                var body = i % 2 == 0 ? Schema("Shared", i % 10) : Schema($"Own{n}x{w}", i);
                var ok = false;
                try
                {
                    using var r = await http.PostAsync($"/subjects/{subject}/versions", JsonBody(body));
                    var text = await r.Content.ReadAsStringAsync();
                    if (r.IsSuccessStatusCode)
                    {
                        using var doc = JsonDocument.Parse(text);
                        acknowledged.Add((subject, body, doc.RootElement.GetProperty("id").GetInt32(), doc.RootElement.GetProperty("version").GetInt32()));
                        ok = true;
                    }
                    else errors.Add($"{node.Url} {(int)r.StatusCode} {text}");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    errors.Add($"{node.Url} {e.GetType().Name}");
                }
                Interlocked.Increment(ref done);
                if (!ok && stop.CanBeCanceled) await Task.Delay(200, CancellationToken.None);
            }
        }))).ToList();
        if (during is not null)
        {
            var total = (int)Math.Min(int.MaxValue, (long)nodes.Length * writersPerNode * perWriter);
            await during(total);
            _ = done;
        }
        await Task.WhenAll(writers);
        return acknowledged;
    }

    /// <summary>Waits until every node lists the same schemas, and returns that listing.</summary>
    public static async Task<JsonElement> ConvergedAsync(IEnumerable<ServerProcess> nodes, ITestOutputHelper output)
    {
        var clients = nodes.Select(Client).ToList();
        var deadline = Stopwatch.StartNew();
        string[] listings = [];
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            listings = await Task.WhenAll(clients.Select(c => c.GetStringAsync("/schemas?deleted=true")));
            if (listings.Distinct().Count() == 1) break;
            await Task.Delay(100);
        }
        foreach (var c in clients) c.Dispose();
        Assert.True(listings.Distinct().Count() == 1, "nodes did not converge within 30 s:\n" + string.Join("\n", listings.Select(l => l[..Math.Min(300, l.Length)])));
        output.WriteLine($"converged {deadline.ElapsedMilliseconds} ms after the load ended");
        return JsonDocument.Parse(listings[0]).RootElement;
    }

    public static void AssertInvariants(JsonElement listing, IEnumerable<(string Subject, string Body, int Id, int Version)> acknowledged)
    {
        var rows = listing.EnumerateArray().Select(e => (
            Subject: e.GetProperty("subject").GetString()!, Version: e.GetProperty("version").GetInt32(),
            Id: e.GetProperty("id").GetInt32(), Schema: e.GetProperty("schema").GetString()!)).ToList();
        foreach (var bySchema in rows.GroupBy(r => r.Schema)) Assert.Single(bySchema.Select(r => r.Id).Distinct());
        foreach (var byId in rows.GroupBy(r => r.Id)) Assert.Single(byId.Select(r => r.Schema).Distinct());
        foreach (var bySubject in rows.GroupBy(r => r.Subject))
        {
            var versions = bySubject.Select(r => r.Version).Order().ToList();
            Assert.Equal(Enumerable.Range(1, versions.Count), versions);
            Assert.Equal(bySubject.Count(), bySubject.Select(r => r.Schema).Distinct().Count());
        }
        var present = rows.Select(r => (r.Subject, r.Id, r.Version)).ToHashSet();
        foreach (var a in acknowledged) Assert.Contains((a.Subject, a.Id, a.Version), present);
    }

    public static async Task ConvergedConfigAsync(IEnumerable<ServerProcess> nodes)
    {
        foreach (var node in nodes)
        {
            using var http = Client(node);
            var deadline = Stopwatch.StartNew();
            while (!(await http.GetStringAsync("/config")).Contains("NONE") && deadline.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
        }
    }

    /// <summary>Write on one node, time until another node serves it; the figure goes to docs/performance.md.</summary>
    public static async Task MeasureConvergenceAsync(ServerProcess writer, ServerProcess reader, ITestOutputHelper output)
    {
        using var w = Client(writer);
        using var r = Client(reader);
        var samples = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            using var reply = await w.PostAsync($"/subjects/convergence-{i}/versions", JsonBody(Schema("Convergence", i)));
            Assert.True(reply.IsSuccessStatusCode);
            var sw = Stopwatch.StartNew();
            while ((await r.GetAsync($"/subjects/convergence-{i}/versions/1")).StatusCode != System.Net.HttpStatusCode.OK)
            {
                Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), "a write did not reach the other node within 5 s");
                await Task.Delay(2);
            }
            samples.Add(sw.Elapsed.TotalMilliseconds);
        }
        samples.Sort();
        output.WriteLine($"convergence to another node: median {samples[10]:0.0} ms, max {samples[^1]:0.0} ms over 20 writes");
    }
}
