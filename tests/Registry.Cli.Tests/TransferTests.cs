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
}
