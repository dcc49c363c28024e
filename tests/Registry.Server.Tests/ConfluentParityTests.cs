using Registry.Server.Tests.Infrastructure;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>
/// Edges where Confluent's own tests (core/src/test/.../rest/RestApiTest.java, RestApiModeTest.java) pin the answer
/// down, each on a server of its own so that global modes cannot leak into other tests.
/// </summary>
public sealed class ConfluentParityTests : IAsyncLifetime
{
    private readonly RegistryServer _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task An_incompatible_schema_is_40901_as_Confluent_8_and_409_behind_the_switch()
    {
        Assert.Equal(200, (await _server.PostAsync("/subjects/inc/versions", Body(Schemas.V1))).Status);
        var breaking = Body(Schemas.Record("User", Schemas.Field("name", "int")));
        var refused = await _server.PostAsync("/subjects/inc/versions", breaking);
        Assert.Equal(409, refused.Status);
        Assert.Equal(40901, refused.ErrorCode);

        await using var legacy = new RegistryServer { ExtraArgs = ["--Registry:IncompatibleErrorCode=409"] };
        await legacy.InitializeAsync();
        Assert.Equal(200, (await legacy.PostAsync("/subjects/inc/versions", Body(Schemas.V1))).Status);
        var old = await legacy.PostAsync("/subjects/inc/versions", breaking);
        Assert.Equal(409, old.Status);
        Assert.Equal(409, old.ErrorCode);
    }

    [Fact]
    public async Task Compatibility_against_a_version_of_a_missing_subject_is_40402()
    {
        var r = await _server.PostAsync("/compatibility/subjects/never-registered/versions/1", Body(Schemas.V1));
        Assert.Equal(404, r.Status);
        Assert.Equal(40402, r.ErrorCode);
    }

    // RestApiTest.testImportModeOverwrite... : an id held by another schema cannot be taken over in IMPORT.
    [Fact]
    public async Task In_import_mode_an_id_used_by_another_schema_is_42205_and_an_existing_schema_without_id_returns_its_id()
    {
        Assert.Equal(200, (await _server.PutAsync("/mode", """{"mode":"IMPORT"}""")).Status);
        var imported = await _server.PostAsync("/subjects/imp/versions", Body(Schemas.V1, "\"id\":42,\"version\":1"));
        Assert.Equal(42, imported.Json.GetProperty("id").GetInt32());

        var overwrite = await _server.PostAsync("/subjects/imp-other/versions", Body(Schemas.Record("Other", Schemas.Field("y", "int")), "\"id\":42"));
        Assert.Equal(42205, overwrite.ErrorCode);
        Assert.Equal("Overwrite new schema with id 42 in context . is not permitted.", overwrite.Json.GetProperty("message").GetString());

        // The same schema again, without an id: its id and version, not "not in read-write mode".
        var again = await _server.PostAsync("/subjects/imp/versions", Body(Schemas.V1));
        Assert.Equal(200, again.Status);
        Assert.Equal(42, again.Json.GetProperty("id").GetInt32());
        // A new schema without an id is still refused in IMPORT mode.
        Assert.Equal(42205, (await _server.PostAsync("/subjects/imp/versions", Body(Schemas.Record("New", Schemas.Field("z", "int"))))).ErrorCode);
    }

    [Fact]
    public async Task A_null_mode_clears_the_mode_and_FORWARD_is_allowed_only_globally()
    {
        Assert.Equal(200, (await _server.PutAsync("/mode/m-s", """{"mode":"READONLY"}""")).Status);
        Assert.Equal("READONLY", (await _server.GetAsync("/mode/m-s")).Json.GetProperty("mode").GetString());
        Assert.Equal(200, (await _server.PutAsync("/mode/m-s", """{"mode":null}""")).Status);
        Assert.Equal(40409, (await _server.GetAsync("/mode/m-s")).ErrorCode);

        Assert.Equal(42204, (await _server.PutAsync("/mode/m-s", """{"mode":"FORWARD"}""")).ErrorCode);
        Assert.Equal(42204, (await _server.PutAsync("/mode/:.ctx:", """{"mode":"FORWARD"}""")).ErrorCode);
        Assert.Equal(200, (await _server.PutAsync("/mode/:.__GLOBAL:", """{"mode":"FORWARD"}""")).Status);
        Assert.Equal(200, (await _server.PutAsync("/mode", """{"mode":"FORWARD"}""")).Status);
        Assert.Equal("FORWARD", (await _server.GetAsync("/mode")).Json.GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Deleting_a_mode_recursively_clears_the_modes_below_it()
    {
        Assert.Equal(200, (await _server.PutAsync("/mode/:.ctx1:", """{"mode":"READONLY"}""")).Status);
        Assert.Equal(200, (await _server.PutAsync("/mode/:.ctx1:a", """{"mode":"READONLY"}""")).Status);
        Assert.Equal(200, (await _server.PutAsync("/mode/:.ctx2:b", """{"mode":"READONLY"}""")).Status);
        Assert.Equal(200, (await _server.PutAsync("/mode/c", """{"mode":"READONLY"}""")).Status);

        // Within a context: the context's mode and its subjects' modes, nothing elsewhere.
        Assert.Equal("READONLY", (await _server.DeleteAsync("/mode/:.ctx1:?recursive=true")).Json.GetProperty("mode").GetString());
        Assert.Equal(40409, (await _server.GetAsync("/mode/:.ctx1:")).ErrorCode);
        Assert.Equal(40409, (await _server.GetAsync("/mode/:.ctx1:a")).ErrorCode);
        Assert.Equal("READONLY", (await _server.GetAsync("/mode/:.ctx2:b")).Json.GetProperty("mode").GetString());

        // Globally: every mode.
        Assert.Equal(200, (await _server.PutAsync("/mode", """{"mode":"READONLY"}""")).Status);
        Assert.Equal(200, (await _server.DeleteAsync("/mode?recursive=true")).Status);
        Assert.Equal(40409, (await _server.GetAsync("/mode/:.ctx2:b")).ErrorCode);
        Assert.Equal(40409, (await _server.GetAsync("/mode/c")).ErrorCode);
        Assert.Equal("READWRITE", (await _server.GetAsync("/mode")).Json.GetProperty("mode").GetString());
    }

    [Fact]
    public async Task A_read_only_subject_refuses_changes_to_its_config()
    {
        Assert.Equal(200, (await _server.PutAsync("/config/ro-s", """{"compatibility":"FULL"}""")).Status);
        foreach (var mode in new[] { "READONLY", "READONLY_OVERRIDE" })
        {
            Assert.Equal(200, (await _server.PutAsync("/mode/ro-s", $$"""{"mode":"{{mode}}"}""")).Status);
            Assert.Equal(42205, (await _server.PutAsync("/config/ro-s", """{"compatibility":"NONE"}""")).ErrorCode);
            Assert.Equal(42205, (await _server.DeleteAsync("/config/ro-s")).ErrorCode);
            Assert.Equal("FULL", (await _server.GetAsync("/config/ro-s")).Json.GetProperty("compatibilityLevel").GetString());
        }
        Assert.Equal(200, (await _server.DeleteAsync("/mode/ro-s")).Status);
        Assert.Equal(200, (await _server.PutAsync("/config/ro-s", """{"compatibility":"NONE"}""")).Status);
    }

    [Fact]
    public async Task Switching_to_import_permanently_deletes_what_soft_deletes_left_behind()
    {
        Assert.Equal(200, (await _server.PostAsync("/subjects/left/versions", Body(Schemas.V1))).Status);
        Assert.Equal(200, (await _server.DeleteAsync("/subjects/left")).Status);
        Assert.Contains("left", (await _server.GetAsync("/subjects?deleted=true")).Body);
        Assert.Equal(200, (await _server.PutAsync("/mode", """{"mode":"IMPORT"}""")).Status);
        Assert.DoesNotContain("left", (await _server.GetAsync("/subjects?deleted=true")).Body);
        // The version number is free for the import.
        var imported = await _server.PostAsync("/subjects/left/versions", Body(Schemas.Record("Other", Schemas.Field("o", "int")), "\"id\":77,\"version\":1"));
        Assert.Equal(200, imported.Status);
    }

    [Fact]
    public async Task A_permanently_deleted_schema_frees_its_id_and_its_content_for_an_import()
    {
        var first = await _server.PostAsync("/subjects/freed/versions", Body(Schemas.V1));
        var id = first.Json.GetProperty("id").GetInt32();
        Assert.Equal(200, (await _server.DeleteAsync("/subjects/freed")).Status);
        Assert.Equal(200, (await _server.DeleteAsync("/subjects/freed?permanent=true")).Status);

        Assert.Equal(200, (await _server.PutAsync("/mode", """{"mode":"IMPORT"}""")).Status);
        // The freed id, given to another schema,
        var other = Schemas.Record("Reused", Schemas.Field("r", "long"));
        Assert.Equal(id, (await _server.PostAsync("/subjects/reuse/versions", Body(other, $"\"id\":{id},\"version\":1"))).Json.GetProperty("id").GetInt32());
        Assert.Equal(200, (await _server.GetAsync($"/schemas/ids/{id}")).Status);
        Assert.Contains("Reused", (await _server.GetAsync($"/schemas/ids/{id}")).Json.GetProperty("schema").GetString());
        // and the freed content, given a new id.
        var again = await _server.PostAsync("/subjects/content/versions", Body(Schemas.V1, "\"id\":900,\"version\":1"));
        Assert.True(again.Status == 200, again.ToString());
        Assert.Equal(900, again.Json.GetProperty("id").GetInt32());
        // An id in use (here by a soft-deleted version too) is never given away.
        Assert.Equal(200, (await _server.DeleteAsync("/subjects/content")).Status);
        Assert.Equal(42205, (await _server.PostAsync("/subjects/thief/versions", Body(Schemas.Record("Thief", Schemas.Field("t", "int")), "\"id\":900"))).ErrorCode);
    }

    private const string Address = """{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"street","type":"string"}]}""";

    private static string Referrer(string name, string subject) =>
        Body($$"""{"type":"record","name":"{{name}}","namespace":"acme","fields":[{"name":"a","type":"acme.Address"}]}""",
            "\"references\":[{\"name\":\"acme.Address\",\"subject\":\"" + subject + "\",\"version\":1}]");

    [Fact]
    public async Task A_subject_whose_versions_reference_each_other_can_be_soft_and_then_permanently_deleted()
    {
        Assert.Equal(200, (await _server.PutAsync("/config/self", """{"compatibility":"NONE"}""")).Status);
        Assert.Equal(200, (await _server.PostAsync("/subjects/self/versions", Body(Address))).Status);
        Assert.Equal(200, (await _server.PostAsync("/subjects/self/versions", Referrer("Holder", "self"))).Status);
        Assert.Equal("[1,2]", (await _server.DeleteAsync("/subjects/self")).Body);
        Assert.Equal("[1,2]", (await _server.DeleteAsync("/subjects/self?permanent=true")).Body);
    }

    [Fact]
    public async Task A_soft_deleted_referrer_does_not_block_the_permanent_delete_of_what_it_references()
    {
        Assert.Equal(200, (await _server.PostAsync("/subjects/referenced/versions", Body(Address))).Status);
        Assert.Equal(200, (await _server.PostAsync("/subjects/referrer/versions", Referrer("Person", "referenced"))).Status);
        Assert.Equal(42206, (await _server.DeleteAsync("/subjects/referenced")).ErrorCode);
        Assert.Equal(200, (await _server.DeleteAsync("/subjects/referrer")).Status);
        Assert.Equal(200, (await _server.DeleteAsync("/subjects/referenced")).Status);
        Assert.Equal(200, (await _server.DeleteAsync("/subjects/referenced?permanent=true")).Status);
    }

    [Fact]
    public async Task Registering_the_content_of_a_soft_deleted_version_again_removes_that_version_for_good()
    {
        Assert.Equal(200, (await _server.PutAsync("/config/redo", """{"compatibility":"NONE"}""")).Status);
        var first = await _server.PostAsync("/subjects/redo/versions", Body(Schemas.V1));
        Assert.Equal(200, (await _server.PostAsync("/subjects/redo/versions", Body(Schemas.V2))).Status);
        Assert.Equal("1", (await _server.DeleteAsync("/subjects/redo/versions/1")).Body);
        var again = await _server.PostAsync("/subjects/redo/versions", Body(Schemas.V1));
        Assert.Equal(first.Json.GetProperty("id").GetInt32(), again.Json.GetProperty("id").GetInt32());
        Assert.Equal(3, again.Json.GetProperty("version").GetInt32());
        Assert.Equal("[2,3]", (await _server.GetAsync("/subjects/redo/versions?deleted=true")).Body);
    }

    [Fact]
    public async Task Looking_up_an_empty_schema_finds_nothing()
    {
        Assert.Equal(200, (await _server.PostAsync("/subjects/empty-lookup/versions", Body(Schemas.V1))).Status);
        Assert.Equal(40403, (await _server.PostAsync("/subjects/empty-lookup", """{"schema":""}""")).ErrorCode);
    }

    [Fact]
    public async Task Rule_sets_are_answered_without_computed_members_and_a_wrong_method_gets_a_json_error()
    {
        const string rules = "\"ruleSet\":{\"domainRules\":[{\"name\":\"r\",\"kind\":\"CONDITION\",\"mode\":\"WRITE\",\"type\":\"CEL\",\"expr\":\"true\"}]}";
        var registered = await _server.PostAsync("/subjects/rules-s/versions", Body(Schemas.V1, rules));
        Assert.True(registered.Status == 200, registered.ToString());
        var version = await _server.GetAsync("/subjects/rules-s/versions/1");
        Assert.DoesNotContain("allRules", version.Body);
        Assert.Contains("domainRules", version.Body);

        var wrong = await _server.SendAsync(HttpMethod.Patch, "/subjects");
        Assert.Equal(405, wrong.Status);
        Assert.Equal(405, wrong.ErrorCode);
    }

    [Fact]
    public async Task A_subject_in_a_context_falls_back_to_its_context_then_the_global_context_never_to_the_default_contexts_config()
    {
        var breaking = Body(Schemas.Record("User", Schemas.Field("name", "int")));
        Assert.Equal(200, (await _server.PostAsync("/subjects/:.fb:s/versions", Body(Schemas.V1))).Status);
        Assert.Equal(200, (await _server.PostAsync("/subjects/plain/versions", Body(Schemas.V1))).Status);

        // The top-level config is the default context's: it does not reach :.fb:.
        Assert.Equal(200, (await _server.PutAsync("/config", """{"compatibility":"NONE"}""")).Status);
        Assert.Equal(40901, (await _server.PostAsync("/subjects/:.fb:s/versions", breaking)).ErrorCode);
        Assert.Equal("BACKWARD", (await _server.GetAsync("/config/:.fb:s?defaultToGlobal=true")).Json.GetProperty("compatibilityLevel").GetString());

        // :.__GLOBAL: does, for every context without a config of its own.
        Assert.Equal(200, (await _server.PutAsync("/config/:.__GLOBAL:", """{"compatibility":"FORWARD"}""")).Status);
        Assert.Equal("FORWARD", (await _server.GetAsync("/config/:.fb:s?defaultToGlobal=true")).Json.GetProperty("compatibilityLevel").GetString());
        Assert.Equal("NONE", (await _server.GetAsync("/config/plain?defaultToGlobal=true")).Json.GetProperty("compatibilityLevel").GetString());
        Assert.Equal(200, (await _server.PutAsync("/config/:.fb:", """{"compatibility":"NONE"}""")).Status);
        Assert.Equal(200, (await _server.PostAsync("/subjects/:.fb:s/versions", breaking)).Status);

        // Without a top-level config, the top level shows :.__GLOBAL:'s.
        Assert.Equal(200, (await _server.DeleteAsync("/config")).Status);
        Assert.Equal("FORWARD", (await _server.GetAsync("/config")).Json.GetProperty("compatibilityLevel").GetString());
    }

    [Fact]
    public async Task The_global_context_holds_config_and_mode_only()
    {
        Assert.Equal(42208, (await _server.PostAsync("/subjects/:.__GLOBAL:s/versions", Body(Schemas.V1))).ErrorCode);
        Assert.Equal(42208, (await _server.GetAsync("/subjects/:.__GLOBAL:s/versions")).ErrorCode);
        Assert.Equal(42208, (await _server.PutAsync("/config/:.__GLOBAL:s", """{"compatibility":"NONE"}""")).ErrorCode);
        Assert.Equal(200, (await _server.PutAsync("/config/:.__GLOBAL:", """{"compatibility":"NONE"}""")).Status);
        Assert.Equal(200, (await _server.PutAsync("/mode/:.__GLOBAL:", """{"mode":"READWRITE"}""")).Status);
    }

    // RestApiTest.testConfluentVersion: -1 and 0 mean the next version; any other must be the next one.
    [Fact]
    public async Task A_version_in_the_register_body_must_be_the_next_one_and_minus_one_means_next()
    {
        Assert.Equal(200, (await _server.PutAsync("/config/ver", """{"compatibility":"NONE"}""")).Status);
        Assert.Equal(1, (await _server.PostAsync("/subjects/ver/versions", Body(Schemas.V1, "\"version\":-1"))).Json.GetProperty("version").GetInt32());
        Assert.Equal(42201, (await _server.PostAsync("/subjects/ver/versions", Body(Schemas.V2, "\"version\":5"))).ErrorCode);
        Assert.Equal(2, (await _server.PostAsync("/subjects/ver/versions", Body(Schemas.V2, "\"version\":2"))).Json.GetProperty("version").GetInt32());
        Assert.Equal(3, (await _server.PostAsync("/subjects/ver/versions", Body(Schemas.Record("Third", Schemas.Field("t", "int")), "\"version\":0"))).Json.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task An_empty_subject_prefix_lists_the_default_context_only()
    {
        Assert.Equal(200, (await _server.PostAsync("/subjects/in-default/versions", Body(Schemas.V1))).Status);
        Assert.Equal(200, (await _server.PostAsync("/subjects/:.other:in-other/versions", Body(Schemas.V1))).Status);
        Assert.Equal("[\"in-default\"]", (await _server.GetAsync("/subjects?subjectPrefix=")).Body);
        Assert.Equal("[\":.other:in-other\",\"in-default\"]", (await _server.GetAsync("/subjects")).Body);
        Assert.Equal("[\":.other:in-other\",\"in-default\"]", (await _server.GetAsync("/subjects?subjectPrefix=:*:")).Body);
    }

    [Fact]
    public async Task A_subject_config_without_a_level_reports_the_level_in_force()
    {
        Assert.Equal(200, (await _server.PutAsync("/config", """{"compatibility":"FULL"}""")).Status);
        Assert.Equal(200, (await _server.PutAsync("/config/nolevel", """{"normalize":true}""")).Status);
        var own = await _server.GetAsync("/config/nolevel");
        Assert.Equal("FULL", own.Json.GetProperty("compatibilityLevel").GetString());
        Assert.True(own.Json.GetProperty("normalize").GetBoolean());
    }

    [Fact]
    public async Task A_wildcard_context_prefix_matches_the_name_in_every_context_and_rule_types_filter_schemas()
    {
        Assert.Equal(200, (await _server.PostAsync("/subjects/orders-a/versions", Body(Schemas.V1))).Status);
        Assert.Equal(200, (await _server.PostAsync("/subjects/:.x:orders-b/versions", Body(Schemas.V1))).Status);
        Assert.Equal(200, (await _server.PostAsync("/subjects/:.x:payments/versions", Body(Schemas.V2))).Status);
        Assert.Equal("[\":.x:orders-b\",\"orders-a\"]", (await _server.GetAsync("/subjects?subjectPrefix=:*:orders")).Body);

        const string rules = "\"ruleSet\":{\"domainRules\":[{\"name\":\"r\",\"kind\":\"CONDITION\",\"mode\":\"WRITE\",\"type\":\"CEL\",\"expr\":\"true\"}]}";
        Assert.Equal(200, (await _server.PostAsync("/subjects/ruled/versions", Body(Schemas.Record("Ruled", Schemas.Field("r", "int")), rules))).Status);
        var cel = (await _server.GetAsync("/schemas?ruleType=CEL")).Json;
        Assert.Equal(["ruled"], cel.EnumerateArray().Select(e => e.GetProperty("subject").GetString()));
        Assert.Equal(0, (await _server.GetAsync("/schemas?ruleType=ENCRYPT")).Json.GetArrayLength());
    }

    [Fact]
    public async Task Without_a_top_level_mode_the_top_level_shows_the_global_contexts()
    {
        Assert.Equal(200, (await _server.PutAsync("/mode/:.__GLOBAL:", """{"mode":"READONLY"}""")).Status);
        Assert.Equal("READONLY", (await _server.GetAsync("/mode")).Json.GetProperty("mode").GetString());
        Assert.Equal("READONLY", (await _server.GetAsync("/mode/any-s?defaultToGlobal=true")).Json.GetProperty("mode").GetString());
        Assert.Equal(42205, (await _server.PostAsync("/subjects/any-s/versions", Body(Schemas.V1))).ErrorCode);
        Assert.Equal(200, (await _server.PutAsync("/mode", """{"mode":"READWRITE"}""")).Status);
        Assert.Equal(200, (await _server.PostAsync("/subjects/any-s/versions", Body(Schemas.V1))).Status);
    }

    [Fact]
    public async Task TestConfluentVersion_versions_and_confluent_version_metadata_as_Confluent_numbers_them()
    {
        const string subject = "test";
        const string schema = """{"id":"urn:jsonschema:com:MySchema","properties":{"myEnum":{"enum":["YES_VALUE","NO_VALUE"],"type":"string"}},"type":"object"}""";
        static string Request(int? version = null, string? confluentVersion = null, string? properties = null) =>
            "{\"schemaType\":\"JSON\",\"schema\":" + System.Text.Json.JsonSerializer.Serialize(schema)
            + (version is null ? "" : $",\"version\":{version}")
            + (confluentVersion is null ? "" : $",\"metadata\":{{\"properties\":{{\"confluent:version\":\"{confluentVersion}\"}}}}")
            + (properties is null ? "" : $",\"metadata\":{{\"properties\":{properties}}}")
            + "}";
        async Task Register(string body, int expectedId)
        {
            var reply = await _server.PostAsync($"/subjects/{subject}/versions", body);
            Assert.True(reply.Status == 200, reply.ToString());
            Assert.Equal(expectedId, reply.Json.GetProperty("id").GetInt32());
        }
        async Task<(int Version, string? ConfluentVersion)> Latest()
        {
            var json = (await _server.GetAsync($"/subjects/{subject}/versions/latest")).Json;
            return (json.GetProperty("version").GetInt32(), Cv(json));
        }
        async Task<(int Version, string? ConfluentVersion)> Lookup(string body)
        {
            var reply = await _server.PostAsync($"/subjects/{subject}", body);
            Assert.True(reply.Status == 200, reply.ToString());
            return (reply.Json.GetProperty("version").GetInt32(), Cv(reply.Json));
        }
        static string? Cv(System.Text.Json.JsonElement json) =>
            json.TryGetProperty("metadata", out var m) && m.TryGetProperty("properties", out var p) && p.TryGetProperty("confluent:version", out var v) ? v.GetString() : null;

        await Register(Request(), 1);
        Assert.Equal((1, null), await Latest());
        await Register(Request(version: -1), 1);
        await Register(Request(version: 2), 2);
        await Register(Request(version: -1), 2);
        Assert.Equal((2, "2"), await Latest());
        Assert.Equal((1, null), await Lookup(Request()));
        Assert.Equal((1, null), await Lookup(Request(confluentVersion: "1")));
        Assert.Equal((2, "2"), await Lookup(Request(confluentVersion: "2")));
        Assert.Equal(200, (await _server.DeleteAsync($"/subjects/{subject}/versions/1")).Status);
        Assert.Equal((2, "2"), await Lookup(Request()));
        await Register(Request(), 2);
        Assert.Equal((2, "2"), await Latest());
        await Register(Request(version: 3), 3);
        await Register(Request(version: -1), 3);
        await Register(Request(version: -1), 3);
        Assert.Equal((3, "3"), await Latest());
        // A version that is not the next one is refused, even for a schema the subject holds.
        Assert.Equal(42201, (await _server.PostAsync($"/subjects/{subject}/versions", Request(version: 3))).ErrorCode);
        await Register(Request(version: 4), 4);
        Assert.Equal((4, "4"), await Lookup(Request()));
        // confluent:version -1 and 0 mean "the next version"; an existing one finds its version.
        await Register(Request(confluentVersion: "-1"), 5);
        Assert.Equal((5, "5"), await Latest());
        await Register(Request(confluentVersion: "2"), 2);
        await Register(Request(confluentVersion: "3"), 3);
        await Register(Request(confluentVersion: "0"), 6);
        Assert.Equal((6, "6"), await Latest());
        await Register(Request(properties: "{}"), 6);
        // New metadata replaces the inherited one, and with it confluent:version.
        await Register(Request(properties: """{"mykey":"myvalue"}"""), 7);
        Assert.Equal((7, null), await Latest());
        await Register(Request(version: -1), 8);
        Assert.Equal((8, "8"), await Latest());
        Assert.Equal((7, null), await Lookup(Request(properties: """{"mykey":"myvalue"}""")));
        Assert.Equal(200, (await _server.DeleteAsync($"/subjects/{subject}/versions/7")).Status);
        Assert.Equal((8, "8"), await Lookup(Request(properties: """{"mykey":"myvalue"}""")));
    }

    [Fact]
    public async Task A_schema_by_id_carries_ts_and_deleted_and_the_deployment_is_opensource()
    {
        var id = (await _server.PostAsync("/subjects/ts-s/versions", Body(Schemas.V1))).Json.GetProperty("id").GetInt32();
        var ts = (await _server.GetAsync("/subjects/ts-s/versions/1")).Json.GetProperty("ts").GetInt64();
        var byId = (await _server.GetAsync($"/schemas/ids/{id}")).Json;
        Assert.Equal(ts, byId.GetProperty("ts").GetInt64());
        Assert.False(byId.GetProperty("deleted").GetBoolean());
        Assert.Equal(200, (await _server.DeleteAsync("/subjects/ts-s/versions/1")).Status);
        Assert.True((await _server.GetAsync($"/schemas/ids/{id}")).Json.GetProperty("deleted").GetBoolean());
        Assert.Equal("""{"attributes":["opensource"]}""", (await _server.GetAsync("/v1/metadata/deployment")).Body);
    }

    [Fact]
    public async Task A_config_member_sent_as_null_is_cleared_alone_and_a_put_answers_the_resulting_config()
    {
        Assert.Equal(200, (await _server.PutAsync("/config/grp", """{"compatibility":"FULL","compatibilityGroup":"app.major","normalize":true}""")).Status);
        var cleared = await _server.PutAsync("/config/grp", """{"compatibilityGroup":null}""");
        Assert.Equal(200, cleared.Status);
        Assert.False(cleared.Json.TryGetProperty("compatibilityGroup", out _));
        Assert.Equal("FULL", cleared.Json.GetProperty("compatibility").GetString());
        var stored = (await _server.GetAsync("/config/grp")).Json;
        Assert.False(stored.TryGetProperty("compatibilityGroup", out _));
        Assert.Equal("FULL", stored.GetProperty("compatibilityLevel").GetString());
        Assert.True(stored.GetProperty("normalize").GetBoolean());
        // An empty update changes nothing and answers the config as it stands.
        var empty = await _server.PutAsync("/config/grp", "{}");
        Assert.Equal("FULL", empty.Json.GetProperty("compatibility").GetString());
        Assert.True(empty.Json.GetProperty("normalize").GetBoolean());
    }

    [Fact]
    public async Task A_subject_alias_is_followed_by_the_subject_endpoints_but_not_by_its_config()
    {
        var id = (await _server.PostAsync("/subjects/real-value/versions", Body(Schemas.V1))).Json.GetProperty("id").GetInt32();
        Assert.Equal(200, (await _server.PutAsync("/config/nick", """{"alias":"real-value"}""")).Status);
        var byAlias = await _server.GetAsync("/subjects/nick/versions/1");
        Assert.Equal("real-value", byAlias.Json.GetProperty("subject").GetString());
        Assert.Equal(id, (await _server.PostAsync("/subjects/nick", Body(Schemas.V1))).Json.GetProperty("id").GetInt32());
        Assert.Equal(id, (await _server.PostAsync("/subjects/nick/versions", Body(Schemas.V1))).Json.GetProperty("id").GetInt32());
        Assert.Equal("[1]", (await _server.GetAsync("/subjects/real-value/versions")).Body);
        Assert.True((await _server.PostAsync("/compatibility/subjects/nick/versions/latest", Body(Schemas.V2))).Json.GetProperty("is_compatible").GetBoolean());
        Assert.Equal("real-value", (await _server.GetAsync($"/schemas/ids/{id}?subject=nick")).Json.GetProperty("subject").GetString());
        // The alias itself is still managed under its own name; in a context, an alias without one is in that context.
        Assert.Equal("real-value", (await _server.GetAsync("/config/nick")).Json.GetProperty("alias").GetString());
        await _server.PostAsync("/subjects/:.t9:real/versions", Body(Schemas.V1));
        Assert.Equal(200, (await _server.PutAsync("/config/:.t9:nick", """{"alias":"real"}""")).Status);
        Assert.Equal(":.t9:real", (await _server.GetAsync("/subjects/:.t9:nick/versions/latest")).Json.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task An_alias_set_among_other_configs_is_followed_and_once_cleared_is_not()
    {
        // Configs without an alias are seen first, so the alias check has already been answered "none" once.
        await _server.PostAsync("/subjects/target-value/versions", Body(Schemas.V1));
        Assert.Equal(200, (await _server.PutAsync("/config/target-value", """{"compatibility":"FULL"}""")).Status);
        Assert.Equal(40401, (await _server.GetAsync("/subjects/other-name/versions/1")).ErrorCode);
        Assert.Equal(200, (await _server.PutAsync("/config/other-name", """{"alias":"target-value"}""")).Status);
        Assert.Equal("target-value", (await _server.GetAsync("/subjects/other-name/versions/1")).Json.GetProperty("subject").GetString());
        Assert.Equal(200, (await _server.DeleteAsync("/config/other-name")).Status);
        Assert.Equal(40401, (await _server.GetAsync("/subjects/other-name/versions/1")).ErrorCode);
        Assert.Equal("target-value", (await _server.GetAsync("/subjects/target-value/versions/1")).Json.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task TestRegisterBadDefault_a_null_default_on_a_field_that_cannot_be_null_is_42201()
    {
        var schema = """{"type":"record","name":"myrecord","fields":[{"type":"string","default":null,"name":"f"}]}""";
        Assert.Equal(42201, (await _server.PostAsync("/compatibility/subjects/bad-default/versions/latest", Body(schema))).ErrorCode);
        Assert.Equal(42201, (await _server.PostAsync("/subjects/bad-default/versions", Body(schema))).ErrorCode);
        // A union that admits null may default to it.
        var nullable = """{"type":"record","name":"myrecord","fields":[{"type":["null","string"],"default":null,"name":"f"}]}""";
        Assert.Equal(200, (await _server.PostAsync("/subjects/bad-default/versions", Body(nullable))).Status);
    }

    [Fact]
    public async Task TestRegisterBadDefaultWithValidateNewSchemaConfig_a_default_of_the_wrong_type_is_refused_only_when_validating()
    {
        var schema = """{"type":"record","name":"myrecord","fields":[{"type":"int","default":"foo","name":"f"}]}""";
        Assert.Equal(200, (await _server.PutAsync("/config", """{"validateNewSchemas":false}""")).Status);
        var lenient = await _server.PostAsync("/compatibility/subjects/typed-default/versions/latest", Body(schema));
        Assert.True(lenient.Json.GetProperty("is_compatible").GetBoolean(), lenient.ToString());
        var set = await _server.PutAsync("/config", """{"validateNewSchemas":true}""");
        Assert.True(set.Json.GetProperty("validateNewSchemas").GetBoolean());
        Assert.Equal(42201, (await _server.PostAsync("/compatibility/subjects/typed-default/versions/latest", Body(schema))).ErrorCode);
        Assert.Equal(42201, (await _server.PostAsync("/subjects/typed-default/versions", Body(schema))).ErrorCode);
        // normalize turns the check on too (testRegisterBadDefaultWithNormalizeConfig).
        Assert.Equal(200, (await _server.PutAsync("/config", """{"validateNewSchemas":null,"normalize":true}""")).Status);
        Assert.Equal(42201, (await _server.PostAsync("/subjects/typed-default/versions", Body(schema))).ErrorCode);
        Assert.Equal(200, (await _server.PutAsync("/config", """{"normalize":false}""")).Status);
        Assert.Equal(200, (await _server.PostAsync("/subjects/typed-default/versions", Body(schema))).Status);
    }

    [Fact]
    public async Task With_validateFields_reserved_fields_stay_reserved_and_unused()
    {
        Assert.Equal(200, (await _server.PutAsync("/config/reserved", """{"compatibility":"NONE","validateFields":true}""")).Status);
        static string Reserved(string fields, string reserved) =>
            Body(Schemas.Record("R", fields), "\"metadata\":{\"properties\":{\"confluent:reserved\":\"" + reserved + "\"}}");
        var clash = await _server.PostAsync("/subjects/reserved/versions", Reserved(Schemas.Field("f2", "string"), "f2"));
        Assert.Equal(409, clash.Status);
        Assert.Contains("conflicts with the reserved field f2", clash.Body);
        Assert.Equal(200, (await _server.PostAsync("/subjects/reserved/versions", Reserved(Schemas.Field("f1", "string"), "f2, f3"))).Status);
        var dropped = await _server.PostAsync("/subjects/reserved/versions", Reserved(Schemas.Field("f1", "int"), "f3"));
        Assert.Equal(409, dropped.Status);
        Assert.Contains("reserved field f2 removed from its metadata", dropped.Body);
        Assert.Equal(200, (await _server.PostAsync("/subjects/reserved/versions", Reserved(Schemas.Field("f1", "int"), "f2,f3,f4"))).Status);
        // Without validateFields the metadata is only metadata.
        Assert.Equal(200, (await _server.PutAsync("/config/reserved", """{"validateFields":false}""")).Status);
        Assert.Equal(200, (await _server.PostAsync("/subjects/reserved/versions", Reserved(Schemas.Field("f2", "int"), "f2"))).Status);
    }

    [Theory]
    [InlineData("""{"type":"record","name":"R","namespace":"a-bad.namespace","fields":[]}""")]
    [InlineData("""{"type":"record","name":"R","namespace":"ok..empty","fields":[]}""")]
    [InlineData("""{"type":"record","name":"1R","fields":[]}""")]
    [InlineData("""{"type":"record","name":"x.bad-part.R","fields":[]}""")]
    public async Task Avro_names_and_namespaces_are_validated_as_Confluent_does(string schema)
    {
        var reply = await _server.PostAsync("/subjects/bad-names/versions", Body(schema));
        Assert.Equal(42201, reply.ErrorCode);
        Assert.Contains("Invalid", reply.Json.GetProperty("message").GetString());
        Assert.Equal(200, (await _server.PostAsync("/subjects/bad-names/versions", Body("""{"type":"record","name":"R","namespace":"good.name_space","fields":[]}"""))).Status);
    }

    [Fact]
    public async Task A_normalized_lookup_ignores_key_order_inside_custom_properties()
    {
        var registered = """{"type":"record","name":"R","fields":[{"name":"f","type":"string","x-meta":{"b":1,"a":{"d":2,"c":3}}}]}""";
        var reordered = """{"type":"record","name":"R","fields":[{"name":"f","type":"string","x-meta":{"a":{"c":3,"d":2},"b":1}}]}""";
        var id = (await _server.PostAsync("/subjects/props/versions?normalize=true", Body(registered))).Json.GetProperty("id").GetInt32();
        var found = await _server.PostAsync("/subjects/props?normalize=true", Body(reordered));
        Assert.True(found.Status == 200, found.ToString());
        Assert.Equal(id, found.Json.GetProperty("id").GetInt32());
        Assert.Equal(id, (await _server.PostAsync("/subjects/props/versions?normalize=true", Body(reordered))).Json.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task Import_stores_the_schema_as_Avro_prints_it_without_normalizing_it()
    {
        Assert.Equal(200, (await _server.PutAsync("/config", """{"normalize":true}""")).Status);
        Assert.Equal(200, (await _server.PutAsync("/mode", """{"mode":"IMPORT"}""")).Status);
        const string sent = """{"fields":[{"type":"string","name":"f"}],"name":"R","namespace":"n","type":"record"}""";
        Assert.Equal(7, (await _server.PostAsync("/subjects/as-sent/versions", Body(sent, "\"id\":7,\"version\":1"))).Json.GetProperty("id").GetInt32());
        // Avro's own printing (Confluent's canonical string), not the normalized form with full names.
        Assert.Equal("""{"type":"record","name":"R","namespace":"n","fields":[{"name":"f","type":"string"}]}""",
            (await _server.GetAsync("/schemas/ids/7")).Json.GetProperty("schema").GetString());
    }

    [Fact]
    public async Task A_schema_sent_with_its_references_resolved_inline_finds_the_version_that_references_them()
    {
        var address = """{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"street","type":"string"}]}""";
        await _server.PostAsync("/subjects/resolved-address/versions", Body(address));
        var order = """{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"to","type":"Address"}]}""";
        var id = (await _server.PostAsync("/subjects/resolved-order/versions",
            Body(order, "\"references\":[{\"name\":\"acme.Address\",\"subject\":\"resolved-address\",\"version\":1}]"))).Json.GetProperty("id").GetInt32();
        // What a serializer holding a generated class sends: one self-contained schema.
        var inline = """{"type":"record","name":"Order","namespace":"acme","fields":[{"name":"to","type":{"type":"record","name":"Address","fields":[{"name":"street","type":"string"}]}}]}""";
        var found = await _server.PostAsync("/subjects/resolved-order", Body(inline));
        Assert.True(found.Status == 200, found.ToString());
        Assert.Equal(1, found.Json.GetProperty("version").GetInt32());
        Assert.Equal(id, (await _server.PostAsync("/subjects/resolved-order/versions", Body(inline))).Json.GetProperty("id").GetInt32());
        Assert.Equal("[1]", (await _server.GetAsync("/subjects/resolved-order/versions")).Body);
        // Another inline definition is another schema.
        var other = inline.Replace("street", "road", StringComparison.Ordinal);
        Assert.Equal(40403, (await _server.PostAsync("/subjects/resolved-order", Body(other))).ErrorCode);
    }
}
