using Registry.Server.Tests.Infrastructure;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>
/// Ids numbered per context, as Confluent's <c>RestApiContextTest</c> pins them: each context counts from 1, and an
/// id means the schema of the context the request names. Each test has a registry of its own, since ids are asserted.
/// </summary>
public sealed class ContextIdTests
{
    // Versions of one record that differ by a defaulted field, so each is compatible with the one before.
    private static string Avro(string name) => Schemas.Record("R", Schemas.Field("f", "string"), Schemas.FieldWithDefault(name, "int", "0"));

    private static async Task<int> RegisterAsync(RegistryServer registry, string path, string schema, string? extra = null)
    {
        var reply = await registry.PostAsync(path, Body(schema, extra));
        Assert.True(reply.Status == 200, reply.ToString());
        return reply.Json.GetProperty("id").GetInt32();
    }

    [Fact]
    public async Task TestQualifiedSubjects_each_context_numbers_its_ids_from_one()
    {
        await using var registry = new RegistryServer();
        await registry.InitializeAsync();
        for (var i = 1; i <= 3; i++) Assert.Equal(i, await RegisterAsync(registry, "/subjects/:.ctx1:testTopic1/versions", Avro($"A{i}")));
        // Re-registering answers the existing id.
        Assert.Equal(2, await RegisterAsync(registry, "/subjects/:.ctx1:testTopic1/versions", Avro("A2")));
        Assert.Equal(1, await RegisterAsync(registry, "/subjects/:.ctx2:testTopic2/versions", Avro("B1")));
        Assert.Equal(2, await RegisterAsync(registry, "/subjects/:.ctx2:testTopic2/versions", Avro("B2")));
        Assert.Equal(1, await RegisterAsync(registry, "/subjects/:.ctx3:testTopic1/versions", Avro("C1")));
        Assert.Equal(1, await RegisterAsync(registry, "/subjects/testTopic1/versions", Avro("D1")));
        // The same schema in another context gets that context's next id, not the id it has elsewhere.
        Assert.Equal(3, await RegisterAsync(registry, "/subjects/:.ctx2:copy/versions", Avro("A3")));

        Assert.Equal("""[".",".ctx1",".ctx2",".ctx3"]""", (await registry.GetAsync("/contexts")).Body);
        // An id resolves in the default context unless the request names another one.
        Assert.Contains("D1", (await registry.GetAsync("/schemas/ids/1")).Json.GetProperty("schema").GetString());
        Assert.Contains("A1", (await registry.GetAsync("/schemas/ids/1?subject=:.ctx1:")).Json.GetProperty("schema").GetString());
        Assert.Contains("B1", (await registry.GetAsync("/schemas/ids/1?subject=:.ctx2:testTopic2")).Json.GetProperty("schema").GetString());
        Assert.Contains("B2", (await registry.GetAsync("/contexts/.ctx2/schemas/ids/2")).Json.GetProperty("schema").GetString());
        Assert.Equal(40403, (await registry.GetAsync("/schemas/ids/3")).ErrorCode);
        Assert.Equal(40403, (await registry.GetAsync("/contexts/.ctx3/schemas/ids/2")).ErrorCode);
        Assert.Equal(3, (await registry.GetAsync("/schemas/ids/1?subject=:.ctx1:&fetchMaxId=true")).Json.GetProperty("maxId").GetInt32());
        Assert.Equal("""[":.ctx1:testTopic1"]""", (await registry.GetAsync("/schemas/ids/3/subjects?subject=:.ctx1:")).Body);
        Assert.Equal("""[{"subject":":.ctx2:copy","version":1}]""", (await registry.GetAsync("/contexts/.ctx2/schemas/ids/3/versions")).Body);

        // Listings by prefix, as the Confluent test lists them.
        Assert.Equal("""[":.ctx1:testTopic1"]""", (await registry.GetAsync("/subjects?subjectPrefix=:.ctx1:")).Body);
        Assert.Equal("""["testTopic1"]""", (await registry.GetAsync("/subjects?subjectPrefix=")).Body);
        Assert.Equal(5, (await registry.GetAsync("/schemas?subjectPrefix=:*:testTopic1")).Json.GetArrayLength());
        // A name that exists only in another context is found there, by version and by lookup.
        var found = await registry.GetAsync("/subjects/testTopic2/versions/1");
        Assert.Equal(":.ctx2:testTopic2", found.Json.GetProperty("subject").GetString());
        var lookedUp = await registry.PostAsync("/subjects/testTopic2", Body(Avro("B2")));
        Assert.Equal(2, lookedUp.Json.GetProperty("version").GetInt32());
        Assert.Equal(":.ctx2:testTopic2", lookedUp.Json.GetProperty("subject").GetString());
        Assert.Equal(40401, (await registry.GetAsync("/subjects/nowhere/versions/1")).ErrorCode);
    }

    [Fact]
    public async Task TestContextPaths_an_id_asked_with_an_unqualified_subject_is_found_in_the_context_that_holds_it()
    {
        await using var registry = new RegistryServer();
        await registry.InitializeAsync();
        Assert.Equal(1, await RegisterAsync(registry, "/contexts/.ctx1/subjects/testTopic1/versions", Avro("A1")));
        Assert.Equal(1, await RegisterAsync(registry, "/contexts/.ctx2/subjects/testTopic2A/versions", Avro("B1")));
        Assert.Equal(1, await RegisterAsync(registry, "/contexts/.ctx2/subjects/testTopic2B/versions", Avro("B1")));
        // Nothing in the default context yet.
        Assert.Equal(40403, (await registry.GetAsync("/contexts/:.:/schemas/ids/1")).ErrorCode);
        Assert.Equal(1, await RegisterAsync(registry, "/contexts/:.:/subjects/testTopic3/versions", Avro("C1")));

        Assert.Contains("C1", (await registry.GetAsync("/schemas/ids/1?subject=testTopic3")).Json.GetProperty("schema").GetString());
        // testTopic2A holds no id 1 in the default context: the id is looked for under that name in the other contexts.
        var other = await registry.GetAsync("/schemas/ids/1?subject=testTopic2A");
        Assert.Contains("B1", other.Json.GetProperty("schema").GetString());
        Assert.Equal(":.ctx2:testTopic2A", other.Json.GetProperty("subject").GetString());
        // A subject name that holds no such id anywhere falls back to the default context's id.
        Assert.Contains("C1", (await registry.GetAsync("/schemas/ids/1?subject=unknown")).Json.GetProperty("schema").GetString());
        // A qualified name must hold the id.
        Assert.Equal(40403, (await registry.GetAsync("/schemas/ids/1?subject=:.ctx1:unknown")).ErrorCode);
        Assert.Equal("""["testTopic2A","testTopic2B"]""", (await registry.GetAsync("/contexts/.ctx2/subjects")).Body.Replace(":.ctx2:", ""));
    }

    [Fact]
    public async Task References_without_a_context_resolve_in_the_referrers_context()
    {
        await using var registry = new RegistryServer();
        await registry.InitializeAsync();
        var address = Schemas.Record("Address", Schemas.Field("street", "string"));
        await RegisterAsync(registry, "/subjects/:.t1:address/versions", address);
        var user = Schemas.Record("User", Schemas.Field("home", "Address"));
        const string reference = """ "references":[{"name":"Address","subject":"address","version":1}]""";
        // Inside .t1, "address" is :.t1:address; the default context has none.
        Assert.Equal(2, await RegisterAsync(registry, "/subjects/:.t1:user/versions", user, reference));
        Assert.Equal(42201, (await registry.PostAsync("/subjects/user/versions", Body(user, reference))).ErrorCode);
        // The reference holds :.t1:address v1 against deletes, and the referrer reads back through it.
        Assert.Equal("[2]", (await registry.GetAsync("/subjects/:.t1:address/versions/1/referencedby")).Body);
        Assert.Equal(42206, (await registry.DeleteAsync("/subjects/:.t1:address/versions/1")).ErrorCode);
        Assert.Equal("address", (await registry.GetAsync("/schemas/ids/2?subject=:.t1:")).Json.GetProperty("references")[0].GetProperty("subject").GetString());
    }
}
