using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Registry.Server.Hosting;

namespace Registry.Cli.Tests;

/// <summary>A real registry on a free loopback port with its own data, for one test.</summary>
public sealed class TestRegistry : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _data;

    public string Url { get; }

    private TestRegistry(WebApplication app, string data, string url)
    {
        _app = app;
        _data = data;
        Url = url;
    }

    public static async Task<TestRegistry> StartAsync(params string[] extraArgs)
    {
        var data = Path.Combine(Path.GetTempPath(), "registry-cli-" + Guid.NewGuid().ToString("N"));
        var app = RegistryApp.Build(["--urls", "http://127.0.0.1:0", "--data-dir", data, "--Logging:LogLevel:Default=Warning", .. extraArgs]);
        await app.StartAsync();
        return new TestRegistry(app, data, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task<string> GetAsync(string path)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(Url + path);
    }

    /// <summary>Status and body of a request with a JSON body in Confluent's content type, as <paramref name="user"/> (name:password) when given.</summary>
    public async Task<(int Status, string Body)> SendAsync(HttpMethod method, string path, string? json = null, string? user = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(method, Url + path);
        if (user is not null) request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(user)));
        if (json is not null) request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/vnd.schemaregistry.v1+json");
        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        try { Directory.Delete(_data, true); } catch (IOException) { }
    }
}

/// <summary>Runs the CLI in-process and captures what it prints.</summary>
public static class Cli
{
    public sealed record Result(int Code, string Out, string Err)
    {
        public override string ToString() => $"exit {Code}\nstdout: {Out}\nstderr: {Err}";
    }

    public static async Task<Result> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error);
        return new Result(code, output.ToString(), error.ToString());
    }

    public static string Temp(string name, string content)
    {
        var dir = Path.Combine(Path.GetTempPath(), "registry-cli-files-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    public static string Examples()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "contracts", "examples", "shop");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("contracts/examples/shop");
    }

    public static string CopyDirectory(string source)
    {
        var target = Path.Combine(Path.GetTempPath(), "registry-cli-contracts-" + Guid.NewGuid().ToString("N"));
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }
}
