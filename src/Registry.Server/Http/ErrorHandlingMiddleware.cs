using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Registry.Core;

namespace Registry.Server.Http;

/// <summary>The one place failures become Confluent <c>{error_code, message}</c> bodies; never a stack trace.</summary>
internal sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger, Microsoft.Extensions.Options.IOptions<Hosting.RegistryOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            if (!PathIsUtf8(context.Features.Get<IHttpRequestFeature>()?.RawTarget))
            {
                // Kestrel leaves invalid percent-encoded UTF-8 as literal "%FF" text, which would alias a real subject name.
                await RegistryJson.Error(400, Errors.BadRequest, "The request path is not valid UTF-8 after percent-decoding").ExecuteAsync(context);
                return;
            }
            await next(context);
            // Routing's own answers: no endpoint (404), or its "405 HTTP Method Not Supported" endpoint; they get Confluent's JSON body too.
            if (context.Response is { HasStarted: false, StatusCode: 404 or 405 } && context.Response.ContentLength is null
                && (context.GetEndpoint() is null || context.Response.StatusCode == 405 && context.GetEndpoint()?.DisplayName?.StartsWith("405", StringComparison.Ordinal) == true))
            {
                var status = context.Response.StatusCode;
                await RegistryJson.Error(status, status, status == 404 ? "HTTP 404 Not Found" : "HTTP 405 Method Not Allowed").ExecuteAsync(context);
            }
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            var (status, code, message) = Map(e);
            if (code == Errors.IncompatibleSchema) code = options.Value.IncompatibleErrorCode;
            if (status >= 500) LogFailure(logger, context.Request.Method, context.Request.Path, code, e);
            context.Response.Clear();
            await RegistryJson.Error(status, code, message).ExecuteAsync(context);
        }
    }

    /// <summary>Whether the path part of a raw request target is valid UTF-8 once percent-decoded.</summary>
    internal static bool PathIsUtf8(string? rawTarget)
    {
        if (rawTarget is null || !rawTarget.Contains('%')) return true;
        var end = rawTarget.IndexOf('?');
        var path = end < 0 ? rawTarget : rawTarget[..end];
        var bytes = new List<byte>(path.Length);
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '%' && i + 2 < path.Length && byte.TryParse(path.AsSpan(i + 1, 2), System.Globalization.NumberStyles.HexNumber, null, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else if (path[i] < 0x80)
            {
                bytes.Add((byte)path[i]);
            }
            else
            {
                return false; // raw non-ASCII in the target: Kestrel would have refused it already
            }
        }
        return System.Text.Unicode.Utf8.IsValid(bytes.ToArray());
    }

    internal static (int Status, int Code, string Message) Map(Exception e) => e switch
    {
        RegistryException r => (r.HttpStatus, r.ErrorCode, r.Message),
        BadHttpRequestException { StatusCode: 413 } => (413, Errors.PayloadTooLarge, "Request body is larger than the configured limit (Registry:MaxRequestBodyBytes)"),
        BadHttpRequestException b => (b.StatusCode, b.StatusCode, b.Message),
        RequestBodyException b => (b.Status, b.Status, b.Message),
        Core.Events.LogConflictException => (500, Errors.StoreError, "Concurrent writes kept conflicting; retry the request"),
        JsonException j => (400, Errors.BadRequest, $"Malformed request body: {j.Message}"),
        _ => (500, Errors.InternalError, "Internal server error"),
    };

    [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "{Method} {Path} failed with {ErrorCode}")]
    private static partial void LogFailure(ILogger logger, string method, string path, int errorCode, Exception exception);
}

/// <summary>A request body we cannot read: malformed JSON (400) or values of the wrong type (422).</summary>
internal sealed class RequestBodyException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
