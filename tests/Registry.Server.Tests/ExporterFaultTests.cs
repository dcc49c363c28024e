using System.Text.Json;
using Registry.Server.Tests.Infrastructure;
using Registry.Testing;
using Xunit.Abstractions;

namespace Registry.Server.Tests;

/// <summary>Exporters when things go wrong: credentials, a destination that goes away, a source killed mid-sync.</summary>
[Trait("Category", "Slow")]
public sealed class ExporterFaultTests(ITestOutputHelper output)
{
    private static readonly string SecretKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    [Fact]
    public async Task Credentials_reach_the_destination_and_never_the_log_or_an_answer()
    {
        var users = TestUsers.Write(("linker", "linker-pw-7Q", "admin"));
        await using var destination = new RegistryServer { ExtraArgs = ["--Registry:AuthMode=basic", $"--Registry:UsersFile={users}"] };
        await destination.InitializeAsync();
        await using var source = new RegistryServer { ExtraArgs = [.. ExporterTests.Fast, $"--Registry:Exporters:SecretKey={SecretKey}"] };
        await source.InitializeAsync();

        Assert.Equal(200, (await source.PostAsync("/subjects/orders-value/versions", RegistryServer.Body(Schemas.V1))).Status);
        var body = $$$"""{"name":"dr","contextType":"CUSTOM","context":"east","config":{"schema.registry.url":"{{{destination.Url}}}","basic.auth.credentials.source":"USER_INFO","basic.auth.user.info":"linker:linker-pw-7Q"}}""";
        Assert.Equal(200, (await source.PostAsync("/exporters", body)).Status);
        await ExporterTests.CaughtUpAsync(source, "dr");
        Assert.Equal(200, (await destination.SendAsAsync("linker", "linker-pw-7Q", HttpMethod.Get, "/subjects/:.east:orders-value/versions/1")).Status);

        Assert.Equal("[hidden]", (await source.GetAsync("/exporters/dr")).Json.GetProperty("config").GetProperty("basic.auth.user.info").GetString());
        Assert.Equal("[hidden]", (await source.GetAsync("/exporters/dr/config")).Json.GetProperty("basic.auth.user.info").GetString());
        // Sent back masked (a GET, then a PUT of what it gave), the credential is kept.
        Assert.Equal(200, (await source.PutAsync("/exporters/dr/pause", "")).Status);
        Assert.Equal(200, (await source.PutAsync("/exporters/dr/config", (await source.GetAsync("/exporters/dr/config")).Body)).Status);
        Assert.Equal(200, (await source.PutAsync("/exporters/dr/resume", "")).Status);
        Assert.Equal(200, (await source.PostAsync("/subjects/orders-value/versions", RegistryServer.Body(Schemas.V2))).Status);
        await ExporterTests.CaughtUpAsync(source, "dr");
        Assert.Equal(200, (await destination.SendAsAsync("linker", "linker-pw-7Q", HttpMethod.Get, "/subjects/:.east:orders-value/versions/2")).Status);

        // Neither the store's files nor the audit log hold the password.
        foreach (var file in Directory.EnumerateFiles(source.DataDirectory, "*", SearchOption.AllDirectories))
        {
            var bytes = await ReadSharedAsync(file);
            Assert.False(System.Text.Encoding.UTF8.GetString(bytes).Contains("linker-pw-7Q", StringComparison.Ordinal), $"{file} holds the password");
        }
        // A wrong password is the destination's 401, in the trace.
        Assert.Equal(200, (await source.PutAsync("/exporters/dr/pause", "")).Status);
        Assert.Equal(200, (await source.PutAsync("/exporters/dr/config", $$"""{"schema.registry.url":"{{destination.Url}}","basic.auth.user.info":"linker:wrong"}""")).Status);
        Assert.Equal(200, (await source.PutAsync("/exporters/dr/resume", "")).Status);
        Assert.Equal(200, (await source.PostAsync("/subjects/more/versions", RegistryServer.Body(Schemas.V1))).Status);
        var status = await StatusAsync(source.Http, "dr", s => s.GetProperty("trace").GetString()!.Contains("401", StringComparison.Ordinal));
        output.WriteLine(status.ToString());
    }

    [Fact]
    public async Task A_destination_that_wants_a_client_certificate_gets_the_exporters_and_trusts_only_its_CA()
    {
        var dir = Directory.CreateTempSubdirectory("registry-dr-tls-").FullName;
        var ca = TestCertificates.CreateCa("DR Test CA");
        var (serverCert, serverKey) = TestCertificates.WritePem(TestCertificates.Issue(ca, "localhost", serverAuth: true), dir, "server");
        var (linkerCert, linkerKey) = TestCertificates.WritePem(TestCertificates.Issue(ca, "linker"), dir, "linker");
        var caFile = Path.Combine(dir, "ca.pem");
        File.WriteAllText(caFile, ca.ExportCertificatePem());
        var foreignCa = Path.Combine(dir, "foreign.pem");
        File.WriteAllText(foreignCa, TestCertificates.CreateCa("Someone Else's CA").ExportCertificatePem());
        File.WriteAllLines(Path.Combine(dir, "users.txt"), ["linker: cert, admin"]);
        await using var destination = new RegistryServer
        {
            ExtraArgs =
            [
                "--urls", "https://127.0.0.1:0", "--Registry:AuthMode=mtls", $"--Registry:UsersFile={Path.Combine(dir, "users.txt")}",
                $"--Registry:Tls:CertificateFile={serverCert}", $"--Registry:Tls:KeyFile={serverKey}", $"--Registry:Tls:ClientCaFile={caFile}",
            ],
        };
        await destination.InitializeAsync();
        await using var source = new RegistryServer { ExtraArgs = ExporterTests.Fast };
        await source.InitializeAsync();
        Assert.Equal(200, (await source.PostAsync("/subjects/orders-value/versions", RegistryServer.Body(Schemas.V1))).Status);

        string Body(string name, string ca) => JsonSerializer.Serialize(new
        {
            name,
            config = new Dictionary<string, string>
            {
                ["schema.registry.url"] = destination.Url,
                ["ssl.ca.location"] = ca,
                ["ssl.certificate.location"] = linkerCert,
                ["ssl.key.location"] = linkerKey,
            },
        });
        // A destination certificate from another CA is refused: nothing is sent, and the trace says why.
        Assert.Equal(200, (await source.PostAsync("/exporters", Body("untrusting", foreignCa))).Status);
        var refused = await StatusAsync(source.Http, "untrusting", s => s.GetProperty("trace").GetString()!.Length > 0);
        output.WriteLine(refused.GetProperty("trace").GetString());
        Assert.Equal(204, (await source.DeleteAsync("/exporters/untrusting")).Status);

        Assert.Equal(200, (await source.PostAsync("/exporters", Body("dr", caFile))).Status);
        await ExporterTests.CaughtUpAsync(source, "dr");
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true, ClientCertificateOptions = ClientCertificateOption.Manual };
        handler.ClientCertificates.Add(System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(linkerCert, linkerKey));
        using var reader = new HttpClient(handler) { BaseAddress = new Uri(destination.Url) };
        Assert.Contains("\"id\":1", await reader.GetStringAsync("/subjects/:.dr:orders-value/versions/1"), StringComparison.Ordinal);
        var contexts = await reader.GetStringAsync("/contexts");
        Assert.Contains(".dr", contexts, StringComparison.Ordinal);
        Assert.DoesNotContain(".untrusting", contexts, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_destination_away_for_a_while_grows_the_lag_and_the_exporter_recovers_by_itself()
    {
        var port = Processes.FreePort();
        var data = Path.Combine(Path.GetTempPath(), "registry-dr-" + Guid.NewGuid().ToString("N"));
        var destination = new RegistryServer { DataDirectory = data, KeepData = true, ExtraArgs = ["--urls", $"http://127.0.0.1:{port}"] };
        await destination.InitializeAsync();
        await using var source = new RegistryServer { ExtraArgs = ExporterTests.Fast };
        await source.InitializeAsync();
        try
        {
            Assert.Equal(200, (await source.PostAsync("/exporters", $$$"""{"name":"dr","config":{"schema.registry.url":"http://127.0.0.1:{{{port}}}"}}""")).Status);
            Assert.Equal(200, (await source.PostAsync("/subjects/a/versions", RegistryServer.Body(Schemas.V1))).Status);
            await ExporterTests.CaughtUpAsync(source, "dr");
            await destination.DisposeAsync();

            Assert.Equal(200, (await source.PostAsync("/subjects/b/versions", RegistryServer.Body(Schemas.V1))).Status);
            Assert.Equal(200, (await source.PostAsync("/subjects/c/versions", RegistryServer.Body(Schemas.V2))).Status);
            var failing = await StatusAsync(source.Http, "dr", s => s.GetProperty("trace").GetString()!.Contains($"127.0.0.1:{port}", StringComparison.Ordinal));
            Assert.Equal("RUNNING", failing.GetProperty("state").GetString());
            Assert.True(failing.GetProperty("lagEvents").GetInt64() >= 2, failing.ToString());
            await Task.Delay(1500);
            var later = (await source.GetAsync("/exporters/dr/status")).Json;
            Assert.True(later.GetProperty("lagSeconds").GetDouble() > failing.GetProperty("lagSeconds").GetDouble(), later.ToString());
            var metrics = await source.Http.GetStringAsync("/metrics");
            Assert.Matches("registry_exporters_lag_events\\{exporter=\"dr\"\\} [1-9]", metrics);
            Assert.Matches("registry_exporters_failures\\{exporter=\"dr\"\\} [1-9]", metrics);

            // Back on the same address with the same data: the exporter goes on by itself.
            destination = new RegistryServer { DataDirectory = data, ExtraArgs = ["--urls", $"http://127.0.0.1:{port}"] };
            await destination.InitializeAsync();
            await ExporterTests.CaughtUpAsync(source, "dr");
            Assert.Equal("""[":.dr:a",":.dr:b",":.dr:c"]""", (await destination.GetAsync("/subjects?subjectPrefix=:.dr:")).Body);
        }
        finally
        {
            await destination.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_source_killed_mid_sync_loses_and_duplicates_nothing()
    {
        await using var destination = new RegistryServer();
        await destination.InitializeAsync();
        var data = Path.Combine(Path.GetTempPath(), "registry-src-" + Guid.NewGuid().ToString("N"));
        const int subjects = 1200;
        var source = await ServerProcess.StartAsync(data, ExporterTests.Fast);
        try
        {
            using (var http = new HttpClient { BaseAddress = new Uri(source.Url) })
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, subjects), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
                {
                    var response = await http.PostAsync($"/subjects/s{i}/versions", Json(RegistryServer.Body(Schemas.Record("R" + i, Schemas.Field("f", "int")))), ct);
                    Assert.True(response.IsSuccessStatusCode);
                });
                Assert.True((await http.PostAsync("/exporters", Json($$$"""{"name":"dr","config":{"schema.registry.url":"{{{destination.Url}}}"}}"""))).IsSuccessStatusCode);
                int copied;
                var deadline = DateTime.UtcNow.AddSeconds(60);
                do
                {
                    await Task.Delay(20);
                    copied = JsonDocument.Parse((await destination.GetAsync("/subjects?subjectPrefix=:.dr:")).Body).RootElement.GetArrayLength();
                }
                while (copied < 100 && DateTime.UtcNow < deadline);
                source.Kill();
                output.WriteLine($"killed the source with {copied} of {subjects} subjects copied");
                Assert.InRange(copied, 100, subjects - 1);
            }
            source.Dispose();
            source = await ServerProcess.StartAsync(data, ExporterTests.Fast);
            using var again = new HttpClient { BaseAddress = new Uri(source.Url) };
            await ExporterTests.CaughtUpAsync(again, "dr", seconds: 120);
            var names = JsonDocument.Parse((await destination.GetAsync("/subjects?subjectPrefix=:.dr:")).Body).RootElement.EnumerateArray().Select(e => e.GetString()).ToList();
            Assert.Equal(subjects, names.Count);
            for (var i = 0; i < subjects; i++)
            {
                var at = JsonDocument.Parse(await again.GetStringAsync($"/subjects/s{i}/versions/1")).RootElement.GetProperty("id").GetInt32();
                Assert.Equal("[1]", (await destination.GetAsync($"/subjects/:.dr:s{i}/versions?deleted=true")).Body);
                Assert.Equal(at, (await destination.GetAsync($"/subjects/:.dr:s{i}/versions/1")).Json.GetProperty("id").GetInt32());
            }
        }
        finally
        {
            source.Dispose();
            try { Directory.Delete(data, true); } catch (IOException) { }
        }
    }

    /// <summary>docs/dr.md step by step: a NONE mirror, the source lost, DR promoted and written, then failing back.</summary>
    [Fact]
    public async Task The_failover_runbook_promotes_the_mirror_and_fails_back_without_losing_a_version()
    {
        var sourceData = Path.Combine(Path.GetTempPath(), "registry-src-" + Guid.NewGuid().ToString("N"));
        var source = new RegistryServer { DataDirectory = sourceData, KeepData = true, ExtraArgs = ExporterTests.Fast };
        await source.InitializeAsync();
        await using var dr = new RegistryServer { ExtraArgs = ExporterTests.Fast };
        await dr.InitializeAsync();
        try
        {
            Assert.Equal(200, (await source.PostAsync("/subjects/orders-value/versions", RegistryServer.Body(Schemas.V1))).Status);
            Assert.Equal(200, (await source.PostAsync("/subjects/orders-value/versions", RegistryServer.Body(Schemas.V2))).Status);
            Assert.Equal(200, (await source.PostAsync("/exporters", $$$"""{"name":"to-dr","contextType":"NONE","config":{"schema.registry.url":"{{{dr.Url}}}"}}""")).Status);
            await ExporterTests.CaughtUpAsync(source, "to-dr");

            // The source is lost. Failover: promote DR (one mode change), and clients write there.
            await source.DisposeAsync();
            Assert.Equal(200, (await dr.PutAsync("/mode", """{"mode":"READWRITE"}""")).Status);
            var v3 = Schemas.Record("User", Schemas.Field("name", "string"), Schemas.FieldWithDefault("age", "int", "0"), Schemas.FieldWithDefault("x", "int", "1"));
            var written = (await dr.PostAsync("/subjects/orders-value/versions", RegistryServer.Body(v3))).Json.GetProperty("id").GetInt32();

            // Failing back: the old source returns, its exporter is paused, DR exports to it, writers move back.
            source = new RegistryServer { DataDirectory = sourceData, KeepData = true, ExtraArgs = ExporterTests.Fast };
            await source.InitializeAsync();
            Assert.Equal(200, (await source.PutAsync("/exporters/to-dr/pause", "")).Status);
            Assert.Equal(200, (await source.PutAsync("/mode", """{"mode":"READONLY"}""")).Status);
            Assert.Equal(200, (await dr.PostAsync("/exporters", $$$"""{"name":"back","contextType":"NONE","config":{"schema.registry.url":"{{{source.Url}}}"}}""")).Status);
            await ExporterTests.CaughtUpAsync(dr, "back");
            Assert.Equal(200, (await dr.PutAsync("/mode", """{"mode":"READONLY"}""")).Status);
            Assert.Equal(written, (await source.GetAsync("/subjects/orders-value/versions/3")).Json.GetProperty("id").GetInt32());
            Assert.Equal(200, (await source.PutAsync("/mode", """{"mode":"READWRITE"}""")).Status);
            Assert.Equal(204, (await dr.DeleteAsync("/exporters/back")).Status);
            Assert.Equal(200, (await dr.PutAsync("/mode?force=true", """{"mode":"IMPORT"}""")).Status);
            foreach (var step in new[] { "reset", "resume" })
                Assert.Equal(200, (await source.PutAsync($"/exporters/to-dr/{step}", "")).Status);

            // Back to normal: a new version on the source reaches DR with its id, and both hold the same versions.
            var v4 = (await source.PostAsync("/subjects/orders-value/versions", RegistryServer.Body(Schemas.Record("User", Schemas.Field("name", "string"), Schemas.FieldWithDefault("age", "int", "0"), Schemas.FieldWithDefault("x", "int", "1"), Schemas.FieldWithDefault("y", "int", "2"))))).Json.GetProperty("id").GetInt32();
            await ExporterTests.CaughtUpAsync(source, "to-dr");
            Assert.Equal("[1,2,3,4]", (await dr.GetAsync("/subjects/orders-value/versions")).Body);
            for (var version = 1; version <= 4; version++)
                Assert.Equal((await source.GetAsync($"/subjects/orders-value/versions/{version}")).Json.GetProperty("id").GetInt32(),
                    (await dr.GetAsync($"/subjects/orders-value/versions/{version}")).Json.GetProperty("id").GetInt32());
            Assert.Equal(v4, (await dr.GetAsync("/subjects/orders-value/versions/4")).Json.GetProperty("id").GetInt32());
        }
        finally
        {
            await source.DisposeAsync();
            try { Directory.Delete(sourceData, true); } catch (IOException) { }
        }
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/vnd.schemaregistry.v1+json");

    private static async Task<byte[]> ReadSharedAsync(string file)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>Waits until the exporter's status satisfies <paramref name="condition"/>.</summary>
    private static async Task<JsonElement> StatusAsync(HttpClient http, string exporter, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            last = await http.GetStringAsync($"/exporters/{exporter}/status");
            var status = JsonDocument.Parse(last).RootElement;
            if (condition(status)) return status;
            await Task.Delay(100);
        }
        throw new TimeoutException($"exporter {exporter}: {last}");
    }
}
