using Registry.Server.Tests.Infrastructure;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>Every endpoint and error code of the Confluent REST API, over HTTP.</summary>
[Collection(ServerCollection.Name)]
public sealed class RestApiTests(RegistryServer server)
{
    private async Task<int> RegisterAsync(string subject, string schema, string? extra = null)
    {
        var r = await server.PostAsync($"/subjects/{subject}/versions", Body(schema, extra));
        Assert.True(r.Status == 200, r.ToString());
        return r.Json.GetProperty("id").GetInt32();
    }

    [Fact]
    public async Task Root_types_contexts_and_cluster_metadata_answer()
    {
        Assert.Equal("{}", (await server.GetAsync("/")).Body);
        Assert.Equal("[\"AVRO\",\"JSON\",\"PROTOBUF\"]", (await server.GetAsync("/schemas/types")).Body);
        Assert.Contains("\".\"", (await server.GetAsync("/contexts")).Body);
        var id = await server.GetAsync("/v1/metadata/id");
        Assert.Equal("schema-registry", id.Json.GetProperty("scope").GetProperty("clusters").GetProperty("schema-registry-cluster").GetString());
    }

    [Fact]
    public async Task The_same_schema_under_two_subjects_shares_one_id_and_reregistering_appends_nothing()
    {
        var shared = Schemas.Record("OnlyHere", Schemas.Field("x", "long"));
        var a = await RegisterAsync("same-a", shared);
        var b = await RegisterAsync("same-b", shared);
        Assert.Equal(a, b);
        var before = await server.GetAsync("/subjects/same-a/versions");
        Assert.Equal(a, await RegisterAsync("same-a", shared));
        Assert.Equal(before.Body, (await server.GetAsync("/subjects/same-a/versions")).Body);
        Assert.Equal("[\"same-a\",\"same-b\"]", (await server.GetAsync($"/schemas/ids/{a}/subjects")).Body);
        Assert.Equal("[{\"subject\":\"same-a\",\"version\":1},{\"subject\":\"same-b\",\"version\":1}]", (await server.GetAsync($"/schemas/ids/{a}/versions")).Body);
    }

    [Fact]
    public async Task Versions_can_be_read_by_number_latest_and_minus_one()
    {
        await RegisterAsync("versions-s", Schemas.V1);
        var id2 = await RegisterAsync("versions-s", Schemas.V2);
        foreach (var v in new[] { "2", "latest", "-1" })
        {
            var r = await server.GetAsync($"/subjects/versions-s/versions/{v}");
            Assert.Equal(200, r.Status);
            Assert.Equal(id2, r.Json.GetProperty("id").GetInt32());
            Assert.Equal(2, r.Json.GetProperty("version").GetInt32());
            Assert.Equal("versions-s", r.Json.GetProperty("subject").GetString());
        }
        var raw = await server.GetAsync("/subjects/versions-s/versions/1/schema");
        Assert.Equal(Schemas.V1, raw.Body);
        Assert.Equal(Schemas.V2, (await server.GetAsync($"/schemas/ids/{id2}/schema")).Body);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("2147483648")]
    [InlineData("1e3")]
    [InlineData("abc")]
    public async Task Invalid_versions_are_42202(string version)
    {
        await RegisterAsync("badversion-s", Schemas.V1);
        var r = await server.GetAsync($"/subjects/badversion-s/versions/{version}");
        Assert.Equal(422, r.Status);
        Assert.Equal(42202, r.ErrorCode);
    }

    [Fact]
    public async Task Not_found_errors_carry_Confluent_codes()
    {
        Assert.Equal(40401, (await server.GetAsync("/subjects/nobody/versions")).ErrorCode);
        await RegisterAsync("nf-s", Schemas.V1);
        var v = await server.GetAsync("/subjects/nf-s/versions/9");
        Assert.Equal(40402, v.ErrorCode);
        Assert.Equal("Version 9 not found.", v.Json.GetProperty("message").GetString());
        Assert.Equal(40403, (await server.GetAsync("/schemas/ids/999999")).ErrorCode);
        Assert.Equal(40403, (await server.PostAsync("/subjects/nf-s", Body(Schemas.V2))).ErrorCode);
        Assert.Equal(40401, (await server.PostAsync("/subjects/nobody", Body(Schemas.V2))).ErrorCode);
        Assert.Equal(404, (await server.GetAsync("/no/such/route")).ErrorCode);
    }

    [Fact]
    public async Task Lookup_finds_the_version_and_honours_deleted()
    {
        var id = await RegisterAsync("lookup-s", Schemas.V1);
        var r = await server.PostAsync("/subjects/lookup-s", Body(Schemas.V1));
        Assert.Equal(id, r.Json.GetProperty("id").GetInt32());
        Assert.Equal(1, r.Json.GetProperty("version").GetInt32());
        await server.DeleteAsync("/subjects/lookup-s/versions/1");
        Assert.Equal(40401, (await server.PostAsync("/subjects/lookup-s", Body(Schemas.V1))).ErrorCode);
        var deleted = await server.PostAsync("/subjects/lookup-s?deleted=true", Body(Schemas.V1));
        Assert.Equal(200, deleted.Status);
        Assert.True(deleted.Json.GetProperty("deleted").GetBoolean());
    }

    [Fact]
    public async Task Soft_and_permanent_deletes_follow_Confluent_rules()
    {
        await RegisterAsync("del-s", Schemas.V1);
        await RegisterAsync("del-s", Schemas.V2);
        Assert.Equal(40407, (await server.DeleteAsync("/subjects/del-s/versions/1?permanent=true")).ErrorCode);
        Assert.Equal("1", (await server.DeleteAsync("/subjects/del-s/versions/1")).Body);
        Assert.Equal(40406, (await server.DeleteAsync("/subjects/del-s/versions/1")).ErrorCode);
        Assert.Equal("[2]", (await server.GetAsync("/subjects/del-s/versions")).Body);
        Assert.Equal("[1,2]", (await server.GetAsync("/subjects/del-s/versions?deleted=true")).Body);
        Assert.Equal("[1]", (await server.GetAsync("/subjects/del-s/versions?deletedOnly=true")).Body);
        Assert.Equal(40402, (await server.GetAsync("/subjects/del-s/versions/1")).ErrorCode);
        Assert.Equal(200, (await server.GetAsync("/subjects/del-s/versions/1?deleted=true")).Status);

        Assert.Equal(40405, (await server.DeleteAsync("/subjects/del-s?permanent=true")).ErrorCode);
        Assert.Equal("[2]", (await server.DeleteAsync("/subjects/del-s")).Body);
        Assert.Equal(40404, (await server.DeleteAsync("/subjects/del-s")).ErrorCode);
        Assert.Contains("del-s", (await server.GetAsync("/subjects?deleted=true")).Body);
        Assert.Contains("del-s", (await server.GetAsync("/subjects?deletedOnly=true")).Body);
        Assert.DoesNotContain("\"del-s\"", (await server.GetAsync("/subjects")).Body);
        Assert.Equal("[1,2]", (await server.DeleteAsync("/subjects/del-s?permanent=true")).Body);
        Assert.Equal(40401, (await server.GetAsync("/subjects/del-s/versions?deleted=true")).ErrorCode);
    }

    [Fact]
    public async Task A_soft_deleted_schema_registered_again_keeps_its_id()
    {
        var id = await RegisterAsync("again-s", Schemas.V1);
        await server.DeleteAsync("/subjects/again-s");
        await server.DeleteAsync("/subjects/again-s?permanent=true");
        Assert.Equal(id, await RegisterAsync("again-s", Schemas.V1));
    }

    [Fact]
    public async Task Referenced_versions_cannot_be_deleted_and_referencedby_lists_users()
    {
        const string address = """{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"street","type":"string"}]}""";
        const string person = """{"type":"record","name":"Person","namespace":"acme","fields":[{"name":"home","type":"acme.Address"}]}""";
        await RegisterAsync("ref-address", address);
        var personId = await RegisterAsync("ref-person", person, "\"references\":[{\"name\":\"acme.Address\",\"subject\":\"ref-address\",\"version\":1}]");
        Assert.Equal($"[{personId}]", (await server.GetAsync("/subjects/ref-address/versions/1/referencedby")).Body);
        var byId = await server.GetAsync($"/schemas/ids/{personId}");
        Assert.Equal("ref-address", byId.Json.GetProperty("references")[0].GetProperty("subject").GetString());
        Assert.Equal(42206, (await server.DeleteAsync("/subjects/ref-address/versions/1")).ErrorCode);
        Assert.Equal(42206, (await server.DeleteAsync("/subjects/ref-address")).ErrorCode);

        var missing = await server.PostAsync("/subjects/ref-bad/versions", Body(person, "\"references\":[{\"name\":\"acme.Address\",\"subject\":\"ref-nowhere\",\"version\":1}]"));
        Assert.Equal(42201, missing.ErrorCode);
    }

    [Fact]
    public async Task Compatibility_endpoints_answer_with_and_without_verbose()
    {
        await RegisterAsync("compat-s", Schemas.V1);
        Assert.Equal("{\"is_compatible\":true}", (await server.PostAsync("/compatibility/subjects/compat-s/versions/latest", Body(Schemas.V2))).Body);
        var bad = await server.PostAsync("/compatibility/subjects/compat-s/versions?verbose=true", Body(Schemas.Breaking));
        Assert.False(bad.Json.GetProperty("is_compatible").GetBoolean());
        Assert.Contains("TYPE_MISMATCH", bad.Json.GetProperty("messages")[0].GetString());
        Assert.Equal("{\"is_compatible\":true}", (await server.PostAsync("/compatibility/subjects/compat-empty/versions/latest", Body(Schemas.V1))).Body);
        Assert.Equal(40402, (await server.PostAsync("/compatibility/subjects/compat-s/versions/7", Body(Schemas.V2))).ErrorCode);
        Assert.Equal(42201, (await server.PostAsync("/compatibility/subjects/compat-s/versions/latest", Body("{nope"))).ErrorCode);
        var verboseInvalid = await server.PostAsync("/compatibility/subjects/compat-s/versions/latest?verbose=true", Body("{nope"));
        Assert.False(verboseInvalid.Json.GetProperty("is_compatible").GetBoolean());
        var incompatible = await server.PostAsync("/subjects/compat-s/versions", Body(Schemas.Breaking));
        Assert.Equal(409, incompatible.Status);
        Assert.Equal(40901, incompatible.ErrorCode);
        Assert.Contains("oldSchemaVersion: 1", incompatible.Body);
    }

    [Fact]
    public async Task Config_can_be_set_read_and_deleted_per_subject_and_globally()
    {
        Assert.Equal(40408, (await server.GetAsync("/config/cfg-s")).ErrorCode);
        Assert.Equal("BACKWARD", (await server.GetAsync("/config/cfg-s?defaultToGlobal=true")).Json.GetProperty("compatibilityLevel").GetString());
        var put = await server.PutAsync("/config/cfg-s", """{"compatibility":"full_transitive","compatibilityGroup":"major"}""");
        Assert.Equal("FULL_TRANSITIVE", put.Json.GetProperty("compatibility").GetString());
        var get = await server.GetAsync("/config/cfg-s");
        Assert.Equal("FULL_TRANSITIVE", get.Json.GetProperty("compatibilityLevel").GetString());
        Assert.Equal("major", get.Json.GetProperty("compatibilityGroup").GetString());
        Assert.Equal(42203, (await server.PutAsync("/config/cfg-s", """{"compatibility":"SIDEWAYS"}""")).ErrorCode);
        Assert.Equal("FULL_TRANSITIVE", (await server.DeleteAsync("/config/cfg-s")).Json.GetProperty("compatibilityLevel").GetString());
        Assert.Equal(40401, (await server.DeleteAsync("/config/cfg-s")).ErrorCode);
        Assert.Equal("BACKWARD", (await server.GetAsync("/config")).Json.GetProperty("compatibilityLevel").GetString());
    }

    [Fact]
    public async Task Mode_can_be_set_per_subject_and_IMPORT_accepts_ids()
    {
        Assert.Equal(40409, (await server.GetAsync("/mode/mode-s")).ErrorCode);
        Assert.Equal("READWRITE", (await server.GetAsync("/mode/mode-s?defaultToGlobal=true")).Json.GetProperty("mode").GetString());
        Assert.Equal(42204, (await server.PutAsync("/mode/mode-s", """{"mode":"SIDEWAYS"}""")).ErrorCode);
        Assert.Equal(42204, (await server.PutAsync("/mode/mode-s", """{"mode":"FORWARD"}""")).ErrorCode);

        Assert.Equal(42205, (await server.PostAsync("/subjects/mode-s/versions", Body(Schemas.V1, "\"id\":5000"))).ErrorCode);
        Assert.Equal("IMPORT", (await server.PutAsync("/mode/mode-s", """{"mode":"import"}""")).Json.GetProperty("mode").GetString());
        Assert.Equal(42205, (await server.PostAsync("/subjects/mode-s/versions", Body(Schemas.V1))).ErrorCode);
        var imported = await server.PostAsync("/subjects/mode-s/versions", Body(Schemas.Record("Imported", Schemas.Field("x", "int")), "\"id\":5000,\"version\":7"));
        Assert.Equal(5000, imported.Json.GetProperty("id").GetInt32());
        Assert.Equal(7, imported.Json.GetProperty("version").GetInt32());
        var clash = await server.PostAsync("/subjects/mode-s/versions", Body(Schemas.Record("Other", Schemas.Field("y", "int")), "\"id\":5000"));
        Assert.Equal(42205, clash.ErrorCode);
        Assert.Equal("Overwrite new schema with id 5000 in context . is not permitted.", clash.Json.GetProperty("message").GetString());

        Assert.Equal("READONLY", (await server.PutAsync("/mode/mode-s", """{"mode":"READONLY"}""")).Json.GetProperty("mode").GetString());
        Assert.Equal(42205, (await server.DeleteAsync("/subjects/mode-s")).ErrorCode);
        Assert.Equal("READONLY", (await server.DeleteAsync("/mode/mode-s")).Json.GetProperty("mode").GetString());
        Assert.Equal(42205, (await server.PutAsync("/mode/mode-s", """{"mode":"IMPORT"}""")).ErrorCode);
        Assert.Equal(200, (await server.PutAsync("/mode/mode-s?force=true", """{"mode":"IMPORT"}""")).Status);
        await server.DeleteAsync("/mode/mode-s");
    }

    [Fact]
    public async Task Contexts_qualify_subjects()
    {
        await RegisterAsync(":.team-a:orders", Schemas.V1);
        Assert.Contains(".team-a", (await server.GetAsync("/contexts")).Body);
        Assert.Contains(":.team-a:orders", (await server.GetAsync("/subjects")).Body);
        Assert.Equal(200, (await server.GetAsync("/subjects/:.team-a:orders/versions/1")).Status);
        Assert.Equal(200, (await server.GetAsync("/subjects/%3A.team-a%3Aorders/versions/latest")).Status);
    }

    [Fact]
    public async Task Schemas_listing_filters_by_prefix_and_pages()
    {
        await RegisterAsync("list-1", Schemas.V1);
        await RegisterAsync("list-2", Schemas.V1);
        await RegisterAsync("list-2", Schemas.V2);
        Assert.Equal(3, (await server.GetAsync("/schemas?subjectPrefix=list-")).Json.GetArrayLength());
        Assert.Equal(2, (await server.GetAsync("/schemas?subjectPrefix=list-&latestOnly=true")).Json.GetArrayLength());
        Assert.Equal(1, (await server.GetAsync("/schemas?subjectPrefix=list-&offset=1&limit=1")).Json.GetArrayLength());
        Assert.Equal(0, (await server.GetAsync("/schemas?subjectPrefix=list-&offset=2147483647")).Json.GetArrayLength());
    }

    [Fact]
    public async Task Metadata_endpoint_finds_the_latest_version_with_matching_properties()
    {
        await RegisterAsync("meta-s", Schemas.V1, "\"metadata\":{\"properties\":{\"owner\":\"team-a\"}}");
        await RegisterAsync("meta-s", Schemas.V2, "\"metadata\":{\"properties\":{\"owner\":\"team-b\"}}");
        var r = await server.GetAsync("/subjects/meta-s/metadata?key=owner&value=team-a");
        Assert.Equal(1, r.Json.GetProperty("version").GetInt32());
        Assert.Equal("team-a", r.Json.GetProperty("metadata").GetProperty("properties").GetProperty("owner").GetString());
        Assert.Equal(40403, (await server.GetAsync("/subjects/meta-s/metadata?key=owner&value=nobody")).ErrorCode);
    }

    [Fact]
    public async Task Content_types_are_negotiated_as_Confluent_does()
    {
        await RegisterAsync("ct-s", Schemas.V1);
        using var json = new HttpRequestMessage(HttpMethod.Get, "/subjects");
        json.Headers.Accept.ParseAdd("application/json");
        using var jsonReply = await server.Http.SendAsync(json);
        Assert.Equal("application/json", jsonReply.Content.Headers.ContentType?.MediaType);

        using var generic = new HttpRequestMessage(HttpMethod.Get, "/subjects");
        generic.Headers.Accept.Clear();
        generic.Headers.Accept.ParseAdd("application/vnd.schemaregistry+json");
        using var genericReply = await server.Http.SendAsync(generic);
        Assert.Equal("application/vnd.schemaregistry+json", genericReply.Content.Headers.ContentType?.MediaType);

        // Asked twice each, since a header's answer is remembered: the second answer must be the first one's.
        for (var i = 0; i < 2; i++)
        {
            using var xml = new HttpRequestMessage(HttpMethod.Get, "/subjects");
            xml.Headers.Accept.Clear();
            xml.Headers.Accept.ParseAdd("application/xml");
            using var refused = await server.Http.SendAsync(xml);
            Assert.Equal(406, (int)refused.StatusCode);
            Assert.Equal("application/vnd.schemaregistry.v1+json", refused.Content.Headers.ContentType?.MediaType);

            // What Confluent's Java client sends: v1 preferred.
            using var java = new HttpRequestMessage(HttpMethod.Get, "/subjects");
            java.Headers.Accept.Clear();
            java.Headers.TryAddWithoutValidation("Accept", "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5");
            using var javaReply = await server.Http.SendAsync(java);
            Assert.Equal("application/vnd.schemaregistry.v1+json", javaReply.Content.Headers.ContentType?.MediaType);

            using var plain = new HttpRequestMessage(HttpMethod.Get, "/subjects");
            plain.Headers.Accept.Clear();
            plain.Headers.Accept.ParseAdd("application/json");
            using var plainReply = await server.Http.SendAsync(plain);
            Assert.Equal("application/json", plainReply.Content.Headers.ContentType?.MediaType);
        }

        using var text = new HttpRequestMessage(HttpMethod.Post, "/subjects/ct-s/versions") { Content = new StringContent(Body(Schemas.V1), System.Text.Encoding.UTF8, "text/plain") };
        Assert.Equal(415, (int)(await server.Http.SendAsync(text)).StatusCode);

        using var plainJson = new HttpRequestMessage(HttpMethod.Post, "/subjects/ct-s/versions") { Content = new StringContent(Body(Schemas.V1), System.Text.Encoding.UTF8, "application/json") };
        Assert.Equal(200, (int)(await server.Http.SendAsync(plainJson)).StatusCode);

        // A bare type (no parameters), as Confluent's clients send it, any case; a bare type we do not read is still refused.
        foreach (var (type, status) in new[] { ("application/vnd.schemaregistry.v1+json", 200), ("Application/VND.SchemaRegistry+JSON", 200), ("application/xml", 415) })
        {
            using var bare = new HttpRequestMessage(HttpMethod.Post, "/subjects/ct-s/versions") { Content = new StringContent(Body(Schemas.V1)) };
            bare.Content.Headers.Remove("Content-Type");
            bare.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            Assert.True(status == (int)(await server.Http.SendAsync(bare)).StatusCode, type);
        }
    }

    [Fact]
    public async Task The_same_schema_registered_concurrently_by_50_clients_gets_one_id_and_one_version()
    {
        var schema = Schemas.Record("Concurrent", Schemas.Field("c", "string"));
        var replies = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => server.PostAsync("/subjects/concurrent-s/versions", Body(schema))));
        Assert.All(replies, r => Assert.True(r.Status == 200, r.ToString()));
        Assert.Single(replies.Select(r => r.Json.GetProperty("id").GetInt32()).Distinct());
        Assert.Equal("[1]", (await server.GetAsync("/subjects/concurrent-s/versions")).Body);

        var distinct = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            server.PostAsync($"/subjects/concurrent-d/versions", Body(Schemas.Record("Concurrent", Schemas.Field("c", "string"), Schemas.FieldWithDefault("x" + i, "int", "0"))))));
        Assert.All(distinct, r => Assert.True(r.Status == 200, r.ToString()));
        Assert.Equal(20, distinct.Select(r => r.Json.GetProperty("id").GetInt32()).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 20), distinct.Select(r => r.Json.GetProperty("version").GetInt32()).Order());
    }

    [Theory]
    [InlineData("AVRO")]
    [InlineData("JSON")]
    public async Task Every_read_answers_the_stored_schema_text_exactly(string type)
    {
        // Escapes in the text itself, non-ASCII, a character outside the BMP and U+2028, pretty-printed: reads write the
        // stored UTF-8 into the answer, which must decode to the very text stored (the raw /schema endpoints answer it).
        var doc = "caf\u00e9 \\\"quoted\\\" back\\\\slash \u65e5\u672c \ud83c\udf89 \u2028 end";
        var schema = type == "AVRO"
            ? "{\n\t\"type\": \"record\",\n\t\"name\": \"Exact\",\n\t\"doc\": \"" + doc + "\",\n\t\"fields\": [{\"name\": \"e\", \"type\": \"string\"}]\n}"
            : "{\n\t\"type\": \"object\",\n\t\"description\": \"" + doc + "\"\n}";
        var subject = "exact-text-" + type;
        var registered = await server.PostAsync($"/subjects/{subject}/versions", Body(schema, $"\"schemaType\":\"{type}\""));
        Assert.True(registered.Status == 200, registered.ToString());
        var id = registered.Json.GetProperty("id").GetInt32();
        var stored = (await server.GetAsync($"/schemas/ids/{id}/schema")).Body;
        Assert.Contains("\u65e5\u672c", stored, StringComparison.Ordinal);
        Assert.Equal(stored, (await server.GetAsync($"/subjects/{subject}/versions/1/schema")).Body);
        var reads = new[]
        {
            registered,
            await server.GetAsync($"/schemas/ids/{id}"),
            await server.GetAsync($"/subjects/{subject}/versions/latest"),
            await server.GetAsync($"/subjects/{subject}/versions/1"),
            await server.PostAsync($"/subjects/{subject}", Body(schema, $"\"schemaType\":\"{type}\"")),
            await server.GetAsync($"/schemas/guids/{registered.Json.GetProperty("guid").GetString()}"),
        };
        foreach (var read in reads)
        {
            Assert.True(read.Status == 200, read.ToString());
            Assert.Equal(stored, read.Json.GetProperty("schema").GetString());
            // Non-ASCII is written as it is, not as \u escapes (the API's relaxed JSON encoding).
            Assert.Contains("\u65e5\u672c", read.Body, StringComparison.Ordinal);
        }
        Assert.Equal(stored, (await server.GetAsync($"/schemas?subjectPrefix={subject}")).Json[0].GetProperty("schema").GetString());
    }

    [Fact]
    public async Task An_answer_larger_than_the_kept_serialization_buffer_is_whole_and_later_answers_are_too()
    {
        // A 200 KB doc makes an answer past the 64 KiB a thread keeps for serializing; the answers after it are unaffected.
        var big = Schemas.Record("Big", Schemas.Field("b", "string")).Replace("\"name\":\"Big\"", "\"name\":\"Big\",\"doc\":\"" + new string('x', 200_000) + "\"", StringComparison.Ordinal);
        var smallSchema = Schemas.Record("Small", Schemas.Field("s", "string"));
        var id = await RegisterAsync("big-answer", big);
        var small = await RegisterAsync("small-answer", smallSchema);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(big, (await server.GetAsync($"/schemas/ids/{id}")).Json.GetProperty("schema").GetString());
            Assert.Equal(smallSchema, (await server.GetAsync($"/schemas/ids/{small}")).Json.GetProperty("schema").GetString());
        }
    }

    [Fact]
    public async Task Schemas_can_be_fetched_by_their_Confluent_guid()
    {
        var registered = await server.PostAsync("/subjects/guid-s/versions", Body(Schemas.Record("ByGuid", Schemas.Field("g", "string"))));
        var guid = registered.Json.GetProperty("guid").GetString();
        var id = registered.Json.GetProperty("id").GetInt32();
        var byGuid = await server.GetAsync($"/schemas/guids/{guid}");
        Assert.Equal(200, byGuid.Status);
        Assert.Equal(guid, byGuid.Json.GetProperty("guid").GetString());
        Assert.Contains("ByGuid", byGuid.Json.GetProperty("schema").GetString());
        Assert.Equal($"[{{\"context\":\".\",\"id\":{id}}}]", (await server.GetAsync($"/schemas/guids/{guid}/ids")).Body);
        Assert.Equal(40403, (await server.GetAsync("/schemas/guids/00000000-0000-0000-0000-000000000000")).ErrorCode);
        Assert.Equal(40403, (await server.GetAsync("/schemas/guids/not-a-guid")).ErrorCode);
    }
}
