using System.Net;
using Registry.Core;
using Registry.Core.Events;
using Registry.Storage;

namespace Registry.Server.Http;

/// <summary>
/// Sends a write to the store's writer when this node is not it (the Kafka store has one elected writer), as
/// Confluent's followers forward to their leader: same method, path, query, headers and body; the writer's answer
/// is returned as it is. Failure to reach the writer is 50003; no writer known within the write budget is 50004.
/// </summary>
internal sealed class WriterForwarding(RegistryEngine engine)
{
    /// <summary>Set on a forwarded request, so that a node that is not the writer either answers it or fails, never forwards it again.</summary>
    public const string ForwardedHeader = "X-Registry-Forwarded";

    private static readonly HttpClient Shared = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2), ConnectTimeout = TimeSpan.FromSeconds(5) }) { Timeout = Timeout.InfiniteTimeSpan };
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Connection", "Content-Length",
    };

    /// <summary>Where this node listens, announced when it becomes the writer.</summary>
    public string? ListeningUrl { get; private set; }

    public void Listening(ICollection<string> urls)
    {
        var url = urls.FirstOrDefault();
        if (url is null) return;
        var uri = new Uri(url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal));
        var host = uri.Host is "0.0.0.0" or "[::]" or "::" ? Dns.GetHostName() : uri.Host;
        ListeningUrl = new UriBuilder(uri) { Host = host }.Uri.ToString().TrimEnd('/');
    }

    public async Task ForwardAsync(HttpContext context, string writerUrl, TimeSpan timeout)
    {
        var request = context.Request;
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), writerUrl.TrimEnd('/') + request.Path.ToUriComponent() + request.QueryString.ToUriComponent());
        if (request.Body.CanSeek) request.Body.Position = 0;
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0) message.Content = new StreamContent(request.Body);
        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name)) continue;
            if (!message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values)) message.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        message.Headers.TryAddWithoutValidation(ForwardedHeader, "1");
        HttpResponseMessage reply;
        // A writer that is paused or gone must not hold the caller longer than a write may take.
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        budget.CancelAfter(timeout);
        try
        {
            reply = await Shared.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, budget.Token);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            throw new RegistryException(Errors.RequestForwardingFailed, $"Error while forwarding the request to the writer at {writerUrl}: {e.Message}");
        }
        using (reply)
        {
            context.Response.StatusCode = (int)reply.StatusCode;
            foreach (var (name, values) in reply.Headers.Concat(reply.Content.Headers))
                if (!HopByHop.Contains(name)) context.Response.Headers[name] = values.ToArray();
            await reply.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
        // Read-your-writes here too: the writer answered after its records were committed, so they are in the log now.
        if (reply.IsSuccessStatusCode)
        {
            try { await engine.CatchUpAsync(context.RequestAborted); }
            catch (RegistryException) { }
        }
    }
}

/// <summary>Runs the request; when the engine says this node is not the writer, forwards it (once) to the writer.</summary>
internal sealed class WriterForwardingMiddleware(RequestDelegate next, WriterForwarding forwarding, RegistryEngine engine, Microsoft.Extensions.Options.IOptions<Hosting.RegistryOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (options.Value.Store != "kafka" || HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
        {
            await next(context);
            return;
        }
        context.Request.EnableBuffering();
        var deadline = DateTime.UtcNow.AddMilliseconds(options.Value.WriteTimeoutMs);
        while (true)
        {
            try
            {
                await next(context);
                return;
            }
            catch (NotWriterException e) when (!context.Response.HasStarted)
            {
                var forwarded = context.Request.Headers.ContainsKey(WriterForwarding.ForwardedHeader);
                if (e.WriterUrl.Length > 0 && !forwarded)
                {
                    // The writer's own budget plus a margin, so its answer (50001, 50002) reaches the client rather than our 50003.
                    await forwarding.ForwardAsync(context, e.WriterUrl, TimeSpan.FromMilliseconds(options.Value.WriteTimeoutMs + 2000));
                    return;
                }
                // No writer known yet (an election is running), or we were named the writer but are not (any more).
                // Reading the log learns a new writer's address, or shows that the store itself cannot be reached.
                RegistryException? storeDown = null;
                try { await engine.CatchUpAsync(context.RequestAborted); }
                catch (RegistryException s) when (s.ErrorCode == Errors.StoreError) { storeDown = s; }
                if (DateTime.UtcNow > deadline)
                    throw storeDown ?? new RegistryException(Errors.UnknownLeader, forwarded
                        ? "This node is not the writer of the Kafka store any more; retry the request"
                        : "No writer of the Kafka store is known; retry the request");
                await Task.Delay(100, context.RequestAborted);
                context.Request.Body.Position = 0;
            }
        }
    }
}
