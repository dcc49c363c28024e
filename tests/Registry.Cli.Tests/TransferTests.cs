using System.Text.Json;

namespace Registry.Cli.Tests;

/// <summary><c>registry export</c> from one registry and <c>import</c> into a fresh one keep ids and versions.</summary>
public sealed class TransferTests
{
    [Fact]
    public async Task Export_then_import_into_a_fresh_registry_gives_identical_answers()
    {
        await using var source = await TestRegistry.StartAsync();
        await using var target = await TestRegistry.StartAsync();
        Assert.Equal(0, (await Cli.RunAsync("apply", Cli.Examples(), "--url", source.Url)).Code);
        var extra = Cli.Temp("x.avsc", """{"type":"record","name":"X","fields":[{"name":"a","type":"string"}]}""");
        var extra2 = Cli.Temp("x.avsc", """{"type":"record","name":"X","fields":[{"name":"a","type":"string"},{"name":"b","type":"int","default":0}]}""");
        Assert.Equal(0, (await Cli.RunAsync("register", extra, "--subject", "x-value", "--url", source.Url)).Code);
        Assert.Equal(0, (await Cli.RunAsync("register", extra2, "--subject", "x-value", "--url", source.Url)).Code);

        var file = Path.Combine(Path.GetTempPath(), "registry-export-" + Guid.NewGuid().ToString("N") + ".json");
        var export = await Cli.RunAsync("export", "--url", source.Url, "--file", file);
        Assert.True(export.Code == 0, export.ToString());
        var import = await Cli.RunAsync("import", "--url", target.Url, "--file", file);
        Assert.True(import.Code == 0, import.ToString());

        Assert.Equal(await source.GetAsync("/subjects"), await target.GetAsync("/subjects"));
        foreach (var subject in JsonSerializer.Deserialize<string[]>(await source.GetAsync("/subjects"))!)
        {
            Assert.Equal(await source.GetAsync($"/subjects/{subject}/versions"), await target.GetAsync($"/subjects/{subject}/versions"));
            foreach (var version in JsonSerializer.Deserialize<int[]>(await source.GetAsync($"/subjects/{subject}/versions"))!)
            {
                using var a = JsonDocument.Parse(await source.GetAsync($"/subjects/{subject}/versions/{version}"));
                using var b = JsonDocument.Parse(await target.GetAsync($"/subjects/{subject}/versions/{version}"));
                foreach (var key in new[] { "id", "version", "schema", "schemaType", "guid" })
                    Assert.Equal(a.RootElement.GetProperty(key).ToString(), b.RootElement.GetProperty(key).ToString());
                var id = a.RootElement.GetProperty("id").GetInt32();
                Assert.Equal(await source.GetAsync($"/schemas/ids/{id}"), await target.GetAsync($"/schemas/ids/{id}"));
            }
        }
        Assert.Contains("FULL", await target.GetAsync("/config/address-value"));
        Assert.Contains("READWRITE", await target.GetAsync("/mode"));
    }

    [Fact]
    public async Task A_backup_restores_soft_deleted_versions_timestamps_references_contexts_configs_and_modes()
    {
        await using var source = await TestRegistry.StartAsync();
        await using var target = await TestRegistry.StartAsync();
        async Task Ok(HttpMethod method, string path, string? json = null)
        {
            var (status, body) = await source.SendAsync(method, path, json);
            Assert.True(status == 200, $"{method} {path}: {status} {body}");
        }
        static string Schema(string avro, string? extra = null) => "{\"schema\":" + JsonSerializer.Serialize(avro) + (extra is null ? "" : "," + extra) + "}";
        var address = """{"type":"record","name":"Address","fields":[{"name":"street","type":"string"}]}""";
        await Ok(HttpMethod.Put, "/config", """{"compatibility":"NONE"}""");
        await Ok(HttpMethod.Post, "/subjects/address/versions", Schema(address));
        await Ok(HttpMethod.Post, "/subjects/order/versions", Schema("""{"type":"record","name":"Order","fields":[{"name":"a","type":"Address"}]}""",
            "\"references\":[{\"name\":\"Address\",\"subject\":\"address\",\"version\":1}],\"metadata\":{\"properties\":{\"owner\":\"team-a\"}},"
            + "\"ruleSet\":{\"domainRules\":[{\"name\":\"positive\",\"kind\":\"CONDITION\",\"type\":\"CEL\",\"mode\":\"WRITE\",\"expr\":\"message.a != null\"}]}"));
        await Ok(HttpMethod.Post, "/subjects/order/versions", Schema("""{"type":"record","name":"Order2","fields":[{"name":"b","type":"int"}]}"""));
        await Ok(HttpMethod.Post, "/subjects/order/versions", Schema("""{"type":"record","name":"Order3","fields":[{"name":"c","type":"int"}]}"""));
        // A version soft-deleted (its id is still in records on topics), and a whole subject soft-deleted.
        await Ok(HttpMethod.Delete, "/subjects/order/versions/2");
        await Ok(HttpMethod.Post, "/subjects/gone/versions", Schema("\"string\""));
        await Ok(HttpMethod.Delete, "/subjects/gone");
        // A context numbers its ids on its own (id 1 there is another schema than id 1 here), and its unqualified
        // references name its own subjects.
        await Ok(HttpMethod.Post, "/subjects/:.tenant:t-value/versions", Schema("\"long\""));
        await Ok(HttpMethod.Post, "/subjects/:.tenant:address/versions", Schema(address.Replace("street", "line", StringComparison.Ordinal)));
        await Ok(HttpMethod.Post, "/subjects/:.tenant:t-order/versions", Schema("""{"type":"record","name":"Order","fields":[{"name":"a","type":"Address"}]}""",
            "\"references\":[{\"name\":\"Address\",\"subject\":\"address\",\"version\":1}]"));
        await Ok(HttpMethod.Put, "/config/:.tenant:", """{"compatibility":"FULL"}""");
        await Ok(HttpMethod.Put, "/config/order", """{"compatibility":"BACKWARD_TRANSITIVE","normalize":true}""");
        await Ok(HttpMethod.Put, "/mode/address", """{"mode":"READONLY"}""");
        await Ok(HttpMethod.Put, "/mode/:.tenant:", """{"mode":"READONLY"}""");

        var file = Path.Combine(Path.GetTempPath(), "registry-export-" + Guid.NewGuid().ToString("N") + ".json");
        var export = await Cli.RunAsync("export", "--url", source.Url, "--file", file);
        Assert.True(export.Code == 0, export.ToString());
        var import = await Cli.RunAsync("import", "--url", target.Url, "--file", file);
        Assert.True(import.Code == 0, import.ToString());

        Assert.Equal(await source.GetAsync("/subjects?deleted=true"), await target.GetAsync("/subjects?deleted=true"));
        Assert.Equal(await source.GetAsync("/subjects"), await target.GetAsync("/subjects"));
        foreach (var subject in JsonSerializer.Deserialize<string[]>(await source.GetAsync("/subjects?deleted=true"))!)
        {
            var s = Uri.EscapeDataString(subject);
            Assert.Equal(await source.GetAsync($"/subjects/{s}/versions?deleted=true"), await target.GetAsync($"/subjects/{s}/versions?deleted=true"));
            Assert.Equal(await source.SendAsync(HttpMethod.Get, $"/subjects/{s}/versions"), await target.SendAsync(HttpMethod.Get, $"/subjects/{s}/versions"));
            foreach (var version in JsonSerializer.Deserialize<int[]>(await source.GetAsync($"/subjects/{s}/versions?deleted=true"))!)
            {
                // Every member: id, schema, references, metadata, the registration time and the deleted flag.
                var answer = await source.GetAsync($"/subjects/{s}/versions/{version}?deleted=true");
                Assert.Equal(answer, await target.GetAsync($"/subjects/{s}/versions/{version}?deleted=true"));
                var id = JsonDocument.Parse(answer).RootElement.GetProperty("id").GetInt32();
                Assert.Equal(await source.GetAsync($"/schemas/ids/{id}?subject={s}"), await target.GetAsync($"/schemas/ids/{id}?subject={s}"));
            }
        }
        Assert.Equal(await source.GetAsync("/contexts/.tenant/schemas/ids/1"), await target.GetAsync("/contexts/.tenant/schemas/ids/1"));
        Assert.NotEqual(await source.GetAsync("/schemas/ids/1"), await source.GetAsync("/contexts/.tenant/schemas/ids/1"));
        foreach (var path in new[] { "/config", "/config/order", "/config/:.tenant:", "/mode", "/mode/address", "/mode/:.tenant:", "/mode/order" })
            Assert.Equal(await source.SendAsync(HttpMethod.Get, path), await target.SendAsync(HttpMethod.Get, path));
    }

    [Fact]
    public async Task A_backup_carries_keks_and_every_dek_version_and_never_a_raw_key()
    {
        await using var source = await TestRegistry.StartAsync("--Registry:KmsLocalSecret=mysecret");
        await using var target = await TestRegistry.StartAsync("--Registry:KmsLocalSecret=mysecret");
        var material = Convert.ToBase64String(Enumerable.Repeat((byte)7, 62).ToArray());
        async Task Ok(HttpMethod method, string path, string? json = null)
        {
            var (status, body) = await source.SendAsync(method, "/dek-registry/v1" + path, json);
            Assert.True(status is 200 or 204, $"{method} {path}: {status} {body}");
        }
        await Ok(HttpMethod.Post, "/keks", """{"name":"kek1","kmsType":"local-kms","kmsKeyId":"mykey","kmsProps":{"a":"1"},"doc":"orders"}""");
        await Ok(HttpMethod.Post, "/keks/kek1/deks/orders-value", $$"""{"encryptedKeyMaterial":"{{material}}"}""");
        await Ok(HttpMethod.Post, "/keks/kek1/deks/orders-value", $$"""{"version":2,"algorithm":"AES256_SIV","encryptedKeyMaterial":"{{material}}"}""");
        await Ok(HttpMethod.Delete, "/keks/kek1/deks/orders-value/versions/2?algorithm=AES256_SIV");
        await Ok(HttpMethod.Post, "/keks", """{"name":"old","kmsType":"local-kms","kmsKeyId":"k0"}""");
        await Ok(HttpMethod.Post, "/keks/old/deks/gone-value", $$"""{"encryptedKeyMaterial":"{{material}}"}""");
        await Ok(HttpMethod.Delete, "/keks/old/deks/gone-value");
        await Ok(HttpMethod.Delete, "/keks/old");
        await Ok(HttpMethod.Post, "/keks", """{"name":"shared","kmsType":"local-kms","kmsKeyId":"k1","shared":true}""");
        await Ok(HttpMethod.Post, "/keks/shared/deks/pay-value", "{}");

        var file = Path.Combine(Path.GetTempPath(), "registry-export-" + Guid.NewGuid().ToString("N") + ".json");
        var export = await Cli.RunAsync("export", "--url", source.Url, "--file", file);
        Assert.True(export.Code == 0, export.ToString());
        Assert.DoesNotContain("keyMaterial\"", (await File.ReadAllTextAsync(file)).Replace("encryptedKeyMaterial\"", "", StringComparison.Ordinal));
        var import = await Cli.RunAsync("import", "--url", target.Url, "--file", file);
        Assert.True(import.Code == 0, import.ToString());
        Assert.Contains("3 KEKs and 4 DEK versions", import.Out);

        string Strip(string json)
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
            node.Remove("ts");
            node.Remove("keyMaterial");
            return node.ToJsonString();
        }
        foreach (var path in new[]
        {
            "/keks/kek1", "/keks/old?deleted=true", "/keks/shared", "/keks/kek1/deks/orders-value",
            "/keks/kek1/deks/orders-value/versions/2?algorithm=AES256_SIV&deleted=true", "/keks/old/deks/gone-value?deleted=true",
        })
        {
            Assert.Equal(Strip(await source.GetAsync("/dek-registry/v1" + path)), Strip(await target.GetAsync("/dek-registry/v1" + path)));
        }
        Assert.Equal(await source.GetAsync("/dek-registry/v1/keks?deleted=true"), await target.GetAsync("/dek-registry/v1/keks?deleted=true"));
        var (status, _) = await target.SendAsync(HttpMethod.Get, "/dek-registry/v1/keks/old");
        Assert.Equal(404, status);
        // The shared KEK's DEK came over wrapped, and the target (with the same KMS secret) opens it to the same raw key.
        using var sourceDek = System.Text.Json.JsonDocument.Parse(await source.GetAsync("/dek-registry/v1/keks/shared/deks/pay-value"));
        using var targetDek = System.Text.Json.JsonDocument.Parse(await target.GetAsync("/dek-registry/v1/keks/shared/deks/pay-value"));
        Assert.Equal(sourceDek.RootElement.GetProperty("keyMaterial").GetString(), targetDek.RootElement.GetProperty("keyMaterial").GetString());
    }
}
