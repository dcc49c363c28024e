using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Registry.Server.Hosting;

namespace Registry.Ui.Tests;

/// <summary>A real registry with some subjects, and a real headless Chromium (Debian's) driven by Playwright.</summary>
public sealed class UiFixture : IAsyncLifetime
{
    private WebApplication? _app;
    private IPlaywright? _playwright;
    private readonly string _data = Path.Combine(Path.GetTempPath(), "registry-ui-" + Guid.NewGuid().ToString("N"));

    public string Url { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _app = RegistryApp.Build(["--urls", "http://127.0.0.1:0", "--data-dir", _data, "--Logging:LogLevel:Default=Warning"]);
        await _app.StartAsync();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        await SeedAsync();
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";
        if (!File.Exists(chromium)) throw new InvalidOperationException($"Chromium not found at {chromium}: install the Debian package 'chromium' (.ci/run does).");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    private async Task SeedAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Url) };
        async Task Post(string path, string json) =>
            (await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/vnd.schemaregistry.v1+json"))).EnsureSuccessStatusCode();
        string Body(string schema, string extra = "") => "{\"schema\":" + System.Text.Json.JsonSerializer.Serialize(schema) + extra + "}";
        await Post("/subjects/payments-value/versions", Body("""{"type":"record","name":"Payment","namespace":"shop","fields":[{"name":"id","type":"string"}]}""",
            ",\"metadata\":{\"properties\":{\"owner\":\"team-payments\"},\"tags\":{\"id\":[\"PII\"]}}"));
        await Post("/subjects/payments-value/versions", Body("""{"type":"record","name":"Payment","namespace":"shop","fields":[{"name":"id","type":"string"},{"name":"amount","type":"double","default":0}]}"""));
        await Post("/subjects/address-value/versions", Body("""{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"street","type":"string"}]}"""));
        await Post("/subjects/customer-value/versions", Body("""{"type":"record","name":"Customer","namespace":"shop","fields":[{"name":"home","type":"shop.Address"}]}""",
            ",\"references\":[{\"name\":\"shop.Address\",\"subject\":\"address-value\",\"version\":1}]"));
        for (var i = 0; i < 60; i++)
            await Post($"/subjects/bulk-{i:D3}/versions", Body("{\"type\":\"object\",\"properties\":{\"f" + i + "\":{\"type\":\"string\"}}}", ",\"schemaType\":\"JSON\""));
    }

    public async Task<IPage> NewPageAsync() => await (await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } })).NewPageAsync();

    /// <summary>Saves a screenshot when REGISTRY_SCREENSHOTS names a directory (docs/images is made this way).</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var dir = Environment.GetEnvironmentVariable("REGISTRY_SCREENSHOTS");
        if (string.IsNullOrEmpty(dir)) return;
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + ".png"), FullPage = true });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        try { Directory.Delete(_data, true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class UiCollection : ICollectionFixture<UiFixture>
{
    public const string Name = "ui";
}
