using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Confluent.SchemaRegistry;
using Registry.Server.Hosting;
using Registry.Server.Tests.Infrastructure;
using Registry.Testing;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>Basic authentication against a users file and role grants on subject prefixes.</summary>
public sealed class AuthTests : IAsyncLifetime
{
    private static readonly string UsersFilePath = TestUsers.Write(
        ("alice", "alice-pw", "writer:orders-"),
        ("bob", "bob-pw", "reader:orders-"),
        ("carol", "carol-pw", "reader:payments-"),
        ("root", "root-pw", "admin"),
        ("ann", "ann-pw", "auditor"),
        ("rita", "rita-pw", "reader"),
        ("walt", "walt-pw", "writer"),
        ("tenant-a", "a-pw", "admin::.tenant-a:"),
        ("tenant-b", "b-pw", "admin::.tenant-b:"));
    private readonly RegistryServer _server = new() { ExtraArgs = ["--Registry:AuthMode=basic", $"--Registry:UsersFile={UsersFilePath}"] };

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    private Task<Reply> As(string user, string password, HttpMethod method, string path, string? json = null) =>
        _server.SendAsAsync(user, password, method, path, json);

    /// <summary>Each endpoint family and the roles allowed on it (reader, writer, admin, auditor), with no prefix.</summary>
    public static TheoryData<string, string, string?, string> Families => new()
    {
        { "GET", "/subjects", null, "reader writer admin auditor" },
        { "GET", "/subjects/table-s/versions", null, "reader writer admin" },
        { "POST", "/subjects/table-s", Body(Schemas.V1), "reader writer admin" },
        { "POST", "/subjects/table-s/versions", Body(Schemas.V1), "writer admin" },
        { "POST", "/compatibility/subjects/table-s/versions/latest", Body(Schemas.V1), "writer admin" },
        { "DELETE", "/subjects/table-gone", null, "writer admin" },
        { "GET", "/config", null, "reader writer admin" },
        { "PUT", "/config", """{"compatibility":"BACKWARD"}""", "admin" },
        { "PUT", "/config/table-s", """{"compatibility":"BACKWARD"}""", "admin" },
        { "GET", "/mode", null, "reader writer admin" },
        { "PUT", "/mode", """{"mode":"READWRITE"}""", "admin" },
        { "GET", "/v1/audit", null, "auditor" },
        { "GET", "/v1/policies", null, "reader writer admin" },
        { "PUT", "/v1/policies/table-topic", """{"value":{}}""", "admin" },
        { "GET", "/ui/subjects/table-s", null, "reader writer admin" },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public async Task Every_role_on_every_endpoint_family_is_allowed_or_refused_with_40301(string method, string path, string? body, string allowed)
    {
        foreach (var (user, role) in new[] { ("rita", "reader"), ("walt", "writer"), ("root", "admin"), ("ann", "auditor") })
        {
            var reply = await As(user, user + "-pw", new HttpMethod(method), path, body);
            if (allowed.Split(' ').Contains(role))
            {
                Assert.True(reply.Status is not (401 or 403), $"{role} {method} {path}: {reply}");
            }
            else
            {
                Assert.True(reply.Status == 403 && reply.ErrorCode == 40301, $"{role} {method} {path}: {reply}");
            }
        }
    }

    [Fact]
    public async Task Missing_wrong_and_unknown_credentials_are_401_with_the_same_body()
    {
        var none = await _server.GetAsync("/subjects");
        var wrong = await As("alice", "nope", HttpMethod.Get, "/subjects");
        var unknown = await As("mallory", "nope", HttpMethod.Get, "/subjects");
        Assert.All(new[] { none, wrong, unknown }, r => Assert.Equal(401, r.Status));
        Assert.Equal(none.Body, wrong.Body);
        Assert.Equal(wrong.Body, unknown.Body);
        Assert.Equal(401, none.ErrorCode);
        Assert.Equal("ready", await _server.Http.GetStringAsync("/health/ready"));
        Assert.Contains("registry_server", await _server.Http.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task After_a_sign_in_is_remembered_a_wrong_password_or_another_users_is_still_401()
    {
        Assert.Equal(200, (await As("rita", "rita-pw", HttpMethod.Get, "/subjects")).Status);
        Assert.Equal(200, (await As("rita", "rita-pw", HttpMethod.Get, "/subjects")).Status);
        Assert.Equal(401, (await As("rita", "rita-pw ", HttpMethod.Get, "/subjects")).Status);
        Assert.Equal(401, (await As("rita", "walt-pw", HttpMethod.Get, "/subjects")).Status);
        Assert.Equal(401, (await As("walt", "rita-pw", HttpMethod.Get, "/subjects")).Status);
        // Each keeps its own grants: rita reads, walt (a writer) registers, rita may not.
        Assert.Equal(200, (await As("walt", "walt-pw", HttpMethod.Post, "/subjects/cached-s/versions", Body(Schemas.V1))).Status);
        Assert.Equal(403, (await As("rita", "rita-pw", HttpMethod.Post, "/subjects/cached-s/versions", Body(Schemas.V2))).Status);
    }

    [Fact]
    public async Task Grants_decide_per_subject_prefix_and_listings_show_only_what_may_be_read()
    {
        var orders = await As("alice", "alice-pw", HttpMethod.Post, "/subjects/orders-value/versions", Body(Schemas.V1));
        Assert.Equal(200, orders.Status);
        var denied = await As("alice", "alice-pw", HttpMethod.Post, "/subjects/payments-value/versions", Body(Schemas.V1));
        Assert.Equal(403, denied.Status);
        Assert.Equal(40301, denied.ErrorCode);
        Assert.Equal(200, (await As("root", "root-pw", HttpMethod.Post, "/subjects/payments-value/versions", Body(Schemas.V2))).Status);

        Assert.Equal(200, (await As("bob", "bob-pw", HttpMethod.Get, "/subjects/orders-value/versions")).Status);
        Assert.Equal(403, (await As("bob", "bob-pw", HttpMethod.Post, "/subjects/orders-value/versions", Body(Schemas.V2))).Status);
        Assert.Equal(403, (await As("bob", "bob-pw", HttpMethod.Delete, "/subjects/orders-value")).Status);
        Assert.Equal("[\"orders-value\"]", (await As("bob", "bob-pw", HttpMethod.Get, "/subjects")).Body);
        Assert.Equal("[\"payments-value\"]", (await As("carol", "carol-pw", HttpMethod.Get, "/subjects")).Body);

        // An id of a subject the caller may not read answers exactly like a missing id.
        var id = orders.Json.GetProperty("id").GetInt32();
        var hidden = await As("carol", "carol-pw", HttpMethod.Get, $"/schemas/ids/{id}");
        var missing = await As("carol", "carol-pw", HttpMethod.Get, "/schemas/ids/987654");
        Assert.Equal(404, hidden.Status);
        Assert.Equal(missing.Body.Replace("987654", id.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), hidden.Body);
        Assert.Equal(200, (await As("bob", "bob-pw", HttpMethod.Get, $"/schemas/ids/{id}")).Status);

        Assert.Equal(403, (await As("alice", "alice-pw", HttpMethod.Put, "/config", """{"compatibility":"NONE"}""")).Status);
        Assert.Equal(403, (await As("alice", "alice-pw", HttpMethod.Put, "/config/orders-value", """{"compatibility":"NONE"}""")).Status);
        Assert.Equal(200, (await As("root", "root-pw", HttpMethod.Put, "/config/orders-value", """{"compatibility":"FULL"}""")).Status);
    }

    [Fact]
    public async Task The_Confluent_client_authenticates_with_basic_credentials()
    {
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig
        {
            Url = _server.Url,
            BasicAuthCredentialsSource = AuthCredentialsSource.UserInfo,
            BasicAuthUserInfo = "alice:alice-pw",
        });
        Assert.True(await client.RegisterSchemaAsync("orders-client", new Confluent.SchemaRegistry.Schema(Schemas.V1, SchemaType.Avro)) > 0);
        using var wrong = new CachedSchemaRegistryClient(new SchemaRegistryConfig
        {
            Url = _server.Url,
            BasicAuthCredentialsSource = AuthCredentialsSource.UserInfo,
            BasicAuthUserInfo = "alice:wrong",
        });
        var e = await Assert.ThrowsAsync<SchemaRegistryException>(() => wrong.GetAllSubjectsAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, e.Status);
    }

    [Theory]
    [InlineData("/subjects/%256Frders-x/versions")]
    [InlineData("/subjects/%3A.%3Apayments-value/versions")]
    public async Task Encoded_subject_names_are_authorized_as_the_subject_they_act_on(string path)
    {
        // %256F reaches the endpoint as the literal subject "%6Frders-x", which is not under alice's "orders-" prefix;
        // ":.:payments-value" is payments-value in the default context.
        var reply = await As("alice", "alice-pw", HttpMethod.Post, path, Body(Schemas.V1));
        Assert.Equal(403, reply.Status);
    }

    [Fact]
    public async Task Changes_and_denied_attempts_are_audited_and_the_trail_survives_a_restart()
    {
        var registered = await As("alice", "alice-pw", HttpMethod.Post, "/subjects/orders-audit/versions", Body(Schemas.V1));
        Assert.Equal(200, registered.Status);
        Assert.Equal(403, (await As("alice", "alice-pw", HttpMethod.Delete, "/subjects/payments-x")).Status);
        Assert.Equal(409, (await As("alice", "alice-pw", HttpMethod.Post, "/subjects/orders-audit/versions", Body(Schemas.Breaking))).Status);
        Assert.Equal(403, (await As("alice", "alice-pw", HttpMethod.Get, "/v1/audit")).Status);

        await _server.App.StopAsync();
        var trail = await ReadTrailAfterRestart(_server.DataDirectory);
        var alice = trail.Where(e => e.GetProperty("principal").GetString() == "alice").ToList();
        Assert.Contains(alice, e => e.GetProperty("subject").GetString() == "orders-audit" && e.GetProperty("status").GetInt32() == 200
            && e.GetProperty("id").GetInt32() == registered.Json.GetProperty("id").GetInt32() && e.GetProperty("version").GetInt32() == 1);
        Assert.Contains(alice, e => e.GetProperty("subject").GetString() == "payments-x" && e.GetProperty("status").GetInt32() == 403);
        Assert.Contains(alice, e => e.GetProperty("status").GetInt32() == 409);
        Assert.All(trail, e => Assert.False(string.IsNullOrEmpty(e.GetProperty("client").GetString())));
    }

    /// <summary>Starts a new server on the same data directory and reads the trail as the auditor, as JSON lines.</summary>
    private static async Task<List<System.Text.Json.JsonElement>> ReadTrailAfterRestart(string dataDirectory)
    {
        var app = RegistryApp.Build(["--urls", "http://127.0.0.1:0", "--data-dir", dataDirectory, "--Logging:LogLevel:Default=Warning",
            "--Registry:AuthMode=basic", $"--Registry:UsersFile={UsersFilePath}"]);
        await app.StartAsync();
        try
        {
            var url = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>(app.Services)
                .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ann:ann-pw")));
            var lines = await http.GetStringAsync(url + "/v1/audit?format=jsonl");
            return lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.Clone()).ToList();
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_principal_bound_to_a_tenant_context_cannot_read_list_write_delete_or_probe_another()
    {
        var a = await As("tenant-a", "a-pw", HttpMethod.Post, "/subjects/:.tenant-a:orders/versions", Body(Schemas.Record("TenantA", Schemas.Field("a", "string"))));
        Assert.Equal(200, a.Status);
        var b = await As("tenant-b", "b-pw", HttpMethod.Post, "/subjects/:.tenant-b:orders/versions", Body(Schemas.Record("TenantB", Schemas.Field("b", "string"))));
        Assert.Equal(200, b.Status);
        var aId = a.Json.GetProperty("id").GetInt32();

        Assert.Equal("[\":.tenant-b:orders\"]", (await As("tenant-b", "b-pw", HttpMethod.Get, "/subjects")).Body);
        Assert.Equal(403, (await As("tenant-b", "b-pw", HttpMethod.Get, "/subjects/:.tenant-a:orders/versions")).Status);
        Assert.Equal(403, (await As("tenant-b", "b-pw", HttpMethod.Post, "/subjects/:.tenant-a:orders/versions", Body(Schemas.V1))).Status);
        Assert.Equal(403, (await As("tenant-b", "b-pw", HttpMethod.Delete, "/subjects/:.tenant-a:orders")).Status);
        Assert.Equal(403, (await As("tenant-b", "b-pw", HttpMethod.Put, "/config/:.tenant-a:", """{"compatibility":"NONE"}""")).Status);
        var probe = await As("tenant-b", "b-pw", HttpMethod.Get, $"/schemas/ids/{aId}");
        Assert.Equal(404, probe.Status);
        Assert.DoesNotContain("tenant-a", probe.Body);
        Assert.Equal("[]", (await As("tenant-b", "b-pw", HttpMethod.Get, "/schemas?subjectPrefix=:.tenant-a:")).Body);
        Assert.Equal(200, (await As("tenant-b", "b-pw", HttpMethod.Put, "/config/:.tenant-b:", """{"compatibility":"FULL"}""")).Status);
    }

    [Fact]
    public async Task Context_urls_are_authorized_on_the_qualified_subject()
    {
        // tenant-a holds :.tenant-a: only: its context URL works, another tenant's context URL does not.
        Assert.Equal(200, (await As("tenant-a", "a-pw", HttpMethod.Post, "/contexts/.tenant-a/subjects/orders-x/versions", Body(Schemas.V1))).Status);
        Assert.Equal(200, (await As("tenant-a", "a-pw", HttpMethod.Get, "/contexts/.tenant-a/subjects/orders-x/versions/1")).Status);
        Assert.Equal(403, (await As("tenant-a", "a-pw", HttpMethod.Post, "/contexts/.tenant-b/subjects/orders-x/versions", Body(Schemas.V1))).Status);
        // alice may write orders-* in the default context, not the same name in a tenant's context.
        Assert.Equal(403, (await As("alice", "alice-pw", HttpMethod.Post, "/contexts/.tenant-a/subjects/orders-x/versions", Body(Schemas.V2))).Status);
        Assert.Equal(200, (await As("alice", "alice-pw", HttpMethod.Post, "/contexts/:.:/subjects/orders-ctx/versions", Body(Schemas.V1))).Status);
    }

    [Fact]
    public async Task A_subject_hint_names_only_subjects_the_caller_may_read()
    {
        var shared = Body(Schemas.Record("Shared", Schemas.Field("s", "string")));
        var id = (await As("root", "root-pw", HttpMethod.Post, "/subjects/payments-hint-value/versions", shared)).Json.GetProperty("id").GetInt32();
        Assert.Equal(id, (await As("root", "root-pw", HttpMethod.Post, "/subjects/orders-hint-value/versions", shared)).Json.GetProperty("id").GetInt32());
        // alice may read the id (through orders-hint-value) but not payments-hint-value: the hint tells her nothing about it.
        var existing = await As("alice", "alice-pw", HttpMethod.Get, $"/schemas/ids/{id}?subject=payments-hint-value");
        var missing = await As("alice", "alice-pw", HttpMethod.Get, $"/schemas/ids/{id}?subject=payments-no-such-value");
        Assert.Equal(200, existing.Status);
        Assert.False(existing.Json.TryGetProperty("subject", out _), existing.ToString());
        Assert.Equal(missing.Body, existing.Body);
        Assert.Equal("orders-hint-value", (await As("alice", "alice-pw", HttpMethod.Get, $"/schemas/ids/{id}?subject=orders-hint-value")).Json.GetProperty("subject").GetString());
        Assert.Equal("[\"orders-hint-value\"]", (await As("alice", "alice-pw", HttpMethod.Get, $"/schemas/ids/{id}/subjects?subject=payments-hint-value")).Body);
    }

    [Fact]
    public async Task A_reference_to_a_subject_the_writer_may_not_read_is_answered_as_a_missing_one()
    {
        Assert.Equal(200, (await As("root", "root-pw", HttpMethod.Post, "/subjects/payments-ref-value/versions", Body(Schemas.Record("Money", Schemas.Field("cents", "long"))))).Status);
        static string Referring(string subject) => Body(Schemas.Record("Order", Schemas.Field("m", "Money")),
            $"\"references\":[{{\"name\":\"Money\",\"subject\":\"{subject}\",\"version\":1}}]");
        var hidden = await As("alice", "alice-pw", HttpMethod.Post, "/subjects/orders-ref-value/versions", Referring("payments-ref-value"));
        var absent = await As("alice", "alice-pw", HttpMethod.Post, "/subjects/orders-ref-value/versions", Referring("payments-absent-value"));
        Assert.Equal(42201, hidden.ErrorCode);
        Assert.Equal(absent.Json.GetProperty("message").GetString()!.Replace("payments-absent-value", "payments-ref-value", StringComparison.Ordinal),
            hidden.Json.GetProperty("message").GetString());
        Assert.Equal(42201, (await As("alice", "alice-pw", HttpMethod.Post, "/compatibility/subjects/orders-ref-value/versions/latest", Referring("payments-ref-value"))).ErrorCode);
        // Nothing pins payments-ref-value for its owners.
        Assert.Equal("[]", (await As("root", "root-pw", HttpMethod.Get, "/subjects/payments-ref-value/versions/1/referencedby")).Body);
        Assert.Equal(200, (await As("root", "root-pw", HttpMethod.Post, "/subjects/orders-ref-value/versions", Referring("payments-ref-value"))).Status);
    }

    [Fact]
    public async Task Contexts_list_only_those_the_caller_has_subjects_in()
    {
        Assert.Equal(200, (await As("tenant-a", "a-pw", HttpMethod.Post, "/subjects/:.tenant-a:s/versions", Body(Schemas.V1))).Status);
        Assert.Equal(200, (await As("tenant-b", "b-pw", HttpMethod.Post, "/subjects/:.tenant-b:s/versions", Body(Schemas.V1))).Status);
        Assert.Equal("[\".\",\".tenant-a\"]", (await As("tenant-a", "a-pw", HttpMethod.Get, "/contexts")).Body);
        Assert.Contains(".tenant-b", (await As("root", "root-pw", HttpMethod.Get, "/contexts")).Body);
        Assert.DoesNotContain("tenant-b", (await As("tenant-a", "a-pw", HttpMethod.Get, "/ui/subjects")).Body);
    }

    [Fact]
    public async Task A_failed_sign_in_is_audited_under_the_attempted_name_with_the_method()
    {
        Assert.Equal(401, (await As("rita", "not-her-password", HttpMethod.Get, "/subjects")).Status);
        Assert.Equal(401, (await As("nobody-known", "x", HttpMethod.Delete, "/subjects/s")).Status);
        Assert.Equal(200, (await As("walt", "walt-pw", HttpMethod.Post, "/subjects/audited-method/versions", Body(Schemas.V1))).Status);
        var trail = System.Text.Json.JsonDocument.Parse((await As("ann", "ann-pw", HttpMethod.Get, "/v1/audit")).Body).RootElement.EnumerateArray().ToList();
        var rita = Assert.Single(trail, e => e.GetProperty("principal").GetString() == "rita");
        Assert.Equal(401, rita.GetProperty("status").GetInt32());
        Assert.False(rita.GetProperty("authenticated").GetBoolean());
        Assert.Equal("basic", rita.GetProperty("method").GetString());
        Assert.Contains(trail, e => e.GetProperty("principal").GetString() == "nobody-known" && !e.GetProperty("authenticated").GetBoolean());
        var walt = Assert.Single(trail, e => e.GetProperty("principal").GetString() == "walt");
        Assert.True(walt.GetProperty("authenticated").GetBoolean());
        Assert.Equal("basic", walt.GetProperty("method").GetString());
    }

    [Fact]
    public async Task Rate_limits_are_per_principal_and_failed_sign_ins_are_throttled_per_address()
    {
        await using var limited = new RegistryServer
        {
            ExtraArgs = ["--Registry:AuthMode=basic", $"--Registry:UsersFile={UsersFilePath}", "--Registry:RateLimitPerSecond=1", "--Registry:RateLimitBurst=3",
                "--Registry:FailedSignInsPerMinute=4"],
        };
        await limited.InitializeAsync();
        async Task<int> Get(string user, string password)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/subjects");
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
            using var response = await limited.Http.SendAsync(request);
            return (int)response.StatusCode;
        }
        var alice = new List<int>();
        for (var i = 0; i < 8; i++) alice.Add(await Get("alice", "alice-pw"));
        Assert.Contains(429, alice);
        // bob, from the same address, has a budget of his own.
        Assert.Equal(200, await Get("bob", "bob-pw"));

        var guesses = new List<int>();
        for (var i = 0; i < 8; i++) guesses.Add(await Get("rita", "guess-" + i));
        Assert.Equal(401, guesses[0]);
        Assert.Equal(429, guesses[^1]);
        // While the address is throttled, even the right password waits: a guesser cannot tell.
        Assert.Equal(429, await Get("rita", "rita-pw"));
    }
}
