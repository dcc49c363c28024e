using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Registry.Server.Encryption;
using Registry.Server.Tests.Infrastructure;
using Registry.Testing;

namespace Registry.Server.Tests;

/// <summary>
/// The DEK registry (/dek-registry/v1) as Confluent's RestApiTest and the reference (§2–§5) pin it, and client-side
/// field-level encryption end to end with the official JavaScript client and its local KMS.
/// </summary>
public sealed class DekRegistryTests : IAsyncLifetime
{
    private const string Secret = "mysecret";
    private readonly RegistryServer _server = new() { ExtraArgs = [$"--Registry:KmsLocalSecret={Secret}"] };

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    private Task<Reply> Post(string path, string json = "{}") => _server.PostAsync("/dek-registry/v1" + path, json);

    private Task<Reply> Get(string path) => _server.GetAsync("/dek-registry/v1" + path);

    private Task<Reply> Delete(string path) => _server.DeleteAsync("/dek-registry/v1" + path);

    private static string Kek(string name, bool shared = false, string kmsType = "local-kms", string keyId = "mykey") =>
        JsonSerializer.Serialize(new { name, kmsType, kmsKeyId = keyId, shared });

    private static string Material(byte fill) => Convert.ToBase64String(Enumerable.Repeat(fill, 62).ToArray());

    [Fact]
    public async Task Keks_are_created_once_updated_and_validated_as_Confluent_does()
    {
        var created = await Post("/keks", """{"name":"kek1","kmsType":"local-kms","kmsKeyId":"mykey","kmsProps":{"z":"1","a":"2"}}""");
        Assert.Equal(200, created.Status);
        Assert.StartsWith("""{"name":"kek1","kmsType":"local-kms","kmsKeyId":"mykey","kmsProps":{"a":"2","z":"1"},"shared":false,"ts":""", created.Body);
        Assert.Equal(40971, (await Post("/keks", """{"name":"kek1","kmsType":"local-kms","kmsKeyId":"mykey","kmsProps":{"z":"1","a":"2"}}""")).ErrorCode);
        Assert.Equal(42271, (await Post("/keks", Kek("1starts-with-a-digit"))).ErrorCode);
        Assert.Contains("'kmsKeyId'", (await Post("/keks", Kek("aws1", kmsType: "aws-kms", keyId: "not-an-arn"))).Body);
        Assert.Contains("'kmsType'", (await Post("/keks", """{"name":"nokms","kmsKeyId":"k"}""")).Body);
        Assert.Equal("aws-kms", (await Post("/keks", Kek("aws2", kmsType: "AWS", keyId: "arn:aws:kms:us-west-2:1:key/x"))).Json.GetProperty("kmsType").GetString());

        Assert.Equal(40470, (await Get("/keks/missing")).ErrorCode);
        var updated = await _server.PutAsync("/dek-registry/v1/keks/kek1", """{"doc":"orders","kmsProps":{"b":"3"}}""");
        Assert.Equal("orders", updated.Json.GetProperty("doc").GetString());
        Assert.Equal("""{"b":"3"}""", updated.Json.GetProperty("kmsProps").GetRawText());
        Assert.Equal(40470, (await _server.PutAsync("/dek-registry/v1/keks/missing", """{"doc":"x"}""")).ErrorCode);
        Assert.Equal("""["aws2","kek1"]""", (await Get("/keks")).Body);
        Assert.Equal(42271, (await Post("/keks/kek1/test")).ErrorCode);
    }

    [Fact]
    public async Task Deks_deletes_and_undeletes_follow_Confluents_rules()
    {
        Assert.Equal(200, (await Post("/keks", Kek("k2"))).Status);
        var dek = await Post("/keks/k2/deks/orders-value", $$"""{"encryptedKeyMaterial":"{{Material(1)}}"}""");
        Assert.Equal(200, dek.Status);
        Assert.Equal((1, "AES256_GCM"), (dek.Json.GetProperty("version").GetInt32(), dek.Json.GetProperty("algorithm").GetString()));
        Assert.False(dek.Json.TryGetProperty("keyMaterial", out _));
        Assert.Equal(40971, (await Post("/keks/k2/deks/orders-value", $$"""{"encryptedKeyMaterial":"{{Material(2)}}"}""")).ErrorCode);
        Assert.Contains("'encryptedKeyMaterial'", (await Post("/keks/k2/deks/other-value")).Body);
        Assert.Contains("'encryptedKeyMaterial'", (await Post("/keks/k2/deks/other-value", """{"encryptedKeyMaterial":"not base64!"}""")).Body);
        Assert.Equal(40470, (await Post("/keks/nokek/deks/orders-value", $$"""{"encryptedKeyMaterial":"{{Material(1)}}"}""")).ErrorCode);
        Assert.Contains("'subject'", (await Post("/keks/k2/deks/" + new string('s', 1025), $$"""{"encryptedKeyMaterial":"{{Material(1)}}"}""")).Body);
        Assert.Contains("'name'", (await Post("/keks", Kek(new string('k', 257)))).Body);
        Assert.Equal(200, (await Post("/keks/k2/deks/orders-value", $$"""{"version":2,"encryptedKeyMaterial":"{{Material(3)}}"}""")).Status);

        Assert.Equal("""["orders-value"]""", (await Get("/keks/k2/deks")).Body);
        Assert.Equal("[1,2]", (await Get("/keks/k2/deks/orders-value/versions")).Body);
        Assert.Equal("[]", (await Get("/keks/k2/deks/nothing-value/versions")).Body);
        Assert.Equal(1, (await Get("/keks/k2/deks/orders-value")).Json.GetProperty("version").GetInt32());
        Assert.Equal(2, (await Get("/keks/k2/deks/orders-value/versions/latest")).Json.GetProperty("version").GetInt32());
        Assert.Equal(42202, (await Get("/keks/k2/deks/orders-value/versions/zero")).ErrorCode);
        Assert.Equal(42271, (await Get("/keks/k2/deks/orders-value?algorithm=ROT13")).ErrorCode);
        Assert.Equal(40470, (await Get("/keks/k2/deks/orders-value?algorithm=AES128_GCM")).ErrorCode);

        // A KEK with live DEKs stays; a DEK is soft-deleted before it can go for good.
        Assert.Equal(42272, (await Delete("/keks/k2")).ErrorCode);
        Assert.Equal(40471, (await Delete("/keks/k2/deks/orders-value?permanent=true")).ErrorCode);
        Assert.Equal(204, (await Delete("/keks/k2/deks/orders-value/versions/2")).Status);
        Assert.Equal(40470, (await Get("/keks/k2/deks/orders-value/versions/2")).ErrorCode);
        Assert.True((await Get("/keks/k2/deks/orders-value/versions/2?deleted=true")).Json.GetProperty("deleted").GetBoolean());
        Assert.Equal(204, (await Delete("/keks/k2/deks/orders-value")).Status);
        Assert.Equal(204, (await Delete("/keks/k2")).Status);
        Assert.Equal(40470, (await Get("/keks/k2")).ErrorCode);
        Assert.Equal(40472, (await Post("/keks/k2/deks/orders-value/undelete")).ErrorCode);
        Assert.Equal(42272, (await Delete("/keks/k2?permanent=true")).ErrorCode);
        Assert.Equal(204, (await Post("/keks/k2/undelete")).Status);
        Assert.Equal(204, (await Post("/keks/k2/deks/orders-value/versions/1/undelete")).Status);
        Assert.Equal(1, (await Get("/keks/k2/deks/orders-value")).Json.GetProperty("version").GetInt32());
        Assert.Equal(40470, (await Get("/keks/k2/deks/orders-value/versions/2")).ErrorCode);

        // Permanent deletes: DEKs first, then the KEK, each soft-deleted before.
        Assert.Equal(204, (await Delete("/keks/k2/deks/orders-value")).Status);
        Assert.Equal(204, (await Delete("/keks/k2/deks/orders-value?permanent=true")).Status);
        Assert.Equal(40471, (await Delete("/keks/k2?permanent=true")).ErrorCode);
        Assert.Equal(204, (await Delete("/keks/k2")).Status);
        Assert.Equal(204, (await Delete("/keks/k2?permanent=true")).Status);
        Assert.Equal(40470, (await Get("/keks/k2?deleted=true")).ErrorCode);
    }

    [Fact]
    public async Task A_soft_deleted_kek_refuses_new_deks_and_an_identical_create_undeletes_it()
    {
        Assert.Equal(200, (await Post("/keks", Kek("k3"))).Status);
        Assert.Equal(204, (await Delete("/keks/k3")).Status);
        Assert.Equal(40470, (await Post("/keks/k3/deks/s-value", $$"""{"encryptedKeyMaterial":"{{Material(1)}}"}""")).ErrorCode);
        Assert.Equal(40971, (await Post("/keks", Kek("k3", keyId: "another"))).ErrorCode);
        Assert.Equal(200, (await Post("/keks", Kek("k3"))).Status);
        Assert.False((await Get("/keks/k3")).Json.TryGetProperty("deleted", out _));
    }

    [Fact]
    public async Task A_shared_kek_lets_the_registry_make_wrap_and_unwrap_deks()
    {
        Assert.Equal(Convert.FromHexString("1ae4d97ac1e81594bfd1993c1a75ee36"), LocalKmsDriver.DeriveKey(Secret));
        Assert.Equal(200, (await Post("/keks", Kek("shared1", shared: true))).Status);
        Assert.Equal(200, (await Post("/keks/shared1/test")).Status);
        var dek = await Post("/keks/shared1/deks/pay-value", """{"algorithm":"AES256_GCM"}""");
        Assert.Equal(200, dek.Status);
        var raw = Convert.FromBase64String(dek.Json.GetProperty("keyMaterial").GetString()!);
        Assert.Equal(34, raw.Length);
        Assert.Equal(new byte[] { 0x1A, 0x20 }, raw[..2]);
        // The stored material is the raw key wrapped with the local KMS's KEK (IV ‖ ciphertext ‖ tag: 62 bytes).
        var stored = (await Get("/keks/shared1/deks/pay-value")).Json;
        Assert.Equal(dek.Json.GetProperty("keyMaterial").GetString(), stored.GetProperty("keyMaterial").GetString());
        var wrapped = Convert.FromBase64String(stored.GetProperty("encryptedKeyMaterial").GetString()!);
        Assert.Equal(62, wrapped.Length);
        var kek = new Core.Model.Kek("shared1", "local-kms", "mykey", System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty, null, true, false, 0);
        Assert.Equal(raw, new LocalKmsDriver(Secret).Unwrap(kek, wrapped));
        Assert.Equal(40971, (await Post("/keks/shared1/deks/pay-value", "{}")).ErrorCode);
        // Rewrapping keeps the raw key and wraps it afresh.
        var rewrapped = await Post("/keks/shared1/deks/pay-value?rewrap=true", "{}");
        Assert.Equal(dek.Json.GetProperty("keyMaterial").GetString(), rewrapped.Json.GetProperty("keyMaterial").GetString());
        Assert.NotEqual(stored.GetProperty("encryptedKeyMaterial").GetString(), rewrapped.Json.GetProperty("encryptedKeyMaterial").GetString());

        // Material sent for a shared KEK must unwrap, or nothing is stored.
        var unopenable = await Post("/keks/shared1/deks/other-value", $$"""{"encryptedKeyMaterial":"{{Material(9)}}"}""");
        Assert.Equal((500, 50070), (unopenable.Status, unopenable.ErrorCode));
        Assert.Equal(40470, (await Get("/keks/shared1/deks/other-value")).ErrorCode);
        // Material that is not base64 is the sender's error, for a shared KEK as for any other.
        var malformed = await Post("/keks/shared1/deks/other-value", """{"encryptedKeyMaterial":"not*base64"}""");
        Assert.Equal((422, 42271), (malformed.Status, malformed.ErrorCode));
        Assert.Equal(40470, (await Get("/keks/shared1/deks/other-value")).ErrorCode);

        // A shared KEK of a KMS the registry has no driver for: accepted, as in Confluent, but it cannot make DEKs.
        Assert.Equal(200, (await Post("/keks", Kek("vault1", shared: true, kmsType: "unknown-kms"))).Status);
        var refused = await Post("/keks/vault1/deks/pay-value", "{}");
        Assert.Equal((500, 50070), (refused.Status, refused.ErrorCode));
        Assert.Equal("[]", (await Get("/keks/vault1/deks")).Body);
    }

    [Fact]
    public async Task Context_urls_scope_a_deks_subject_and_aliasForDeks_else_alias_is_followed()
    {
        Assert.Equal(200, (await Post("/keks", Kek("ctx-kek"))).Status);
        var scoped = await _server.PostAsync("/contexts/.t1/dek-registry/v1/keks/ctx-kek/deks/orders-value", $$"""{"encryptedKeyMaterial":"{{Material(5)}}"}""");
        Assert.Equal(":.t1:orders-value", scoped.Json.GetProperty("subject").GetString());
        Assert.Equal(200, (await _server.GetAsync("/contexts/.t1/dek-registry/v1/keks/ctx-kek/deks/orders-value")).Status);
        Assert.Equal(40470, (await Get("/keks/ctx-kek/deks/orders-value")).ErrorCode);
        Assert.Equal("""["ctx-kek"]""", (await _server.GetAsync("/contexts/.t1/dek-registry/v1/keks")).Body);

        Assert.Equal(200, (await _server.PutAsync("/config/old-name-value", """{"alias":"orders-value"}""")).Status);
        Assert.Equal(200, (await Post("/keks/ctx-kek/deks/orders-value", $$"""{"encryptedKeyMaterial":"{{Material(6)}}"}""")).Status);
        Assert.Equal("orders-value", (await Get("/keks/ctx-kek/deks/old-name-value")).Json.GetProperty("subject").GetString());

        // aliasForDeks is followed before alias, and by DEK paths only: the subject paths keep following alias.
        Assert.Equal(200, (await Post("/keks/ctx-kek/deks/keys-value", $$"""{"encryptedKeyMaterial":"{{Material(8)}}"}""")).Status);
        var config = await _server.PutAsync("/config/old-name-value", """{"aliasForDeks":"keys-value"}""");
        Assert.Equal("keys-value", config.Json.GetProperty("aliasForDeks").GetString());
        Assert.Equal("""{"compatibilityLevel":"BACKWARD","alias":"orders-value","aliasForDeks":"keys-value"}""", (await _server.GetAsync("/config/old-name-value")).Body);
        Assert.Equal("keys-value", (await Get("/keks/ctx-kek/deks/old-name-value")).Json.GetProperty("subject").GetString());
        Assert.Equal(200, (await _server.PostAsync("/subjects/orders-value/versions", RegistryServer.Body("\"string\""))).Status);
        Assert.Equal("orders-value", (await _server.GetAsync("/subjects/old-name-value/versions/1")).Json.GetProperty("subject").GetString());
        Assert.Equal(200, (await _server.PutAsync("/config/old-name-value", """{"aliasForDeks":null}""")).Status);
        Assert.Equal("orders-value", (await Get("/keks/ctx-kek/deks/old-name-value")).Json.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task Key_counts_are_limited_as_Confluents_max_keys()
    {
        await using var small = new RegistryServer { ExtraArgs = ["--Registry:MaxKeys=1"] };
        await small.InitializeAsync();
        // As Confluent, a create is refused once the count already exceeds the limit: limit + 1 keys can exist.
        Assert.Equal(200, (await small.PostAsync("/dek-registry/v1/keks", Kek("a1"))).Status);
        Assert.Equal(200, (await small.PostAsync("/dek-registry/v1/keks", Kek("a2"))).Status);
        var refused = await small.PostAsync("/dek-registry/v1/keks", Kek("a3"));
        Assert.Equal((409, 40972), (refused.Status, refused.ErrorCode));
        Assert.Equal("A maximum of 1 keys already exist", refused.Json.GetProperty("message").GetString());
        Assert.Equal(200, (await small.PostAsync("/dek-registry/v1/keks/a1/deks/s-value", $$"""{"encryptedKeyMaterial":"{{Material(1)}}"}""")).Status);
        Assert.Equal(200, (await small.PostAsync("/dek-registry/v1/keks/a1/deks/s-value", $$"""{"version":2,"encryptedKeyMaterial":"{{Material(1)}}"}""")).Status);
        Assert.Equal(40972, (await small.PostAsync("/dek-registry/v1/keks/a1/deks/s-value", $$"""{"version":3,"encryptedKeyMaterial":"{{Material(1)}}"}""")).ErrorCode);
    }

    [Fact]
    public async Task Keys_survive_a_restart()
    {
        var dir = Path.Combine(Path.GetTempPath(), "registry-dek-restart-" + Guid.NewGuid().ToString("N"));
        await using (var first = new RegistryServer { DataDirectory = dir, KeepData = true })
        {
            await first.InitializeAsync();
            Assert.Equal(200, (await first.PostAsync("/dek-registry/v1/keks", Kek("kept"))).Status);
            Assert.Equal(200, (await first.PostAsync("/dek-registry/v1/keks/kept/deks/kept-value", $$"""{"encryptedKeyMaterial":"{{Material(7)}}"}""")).Status);
            Assert.Equal(204, (await first.DeleteAsync("/dek-registry/v1/keks/kept/deks/kept-value")).Status);
        }
        await using var second = new RegistryServer { DataDirectory = dir };
        await second.InitializeAsync();
        var dek = (await second.GetAsync("/dek-registry/v1/keks/kept/deks/kept-value?deleted=true")).Json;
        Assert.Equal(Material(7), dek.GetProperty("encryptedKeyMaterial").GetString());
        Assert.True(dek.GetProperty("deleted").GetBoolean());
        Assert.Equal("mykey", (await second.GetAsync("/dek-registry/v1/keks/kept")).Json.GetProperty("kmsKeyId").GetString());
    }

    public static TheoryData<string, string, string> Csfle => new()
    {
        { "AVRO", "field", """{"type":"record","name":"Person","fields":[{"name":"name","type":"string"},{"name":"ssn","type":"string","confluent:tags":["PII"]},{"name":"age","type":"int"}]}""" },
        { "JSON", "field", """{"type":"object","properties":{"name":{"type":"string"},"ssn":{"type":"string","confluent:tags":["PII"]},"age":{"type":"integer"}}}""" },
        { "AVRO", "payload", """{"type":"record","name":"Person","fields":[{"name":"name","type":"string"},{"name":"ssn","type":"string"},{"name":"age","type":"int"}]}""" },
    };

    [Theory]
    [MemberData(nameof(Csfle))]
    public async Task The_JavaScript_client_encrypts_before_the_record_leaves_and_a_fresh_client_decrypts(string format, string kind, string schema)
    {
        var topic = $"csfle-{format.ToLowerInvariant()}-{kind}";
        var rule = $$"""{"name":"encrypt","kind":"TRANSFORM","mode":"WRITEREAD","type":"{{(kind == "field" ? "ENCRYPT" : "ENCRYPT_PAYLOAD")}}",{{(kind == "field" ? "\"tags\":[\"PII\"]," : "")}}"params":{"encrypt.kek.name":"kek-{{topic}}","encrypt.kms.type":"local-kms","encrypt.kms.key.id":"mykey"},"onFailure":"ERROR,NONE"}""";
        var rules = kind == "field" ? $$"""{"domainRules":[{{rule}}]}""" : $$"""{"encodingRules":[{{rule}}]}""";
        var registered = await _server.PostAsync($"/subjects/{topic}-value/versions", RegistryServer.Body(schema, $"\"schemaType\":\"{format}\",\"ruleSet\":{rules}"));
        Assert.True(registered.Status == 200, registered.ToString());

        var hex = await JsClient.RunAsync("csfle.js", [_server.Url, "produce", format, topic]);
        var bytes = Convert.FromHexString(hex.Trim());
        var text = System.Text.Encoding.Latin1.GetString(bytes);
        Assert.DoesNotContain("123-45-6789", text);
        if (kind == "payload") Assert.DoesNotContain("Ada Lovelace", text);
        else Assert.Contains("Ada Lovelace", text);

        // The client registered its KEK and a DEK for the subject; the registry holds only the wrapped key.
        var dek = (await Get($"/keks/kek-{topic}/deks/{topic}-value")).Json;
        Assert.False(dek.TryGetProperty("keyMaterial", out _));
        Assert.Equal(84, dek.GetProperty("encryptedKeyMaterial").GetString()!.Length);

        var record = JsonDocument.Parse(await JsClient.RunAsync("csfle.js", [_server.Url, "consume", format, topic, hex.Trim()])).RootElement;
        Assert.Equal("123-45-6789", record.GetProperty("ssn").GetString());
        Assert.Equal("Ada Lovelace", record.GetProperty("name").GetString());
        Assert.Equal(36, record.GetProperty("age").GetInt32());
    }

    [Fact]
    public async Task A_dek_past_its_expiry_gets_a_new_version_from_the_client_and_records_of_either_version_decrypt()
    {
        const string schema = """{"type":"record","name":"Person","fields":[{"name":"name","type":"string"},{"name":"ssn","type":"string","confluent:tags":["PII"]},{"name":"age","type":"int"}]}""";
        const string rule = """{"domainRules":[{"name":"encrypt","kind":"TRANSFORM","mode":"WRITEREAD","type":"ENCRYPT","tags":["PII"],"params":{"encrypt.kek.name":"kek-rotating","encrypt.kms.type":"local-kms","encrypt.kms.key.id":"mykey","encrypt.dek.expiry.days":"1"},"onFailure":"ERROR,NONE"}]}""";
        Assert.Equal(200, (await _server.PostAsync("/subjects/rotating-value/versions", RegistryServer.Body(schema, $"\"ruleSet\":{rule}"))).Status);
        var before = (await JsClient.RunAsync("csfle.js", [_server.Url, "produce", "AVRO", "rotating"])).Trim();
        Assert.Equal("[1]", (await Get("/keks/kek-rotating/deks/rotating-value/versions")).Body);
        // Two days later (the client's clock) version 1 has expired: the client makes version 2 and encrypts with it.
        var later = (await JsClient.RunAsync("csfle.js", [_server.Url, "produce", "AVRO", "rotating"], new Dictionary<string, string> { ["CSFLE_DAYS_AHEAD"] = "2" })).Trim();
        Assert.Equal("[1,2]", (await Get("/keks/kek-rotating/deks/rotating-value/versions")).Body);
        Assert.NotEqual((await Get("/keks/kek-rotating/deks/rotating-value/versions/1")).Json.GetProperty("encryptedKeyMaterial").GetString(),
            (await Get("/keks/kek-rotating/deks/rotating-value/versions/2")).Json.GetProperty("encryptedKeyMaterial").GetString());
        foreach (var hex in new[] { before, later })
        {
            Assert.DoesNotContain("123-45-6789", System.Text.Encoding.Latin1.GetString(Convert.FromHexString(hex)));
            var record = JsonDocument.Parse(await JsClient.RunAsync("csfle.js", [_server.Url, "consume", "AVRO", "rotating", hex])).RootElement;
            Assert.Equal("123-45-6789", record.GetProperty("ssn").GetString());
        }
    }

    [Fact]
    public async Task With_a_shared_kek_the_JavaScript_client_takes_the_dek_the_registry_makes()
    {
        Assert.Equal(200, (await Post("/keks", Kek("kek-shared-client", shared: true))).Status);
        const string schema = """{"type":"record","name":"Card","fields":[{"name":"name","type":"string"},{"name":"ssn","type":"string","confluent:tags":["PII"]},{"name":"age","type":"int"}]}""";
        const string rule = """{"domainRules":[{"name":"encrypt","kind":"TRANSFORM","mode":"WRITEREAD","type":"ENCRYPT","tags":["PII"],"params":{"encrypt.kek.name":"kek-shared-client","encrypt.kms.type":"local-kms","encrypt.kms.key.id":"mykey"},"onFailure":"ERROR,NONE"}]}""";
        Assert.Equal(200, (await _server.PostAsync("/subjects/cards-value/versions", RegistryServer.Body(schema, $"\"ruleSet\":{rule}"))).Status);
        var hex = (await JsClient.RunAsync("csfle.js", [_server.Url, "produce", "AVRO", "cards"])).Trim();
        Assert.DoesNotContain("123-45-6789", System.Text.Encoding.Latin1.GetString(Convert.FromHexString(hex)));
        Assert.True((await Get("/keks/kek-shared-client/deks/cards-value")).Json.TryGetProperty("keyMaterial", out _));
        var record = JsonDocument.Parse(await JsClient.RunAsync("csfle.js", [_server.Url, "consume", "AVRO", "cards", hex])).RootElement;
        Assert.Equal("123-45-6789", record.GetProperty("ssn").GetString());
    }
}

/// <summary>Who may touch which key: DEKs as their subjects, KEKs by admins; every DEK registry request is audited.</summary>
public sealed class DekRegistryAuthTests : IAsyncLifetime
{
    private static readonly string UsersFile = TestUsers.Write(
        ("root", "root-pw", "admin"),
        ("olga", "olga-pw", "writer:orders-"),
        ("rudi", "rudi-pw", "reader:orders-"),
        ("ann", "ann-pw", "auditor"));
    private readonly RegistryServer _server = new() { ExtraArgs = ["--Registry:AuthMode=basic", $"--Registry:UsersFile={UsersFile}"] };

    public Task InitializeAsync() => _server.InitializeAsync();

    public Task DisposeAsync() => _server.DisposeAsync();

    private Task<Reply> As(string user, HttpMethod method, string path, string? json = null) =>
        _server.SendAsAsync(user, user + "-pw", method, "/dek-registry/v1" + path, json);

    [Fact]
    public async Task Deks_are_authorized_as_their_subject_and_keks_need_admin()
    {
        const string kek = """{"name":"orders-kek","kmsType":"local-kms","kmsKeyId":"k"}""";
        Assert.Equal(403, (await As("olga", HttpMethod.Post, "/keks", kek)).Status);
        Assert.Equal(200, (await As("root", HttpMethod.Post, "/keks", kek)).Status);
        Assert.Equal(200, (await As("olga", HttpMethod.Get, "/keks/orders-kek")).Status);
        var material = Convert.ToBase64String(new byte[62]);
        Assert.Equal(200, (await As("olga", HttpMethod.Post, "/keks/orders-kek/deks/orders-value", $$"""{"encryptedKeyMaterial":"{{material}}"}""")).Status);
        Assert.Equal(403, (await As("olga", HttpMethod.Post, "/keks/orders-kek/deks/payments-value", $$"""{"encryptedKeyMaterial":"{{material}}"}""")).Status);
        Assert.Equal(403, (await As("olga", HttpMethod.Post, "/keks/orders-kek/deks", $$"""{"subject":"payments-value","encryptedKeyMaterial":"{{material}}"}""")).Status);
        Assert.Equal(403, (await As("rudi", HttpMethod.Post, "/keks/orders-kek/deks/orders-key", $$"""{"encryptedKeyMaterial":"{{material}}"}""")).Status);
        Assert.Equal(200, (await As("rudi", HttpMethod.Get, "/keks/orders-kek/deks/orders-value")).Status);
        Assert.Equal(403, (await As("olga", HttpMethod.Delete, "/keks/orders-kek")).Status);
        Assert.Equal(200, (await As("root", HttpMethod.Post, "/keks/orders-kek/deks/payments-value", $$"""{"encryptedKeyMaterial":"{{material}}"}""")).Status);
        Assert.Equal("""["orders-value"]""", (await As("rudi", HttpMethod.Get, "/keks/orders-kek/deks")).Body);

        // The audit names who read and wrote which key, and never holds key material.
        var audit = await _server.SendAsAsync("ann", "ann-pw", HttpMethod.Get, "/v1/audit?limit=100");
        Assert.Contains("GET /dek-registry/v1/keks/orders-kek/deks/orders-value", audit.Body);
        Assert.Contains("\"principal\":\"rudi\"", audit.Body);
        Assert.DoesNotContain(material, audit.Body);
    }
}

/// <summary>The hcvault driver against a small stand-in for Vault's Transit engine (encrypt/decrypt, token checked).</summary>
public sealed class VaultTransitTests : IAsyncLifetime
{
    private const string Token = "s.test-token";
    private readonly byte[] _transitKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
    private readonly List<string> _calls = [];
    private WebApplication _vault = null!;
    private string _vaultUrl = "";
    private readonly RegistryServer _server = new();

    public async Task InitializeAsync()
    {
        var port = Processes.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        _vault = builder.Build();
        _vault.MapPost("/v1/transit/{operation}/{key}", async (HttpContext context, string operation, string key) =>
        {
            lock (_calls) _calls.Add($"{operation} {key} {context.Request.Headers["X-Vault-Token"]}");
            if (context.Request.Headers["X-Vault-Token"] != Token) return Results.StatusCode(403);
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            using var aes = new System.Security.Cryptography.AesGcm(_transitKey, 16);
            if (operation == "encrypt")
            {
                var plaintext = Convert.FromBase64String(body.RootElement.GetProperty("plaintext").GetString()!);
                var sealedBox = new byte[12 + plaintext.Length + 16];
                System.Security.Cryptography.RandomNumberGenerator.Fill(sealedBox.AsSpan(0, 12));
                aes.Encrypt(sealedBox.AsSpan(0, 12), plaintext, sealedBox.AsSpan(12, plaintext.Length), sealedBox.AsSpan(12 + plaintext.Length));
                return Results.Json(new { data = new { ciphertext = "vault:v1:" + Convert.ToBase64String(sealedBox) } });
            }
            var box = Convert.FromBase64String(body.RootElement.GetProperty("ciphertext").GetString()!["vault:v1:".Length..]);
            var opened = new byte[box.Length - 28];
            aes.Decrypt(box.AsSpan(0, 12), box.AsSpan(12, opened.Length), box.AsSpan(12 + opened.Length), opened);
            return Results.Json(new { data = new { plaintext = Convert.ToBase64String(opened) } });
        });
        await _vault.StartAsync();
        _vaultUrl = $"http://127.0.0.1:{port}";
        await _server.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _vault.DisposeAsync();
    }

    [Fact]
    public async Task A_shared_hcvault_kek_wraps_and_unwraps_through_Transit_and_a_refused_token_is_40370()
    {
        var kek = JsonSerializer.Serialize(new { name = "vault-kek", kmsType = "hcvault", kmsKeyId = $"{_vaultUrl}/transit/keys/orders", shared = true, kmsProps = new Dictionary<string, string> { ["token.id"] = Token } });
        Assert.Equal(200, (await _server.PostAsync("/dek-registry/v1/keks?testSharing=true", kek)).Status);
        var dek = await _server.PostAsync("/dek-registry/v1/keks/vault-kek/deks/orders-value", "{}");
        Assert.True(dek.Status == 200, dek.ToString());
        var wrapped = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(dek.Json.GetProperty("encryptedKeyMaterial").GetString()!));
        Assert.StartsWith("vault:v1:", wrapped);
        var read = await _server.GetAsync("/dek-registry/v1/keks/vault-kek/deks/orders-value");
        Assert.Equal(dek.Json.GetProperty("keyMaterial").GetString(), read.Json.GetProperty("keyMaterial").GetString());
        Assert.Contains($"encrypt orders {Token}", _calls);
        Assert.Contains($"decrypt orders {Token}", _calls);

        Assert.Equal(200, (await _server.PutAsync("/dek-registry/v1/keks/vault-kek", """{"kmsProps":{"token.id":"wrong"}}""")).Status);
        var refused = await _server.GetAsync("/dek-registry/v1/keks/vault-kek/deks/orders-value");
        Assert.Equal((403, 40370), (refused.Status, refused.ErrorCode));
        Assert.Equal(500, (await _server.PostAsync("/dek-registry/v1/keks?testSharing=true", kek.Replace("vault-kek", "vault-kek2", StringComparison.Ordinal).Replace(Token, "bad", StringComparison.Ordinal))).Status);
        Assert.Equal(40470, (await _server.GetAsync("/dek-registry/v1/keks/vault-kek2")).ErrorCode);
    }
}
