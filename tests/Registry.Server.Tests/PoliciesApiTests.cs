using Registry.Server.Tests.Infrastructure;

namespace Registry.Server.Tests;

/// <summary>/v1/policies: the gateway's per-topic policies, stored in the log like every other change.</summary>
[Collection(ServerCollection.Name)]
public sealed class PoliciesApiTests(RegistryServer server)
{
    [Fact]
    public async Task Policies_are_set_read_listed_and_deleted()
    {
        var put = await server.PutAsync("/v1/policies/policy-orders", """{"value":{"strategy":"TopicRecordNameStrategy","check":"payload"},"allowTombstones":false}""");
        Assert.Equal(200, put.Status);
        var got = await server.GetAsync("/v1/policies/policy-orders");
        Assert.Equal("TopicRecordNameStrategy", got.Json.GetProperty("value").GetProperty("strategy").GetString());
        Assert.False(got.Json.GetProperty("allowTombstones").GetBoolean());
        Assert.True((await server.GetAsync("/v1/policies")).Json.TryGetProperty("policy-orders", out _));
        Assert.Equal(200, (await server.DeleteAsync("/v1/policies/policy-orders")).Status);
        var gone = await server.GetAsync("/v1/policies/policy-orders");
        Assert.Equal((404, 40471), (gone.Status, gone.ErrorCode));
    }

    [Theory]
    [InlineData("policy-bad", """{"value":{"strategy":"SubjectNameStrategy"}}""", "strategy")]
    [InlineData("policy-bad", """{"value":{"check":"everything"}}""", "check")]
    [InlineData("policy-bad", """{}""", "needs a 'key' or a 'value'")]
    [InlineData("bad%20topic", """{"value":{}}""", "not a Kafka topic name")]
    public async Task Invalid_policies_are_422_and_nothing_is_stored(string topic, string body, string reason)
    {
        var reply = await server.PutAsync($"/v1/policies/{topic}", body);
        Assert.Equal((422, 422), (reply.Status, reply.ErrorCode));
        Assert.Contains(reason, reply.Body);
        Assert.Equal(404, (await server.GetAsync($"/v1/policies/{topic}")).Status);
    }
}
