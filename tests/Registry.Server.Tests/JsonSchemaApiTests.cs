using Registry.Server.Tests.Infrastructure;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>JSON Schema through the REST API: registration, compatibility, references, and refused remote $ref.</summary>
[Collection(ServerCollection.Name)]
public sealed class JsonSchemaApiTests(RegistryServer server)
{
    private static string Json(string schema, string? extra = null) => Body(schema, "\"schemaType\":\"JSON\"" + (extra is null ? "" : "," + extra));

    [Fact]
    public async Task A_json_schema_registers_and_breaking_changes_are_refused_with_the_difference()
    {
        const string v1 = """{"type":"object","properties":{"id":{"type":"string"}},"additionalProperties":false}""";
        const string v2 = """{"type":"object","properties":{"id":{"type":"string"},"note":{"type":"string"}},"additionalProperties":false}""";
        const string breaking = """{"type":"object","properties":{"id":{"type":"integer"}},"additionalProperties":false}""";
        var first = await server.PostAsync("/subjects/json-orders/versions", Json(v1));
        Assert.True(first.Status == 200, first.ToString());
        Assert.Equal("JSON", first.Json.GetProperty("schemaType").GetString());
        Assert.Equal(200, (await server.PostAsync("/subjects/json-orders/versions", Json(v2))).Status);
        var refused = await server.PostAsync("/subjects/json-orders/versions", Json(breaking));
        Assert.Equal(409, refused.Status);
        Assert.Contains("TYPE_CHANGED", refused.Body);
        Assert.Contains("#/properties/id", refused.Body);
        var byId = await server.GetAsync($"/schemas/ids/{first.Json.GetProperty("id").GetInt32()}");
        Assert.Equal("JSON", byId.Json.GetProperty("schemaType").GetString());
    }

    [Fact]
    public async Task Normalizing_sorts_keys_so_reordered_schemas_share_an_id()
    {
        var a = await server.PostAsync("/subjects/json-norm/versions?normalize=true", Json("""{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"number"}}}"""));
        var b = await server.PostAsync("/subjects/json-norm/versions?normalize=true", Json("""{"properties":{"a":{"type":"number"},"b":{"type":"string"}},"type":"object"}"""));
        Assert.Equal(a.Json.GetProperty("id").GetInt32(), b.Json.GetProperty("id").GetInt32());
        Assert.Equal("[1]", (await server.GetAsync("/subjects/json-norm/versions")).Body);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("file:///etc/passwd")]
    [InlineData("https://internal.example/schema.json#/definitions/x")]
    [InlineData("#/definitions/missing")]
    public async Task A_ref_outside_the_schema_and_its_references_is_42201(string reference)
    {
        var reply = await server.PostAsync("/subjects/json-remote/versions", Json("{\"type\":\"object\",\"properties\":{\"x\":{\"$ref\":\"" + reference + "\"}}}"));
        Assert.Equal(42201, reply.ErrorCode);
        Assert.Equal(40401, (await server.GetAsync("/subjects/json-remote/versions")).ErrorCode);
    }

    [Fact]
    public async Task References_to_other_subjects_and_recursive_refs_work()
    {
        const string address = """{"type":"object","properties":{"street":{"type":"string"}}}""";
        Assert.Equal(200, (await server.PostAsync("/subjects/json-address/versions", Json(address))).Status);
        const string person = """{"type":"object","properties":{"home":{"$ref":"address.json"},"friends":{"type":"array","items":{"$ref":"#"}}}}""";
        var reply = await server.PostAsync("/subjects/json-person/versions",
            Json(person, "\"references\":[{\"name\":\"address.json\",\"subject\":\"json-address\",\"version\":1}]"));
        Assert.True(reply.Status == 200, reply.ToString());
        var compatible = await server.PostAsync("/compatibility/subjects/json-person/versions/latest?verbose=true",
            Json(person, "\"references\":[{\"name\":\"address.json\",\"subject\":\"json-address\",\"version\":1}]"));
        Assert.True(compatible.Json.GetProperty("is_compatible").GetBoolean(), compatible.ToString());
    }

    [Fact]
    public async Task Invalid_json_schemas_are_42201()
    {
        Assert.Equal(42201, (await server.PostAsync("/subjects/json-bad/versions", Json("""{"type":"strnig"}"""))).ErrorCode);
        Assert.Equal(42201, (await server.PostAsync("/subjects/json-bad/versions", Json("""{"properties":[]}"""))).ErrorCode);
        Assert.Equal(42201, (await server.PostAsync("/subjects/json-bad/versions", Json("[1,2]"))).ErrorCode);
    }

    [Fact]
    public async Task The_lenient_policy_allows_an_optional_property_in_an_open_content_model()
    {
        const string v1 = """{"type":"object","properties":{"id":{"type":"string"}}}""";
        const string v2 = """{"type":"object","properties":{"id":{"type":"string"},"note":{"type":"string"}}}""";
        Assert.Equal(200, (await server.PostAsync("/subjects/json-lenient/versions", Json(v1))).Status);
        var strict = await server.PostAsync("/compatibility/subjects/json-lenient/versions/latest?verbose=true", Json(v2));
        Assert.False(strict.Json.GetProperty("is_compatible").GetBoolean());
        Assert.Contains("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/note", strict.Body);
        Assert.Equal(200, (await server.PutAsync("/config/json-lenient", """{"compatibilityPolicy":"LENIENT"}""")).Status);
        var lenient = await server.PostAsync("/compatibility/subjects/json-lenient/versions/latest", Json(v2));
        Assert.True(lenient.Json.GetProperty("is_compatible").GetBoolean(), lenient.ToString());
    }
}
