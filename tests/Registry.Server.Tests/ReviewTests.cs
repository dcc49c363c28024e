using System.Text.Json;
using Registry.Server.Tests.Infrastructure;
using Registry.Testing;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>Contract review: proposals, review policies, four eyes, stale proposals, audit and replay.</summary>
public sealed class ReviewTests : IAsyncLifetime
{
    private static readonly string UsersFilePath = TestUsers.Write(
        ("alice", "alice-pw", "writer:orders-"),
        ("bob", "bob-pw", "writer:orders-"),
        ("carol", "carol-pw", "writer:orders-"),
        ("dave", "dave-pw", "reader:orders-"),
        ("eve", "eve-pw", "reader:payments-"),
        ("root", "root-pw", "admin"),
        ("ann", "ann-pw", "auditor"));

    private static readonly string[] Args = ["--Registry:AuthMode=basic", $"--Registry:UsersFile={UsersFilePath}"];
    private static readonly string V3 = Schemas.Record("User", Schemas.Field("name", "string"), Schemas.FieldWithDefault("age", "int", "0"), Schemas.FieldWithDefault("extra", "string", "\"\""));
    private static readonly string V3Other = Schemas.Record("User", Schemas.Field("name", "string"), Schemas.FieldWithDefault("age", "int", "0"), Schemas.FieldWithDefault("extra", "int", "0"));

    private readonly string _data = Path.Combine(Path.GetTempPath(), "registry-review-" + Guid.NewGuid().ToString("N"));
    private RegistryServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = new RegistryServer { DataDirectory = _data, KeepData = true, ExtraArgs = Args };
        await _server.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    private Task<Reply> As(string user, HttpMethod method, string path, string? json = null) => _server.SendAsAsync(user, user + "-pw", method, path, json);

    private static string Proposal(string subject, string schema, string description) =>
        JsonSerializer.Serialize(new { subject, schema, description });

    private static string Review(string decision, string? comment = null) => JsonSerializer.Serialize(new { decision, comment });

    [Fact]
    public async Task A_change_under_a_policy_is_registered_once_with_four_eyes_and_the_audit_names_proposer_and_approver()
    {
        Assert.Equal(200, (await As("root", HttpMethod.Post, "/subjects/orders-value/versions", Body(Schemas.V1))).Status);
        var policy = await As("root", HttpMethod.Put, "/v1/review-policies/orders-*", """{"requiredApprovals":1,"approvers":["carol","role:admin"]}""");
        Assert.Equal(200, policy.Status);
        Assert.Equal(403, (await As("alice", HttpMethod.Put, "/v1/review-policies/orders-*", """{"requiredApprovals":0}""")).Status);

        // A writer cannot register past the policy: a Confluent client with auto-register gets a clear refusal.
        var direct = await As("alice", HttpMethod.Post, "/subjects/orders-value/versions", Body(Schemas.V2));
        Assert.Equal(403, direct.Status);
        Assert.Equal(40380, direct.ErrorCode);
        Assert.Contains("orders-*", direct.Json.GetProperty("message").GetString());
        // A schema already registered still answers with its id (serializers re-register on start).
        Assert.Equal(200, (await As("alice", HttpMethod.Post, "/subjects/orders-value/versions", Body(Schemas.V1))).Status);

        var opened = await As("alice", HttpMethod.Post, "/v1/proposals", Proposal("orders-value", Schemas.V2, "add age"));
        Assert.Equal(201, opened.Status);
        var id = opened.Json.GetProperty("id").GetInt64();
        Assert.Equal("OPEN", opened.Json.GetProperty("state").GetString());
        Assert.True(opened.Json.GetProperty("verdict").GetProperty("compatible").GetBoolean());
        Assert.Equal(7, opened.Json.GetProperty("verdict").GetProperty("levels").EnumerateObject().Count());
        Assert.True(opened.Json.GetProperty("verdict").GetProperty("levels").GetProperty("FULL_TRANSITIVE").GetBoolean());
        Assert.Contains("+", opened.Json.GetProperty("diff").GetString());
        Assert.Equal("orders-*", opened.Json.GetProperty("policy").GetProperty("scope").GetString());

        // A reader sees it, another tenant does not; nobody approves their own change, and only approvers approve.
        Assert.Equal(200, (await As("dave", HttpMethod.Get, $"/v1/proposals/{id}")).Status);
        Assert.Equal(404, (await As("eve", HttpMethod.Get, $"/v1/proposals/{id}")).Status);
        Assert.Empty((await As("eve", HttpMethod.Get, "/v1/proposals")).Json.EnumerateArray());
        var self = await As("alice", HttpMethod.Post, $"/v1/proposals/{id}/reviews", Review("APPROVE"));
        Assert.Equal((403, 40381), (self.Status, self.ErrorCode));
        var bob = await As("bob", HttpMethod.Post, $"/v1/proposals/{id}/reviews", Review("APPROVE"));
        Assert.Equal((403, 40382), (bob.Status, bob.ErrorCode));
        Assert.Equal(200, (await As("bob", HttpMethod.Post, $"/v1/proposals/{id}/reviews", Review("COMMENT", "looks fine to me"))).Status);
        Assert.Equal(["1"], (await As("root", HttpMethod.Get, "/subjects/orders-value/versions")).Json.EnumerateArray().Select(v => v.ToString()));

        var approved = await As("carol", HttpMethod.Post, $"/v1/proposals/{id}/reviews", Review("APPROVE", "ship it"));
        Assert.Equal(200, approved.Status);
        Assert.Equal("APPLIED", approved.Json.GetProperty("state").GetString());
        Assert.Equal(2, approved.Json.GetProperty("appliedVersion").GetInt32());
        Assert.Equal(["carol"], approved.Json.GetProperty("approvedBy").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(2, approved.Json.GetProperty("comments").GetArrayLength());
        Assert.Equal(["1", "2"], (await As("root", HttpMethod.Get, "/subjects/orders-value/versions")).Json.EnumerateArray().Select(v => v.ToString()));
        var again = await As("carol", HttpMethod.Post, $"/v1/proposals/{id}/reviews", Review("APPROVE"));
        Assert.Equal((409, 40980), (again.Status, again.ErrorCode));
        Assert.Equal(["1", "2"], (await As("root", HttpMethod.Get, "/subjects/orders-value/versions")).Json.EnumerateArray().Select(v => v.ToString()));

        var audit = (await As("ann", HttpMethod.Get, "/v1/audit")).Json.EnumerateArray().ToList();
        var applied = Assert.Single(audit, e => e.GetProperty("action").GetString()!.Contains($"proposal {id} by alice: APPROVE, APPLIED"));
        Assert.Equal("carol", applied.GetProperty("principal").GetString());
        Assert.Equal("orders-value", applied.GetProperty("subject").GetString());
        Assert.Equal(2, applied.GetProperty("version").GetInt32());
        Assert.Contains(audit, e => e.GetProperty("principal").GetString() == "alice" && e.GetProperty("action").GetString()!.StartsWith("POST /v1/proposals (proposal", StringComparison.Ordinal));

        // Usage: a reader's fetch of the id is recorded under their name, and hidden from a viewer without grants.
        Assert.Equal(200, (await As("dave", HttpMethod.Get, "/schemas/ids/2")).Status);
        var fetches = (await As("dave", HttpMethod.Get, "/v1/usage/schemas/2")).Json.GetProperty("fetches").EnumerateArray();
        Assert.Contains(fetches, f => f.GetProperty("who").GetString() == "dave" && f.GetProperty("count").GetInt64() == 1);
        Assert.Equal(404, (await As("eve", HttpMethod.Get, "/v1/usage/schemas/2")).Status);
        Assert.Equal(404, (await As("eve", HttpMethod.Get, "/v1/usage/subjects/orders-value")).Status);
        Assert.Equal(403, (await As("eve", HttpMethod.Post, "/v1/usage/produce", """{"reports":[{"topic":"orders","id":2,"count":5}]}""")).Status);

        // Replay: a restarted node has the proposals, reviews and policies.
        await _server.DisposeAsync();
        _server = new RegistryServer { DataDirectory = _data, KeepData = true, ExtraArgs = Args };
        await _server.InitializeAsync();
        var replayed = await As("dave", HttpMethod.Get, $"/v1/proposals/{id}");
        Assert.Equal("APPLIED", replayed.Json.GetProperty("state").GetString());
        Assert.Equal("carol", Assert.Single(replayed.Json.GetProperty("reviews").EnumerateArray()).GetProperty("reviewer").GetString());
        Assert.Equal(2, replayed.Json.GetProperty("comments").GetArrayLength());
        Assert.Equal(403, (await As("alice", HttpMethod.Post, "/subjects/orders-value/versions", Body(V3))).Status);
    }

    [Fact]
    public async Task A_proposal_the_subject_moved_past_becomes_stale_and_registers_nothing()
    {
        Assert.Equal(200, (await As("root", HttpMethod.Post, "/subjects/orders-stale-value/versions", Body(Schemas.V2))).Status);
        Assert.Equal(200, (await As("root", HttpMethod.Put, "/v1/review-policies/orders-stale-value", """{"requiredApprovals":2}""")).Status);
        var opened = await As("alice", HttpMethod.Post, "/v1/proposals", Proposal("orders-stale-value", V3, "add extra"));
        var id = opened.Json.GetProperty("id").GetInt64();

        // A refused direct registration, then an admin's audited override that takes the field another way.
        Assert.Equal(403, (await As("root", HttpMethod.Post, "/subjects/orders-stale-value/versions", Body(V3Other))).Status);
        Assert.Equal(200, (await As("root", HttpMethod.Post, "/subjects/orders-stale-value/versions?reviewOverride=true", Body(V3Other))).Status);
        var audit = (await As("ann", HttpMethod.Get, "/v1/audit")).Json.EnumerateArray();
        Assert.Contains(audit, e => e.GetProperty("principal").GetString() == "root" && e.GetProperty("action").GetString()!.Contains("review policy overridden"));

        var view = await As("bob", HttpMethod.Get, $"/v1/proposals/{id}");
        Assert.False(view.Json.GetProperty("verdict").GetProperty("compatible").GetBoolean());
        var difference = view.Json.GetProperty("verdict").GetProperty("differences")[0];
        Assert.Equal("TYPE_MISMATCH", difference.GetProperty("type").GetString());
        Assert.Equal("/fields/2/type", difference.GetProperty("path").GetString());

        // Two approvals are needed: the first leaves it open, the second finds that it no longer passes.
        var first = await As("bob", HttpMethod.Post, $"/v1/proposals/{id}/reviews", Review("APPROVE"));
        Assert.Equal("OPEN", first.Json.GetProperty("state").GetString());
        var second = await As("carol", HttpMethod.Post, $"/v1/proposals/{id}/reviews", Review("APPROVE"));
        Assert.Equal("STALE", second.Json.GetProperty("state").GetString());
        Assert.Contains("incompatible", second.Json.GetProperty("stateReason").GetString());
        Assert.Equal(["1", "2"], (await As("root", HttpMethod.Get, "/subjects/orders-stale-value/versions")).Json.EnumerateArray().Select(v => v.ToString()));
        Assert.Single((await As("dave", HttpMethod.Get, "/v1/proposals?state=STALE")).Json.EnumerateArray());
    }

    [Fact]
    public async Task A_Confluent_serializer_with_auto_register_cannot_bypass_review_but_keeps_serializing_registered_schemas()
    {
        Assert.Equal(200, (await As("root", HttpMethod.Post, "/subjects/orders-auto-value/versions", Body(Schemas.V1))).Status);
        Assert.Equal(200, (await As("root", HttpMethod.Put, "/v1/review-policies/orders-auto-value", """{"requiredApprovals":1}""")).Status);
        using var client = new Confluent.SchemaRegistry.CachedSchemaRegistryClient(new Confluent.SchemaRegistry.SchemaRegistryConfig
        {
            Url = _server.Url,
            BasicAuthCredentialsSource = Confluent.SchemaRegistry.AuthCredentialsSource.UserInfo,
            BasicAuthUserInfo = "alice:alice-pw",
        });
        var serializer = new Confluent.SchemaRegistry.Serdes.AvroSerializer<Avro.Generic.GenericRecord>(client,
            new Confluent.SchemaRegistry.Serdes.AvroSerializerConfig { AutoRegisterSchemas = true });
        var context = new Confluent.Kafka.SerializationContext(Confluent.Kafka.MessageComponentType.Value, "orders-auto");

        var v1 = new Avro.Generic.GenericRecord((Avro.RecordSchema)Avro.Schema.Parse(Schemas.V1));
        v1.Add("name", "ann");
        Assert.NotEmpty(await serializer.SerializeAsync(v1, context));
        var v2 = new Avro.Generic.GenericRecord((Avro.RecordSchema)Avro.Schema.Parse(Schemas.V2));
        v2.Add("name", "ann");
        v2.Add("age", 3);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => serializer.SerializeAsync(v2, context));
        var error = refused as Confluent.SchemaRegistry.SchemaRegistryException ?? Assert.IsType<Confluent.SchemaRegistry.SchemaRegistryException>(refused.InnerException);
        Assert.Equal(40380, error.ErrorCode);
        Assert.Equal(["1"], (await As("root", HttpMethod.Get, "/subjects/orders-auto-value/versions")).Json.EnumerateArray().Select(v => v.ToString()));
    }

    [Fact]
    public async Task Proposals_are_refused_as_registrations_would_be_and_can_be_withdrawn_or_rejected_by_the_right_people()
    {
        Assert.Equal(200, (await As("root", HttpMethod.Post, "/subjects/orders-w-value/versions", Body(Schemas.V1))).Status);
        var breaking = await As("alice", HttpMethod.Post, "/v1/proposals", Proposal("orders-w-value", Schemas.Breaking, "oops"));
        Assert.Equal((409, 40901), (breaking.Status, breaking.ErrorCode));
        var same = await As("alice", HttpMethod.Post, "/v1/proposals", Proposal("orders-w-value", Schemas.V1, "nothing new"));
        Assert.Equal((422, 42280), (same.Status, same.ErrorCode));
        Assert.Equal(403, (await As("dave", HttpMethod.Post, "/v1/proposals", Proposal("orders-w-value", Schemas.V2, "reader"))).Status);

        var a = (await As("alice", HttpMethod.Post, "/v1/proposals", Proposal("orders-w-value", Schemas.V2, "one"))).Json.GetProperty("id").GetInt64();
        var b = (await As("alice", HttpMethod.Post, "/v1/proposals", Proposal("orders-w-value", Schemas.V2, "two"))).Json.GetProperty("id").GetInt64();
        Assert.Equal(403, (await As("bob", HttpMethod.Post, $"/v1/proposals/{a}/withdraw")).Status);
        Assert.Equal("WITHDRAWN", (await As("alice", HttpMethod.Post, $"/v1/proposals/{a}/withdraw")).Json.GetProperty("state").GetString());
        Assert.Equal(403, (await As("alice", HttpMethod.Post, $"/v1/proposals/{b}/reject", """{"reason":"mine"}""")).Status);
        var rejected = await As("bob", HttpMethod.Post, $"/v1/proposals/{b}/reject", """{"reason":"age must be a long"}""");
        Assert.Equal("REJECTED", rejected.Json.GetProperty("state").GetString());
        Assert.Equal("rejected by bob: age must be a long", rejected.Json.GetProperty("stateReason").GetString());
        Assert.Equal(["1"], (await As("root", HttpMethod.Get, "/subjects/orders-w-value/versions")).Json.EnumerateArray().Select(v => v.ToString()));
        var missing = await As("root", HttpMethod.Get, "/v1/proposals/999");
        Assert.Equal((404, 40480), (missing.Status, missing.ErrorCode));
        var bad = await As("root", HttpMethod.Put, "/v1/review-policies/orders-w-value", """{"requiredApprovals":0}""");
        Assert.Equal((422, 42281), (bad.Status, bad.ErrorCode));
    }
}
