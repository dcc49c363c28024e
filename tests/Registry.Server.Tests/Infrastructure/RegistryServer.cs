using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Registry.Server.Hosting;

namespace Registry.Server.Tests.Infrastructure;

/// <summary>The real server on a free loopback port with its own data directory.</summary>
public sealed class RegistryServer : IAsyncLifetime, IAsyncDisposable
{
    private WebApplication? _app;

    public string DataDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "registry-tests-" + Guid.NewGuid().ToString("N"));

    /// <summary>Leaves the data directory when disposed, for a server started on it next (a restart).</summary>
    public bool KeepData { get; init; }

    public string Url { get; private set; } = "";

    public HttpClient Http { get; private set; } = new();

    public WebApplication App => _app ?? throw new InvalidOperationException("not started");

    public string[] ExtraArgs { get; init; } = [];

    public async Task InitializeAsync()
    {
        _app = RegistryApp.Build(["--urls", "http://127.0.0.1:0", "--data-dir", DataDirectory, "--Logging:LogLevel:Default=Warning", .. ExtraArgs]);
        await _app.StartAsync();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Http = new HttpClient { BaseAddress = new Uri(Url) };
        Http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.schemaregistry.v1+json"));
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            // As a real shutdown: hosted services stop (the follower, exporters) before the services are disposed.
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
        if (!KeepData)
        {
            try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
        }
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    /// <summary>Sends JSON with Confluent's content type and returns status and body.</summary>
    public Task<Reply> SendAsync(HttpMethod method, string path, string? json = null) => SendAsync(method, path, json, null);

    /// <summary>The same, signed in with HTTP basic credentials.</summary>
    public Task<Reply> SendAsAsync(string user, string password, HttpMethod method, string path, string? json = null) =>
        SendAsync(method, path, json, new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"))));

    private async Task<Reply> SendAsync(HttpMethod method, string path, string? json, AuthenticationHeaderValue? authorization)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = authorization;
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/vnd.schemaregistry.v1+json");
        using var response = await Http.SendAsync(request);
        return new Reply((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
    }

    public Task<Reply> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<Reply> PostAsync(string path, string json) => SendAsync(HttpMethod.Post, path, json);

    public Task<Reply> PutAsync(string path, string json) => SendAsync(HttpMethod.Put, path, json);

    public Task<Reply> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    /// <summary>A register/lookup body for a schema text.</summary>
    public static string Body(string schema, string? extra = null) =>
        "{\"schema\":" + System.Text.Json.JsonSerializer.Serialize(schema) + (extra is null ? "" : "," + extra) + "}";
}

/// <summary>A response: status, body and content type. Its ToString is the body, so failed assertions print it.</summary>
public sealed record Reply(int Status, string Body, string? ContentType)
{
    public System.Text.Json.JsonElement Json => System.Text.Json.JsonDocument.Parse(Body).RootElement;

    public int ErrorCode => Json.GetProperty("error_code").GetInt32();

    public override string ToString() => $"{Status} {Body}";
}
