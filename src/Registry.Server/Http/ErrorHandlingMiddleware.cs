using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Registry.Core;

namespace Registry.Server.Http;

/// <summary>The one place failures become Confluent <c>{error_code, message}</c> bodies; never a stack trace.</summary>
internal sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
            if (context.Response is { HasStarted: false, StatusCode: 404 or 405 } && context.Response.ContentLength is null && context.GetEndpoint() is null)
            {
                var status = context.Response.StatusCode;
                await RegistryJson.Error(status, status, status == 404 ? "HTTP 404 Not Found" : "HTTP 405 Method Not Allowed").ExecuteAsync(context);
            }
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            var (status, code, message) = Map(e);
            if (status >= 500) LogFailure(logger, context.Request.Method, context.Request.Path, code, e);
            context.Response.Clear();
            await RegistryJson.Error(status, code, message).ExecuteAsync(context);
        }
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
