using Registry.Server.Tests.Infrastructure;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>Adversarial input: each gets a clear Confluent-style error and the stored state is unchanged.</summary>
[Collection(ServerCollection.Name)]
public sealed class BadInputTests(RegistryServer server)
{
    private async Task AssertRejectedWithoutChange(string path, string body, int status, int errorCode)
    {
        var before = (await server.GetAsync("/schemas?deleted=true")).Body;
        var subjectsBefore = (await server.GetAsync("/subjects?deleted=true")).Body;
        var reply = await server.PostAsync(path, body);
        Assert.True(reply.Status == status && reply.ErrorCode == errorCode, reply.ToString());
        Assert.DoesNotContain("   at ", reply.Body);
        Assert.Equal(before, (await server.GetAsync("/schemas?deleted=true")).Body);
        Assert.Equal(subjectsBefore, (await server.GetAsync("/subjects?deleted=true")).Body);
        Assert.Equal(200, (await server.GetAsync("/")).Status);
    }

    [Fact]
    public Task Malformed_json_is_400() => AssertRejectedWithoutChange("/subjects/bad-s/versions", "{\"schema\": ", 400, 400);

    [Fact]
    public Task Json_nested_ten_thousand_deep_is_400() =>
        AssertRejectedWithoutChange("/subjects/bad-s/versions", "{\"unknown\":" + new string('[', 10_000) + new string(']', 10_000) + "}", 400, 400);

    [Fact]
    public Task Wrong_json_types_are_422() => AssertRejectedWithoutChange("/subjects/bad-s/versions", "{\"schema\": 12}", 422, 422);

    [Fact]
    public Task Invalid_avro_is_42201() => AssertRejectedWithoutChange("/subjects/bad-s/versions", Body("{\"type\":\"record\",\"name\":\"r\"}"), 422, 42201);

    [Theory]
    [InlineData("avro")]
    [InlineData("XML")]
    public Task Unknown_or_miscased_schema_types_are_42201(string type) =>
        AssertRejectedWithoutChange("/subjects/bad-s/versions", Body(Schemas.V1, $"\"schemaType\":\"{type}\""), 422, 42201);

    [Fact]
    public Task Avro_nested_thousands_deep_is_42201_and_the_server_survives()
    {
        var deep = "\"int\"";
        for (var i = 0; i < 3000; i++) deep = "{\"type\":\"array\",\"items\":" + deep + "}";
        return AssertRejectedWithoutChange("/subjects/bad-s/versions", Body(deep), 422, 42201);
    }

    [Fact]
    public Task A_schema_over_the_size_limit_is_42209()
    {
        var big = Schemas.Record("Big", Schemas.Field("f", "string")).Replace("\"Big\"", "\"Big\",\"doc\":\"" + new string('x', (1 << 20) + 10) + "\"");
        return AssertRejectedWithoutChange("/subjects/bad-s/versions", Body(big), 422, 42209);
    }

    [Fact]
    public async Task A_body_over_the_request_limit_is_413()
    {
        // Headers only: the server must refuse on the declared length, before reading 5 MiB.
        var uri = new Uri(server.Url);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        var head = $"POST /subjects/bad-s/versions HTTP/1.1\r\nHost: {uri.Authority}\r\nContent-Type: application/json\r\nContent-Length: {5 << 20}\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer);
        var response = System.Text.Encoding.UTF8.GetString(buffer, 0, read);
        Assert.StartsWith("HTTP/1.1 413", response);
        Assert.Contains("\"error_code\":413", response);
    }

    [Fact]
    public Task Unknown_references_are_42201() =>
        AssertRejectedWithoutChange("/subjects/bad-s/versions", Body(Schemas.V1, "\"references\":[{\"name\":\"x.Y\",\"subject\":\"missing\",\"version\":3}]"), 422, 42201);

    [Theory]
    [InlineData("%01control")]
    [InlineData("a%E2%80%8Bb%0A")]
    [InlineData("cafe%CC%81")]
    public Task Invalid_subject_names_are_42208(string subject) =>
        AssertRejectedWithoutChange($"/subjects/{subject}/versions", Body(Schemas.V1), 422, 42208);

    [Fact]
    public Task A_subject_name_over_the_length_limit_is_42208() =>
        AssertRejectedWithoutChange($"/subjects/{new string('s', 2_000)}/versions", Body(Schemas.V1), 422, 42208);

    [Fact]
    public async Task A_ten_kilobyte_path_is_refused_by_the_server_before_routing()
    {
        var reply = await server.PostAsync($"/subjects/{new string('s', 10_000)}/versions", Body(Schemas.V1));
        Assert.Equal(414, reply.Status);
        Assert.Equal(200, (await server.GetAsync("/")).Status);
    }

    [Fact]
    public Task An_id_outside_import_mode_is_refused() =>
        AssertRejectedWithoutChange("/subjects/bad-s/versions", Body(Schemas.V1, "\"id\":77"), 422, 42205);

    [Fact]
    public async Task Encoded_slashes_and_dot_segments_are_plain_subject_names()
    {
        var reply = await server.PostAsync("/subjects/..%2Fetc%2Fpasswd/versions", Body(Schemas.V1));
        Assert.Equal(200, reply.Status);
        Assert.Contains("../etc/passwd", (await server.GetAsync("/subjects")).Body);
        Assert.Equal(200, (await server.GetAsync("/subjects/..%2Fetc%2Fpasswd/versions/1")).Status);
    }
}
