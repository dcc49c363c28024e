using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Registry.Server.Tests.Infrastructure;

/// <summary>
/// A real HTTP server on a loopback port standing in for a service the registry calls (an OIDC issuer,
/// an OTLP collector): it answers from a handler and records every request it received.
/// </summary>
public sealed class StubHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentQueue<(string Path, string ContentType, byte[] Body)> Requests { get; } = new();

    /// <summary>The <c>X-Registry-Signature</c> of each request answered with success, in order.</summary>
    public ConcurrentQueue<string> Signatures { get; } = new();

    public string Url { get; }

    private StubHttpServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public static async Task<StubHttpServer> StartAsync(Func<HttpRequest, (int Status, string? Json)> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        StubHttpServer? self = null;
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            self!.Requests.Enqueue((context.Request.Path, context.Request.ContentType ?? "", body.ToArray()));
            var (status, json) = handler(context.Request);
            if (status is >= 200 and < 300 && context.Request.Headers.TryGetValue("X-Registry-Signature", out var signature)) self.Signatures.Enqueue(signature.ToString());
            context.Response.StatusCode = status;
            if (json is not null)
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(json);
            }
        });
        await app.StartAsync();
        self = new StubHttpServer(app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return self;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
