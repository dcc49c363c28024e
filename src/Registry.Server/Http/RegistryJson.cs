using System.Text.Json;
using System.Text.Json.Serialization;
using Registry.Core.Model;

namespace Registry.Server.Http;

/// <summary>The JSON options of the REST API and an <see cref="IResult"/> that writes with the negotiated content type.</summary>
internal static class RegistryJson
{
    public static readonly JsonSerializerOptions Options = new(CanonicalJson.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.Strict,
        PropertyNameCaseInsensitive = false,
    };

    public static IResult Ok<T>(T value) => new JsonBody<T>(value, StatusCodes.Status200OK);

    public static IResult Created<T>(T value) => new JsonBody<T>(value, StatusCodes.Status201Created);

    public static IResult Error(int status, int errorCode, string message) =>
        new JsonBody<ErrorBody>(new ErrorBody(errorCode, message), status);

    /// <summary>Writes JSON with the content type chosen by <see cref="ContentNegotiationMiddleware"/>.</summary>
    private sealed class JsonBody<T>(T value, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            // Serialized whole, then written once with its length: no chunked framing and no asynchronous serializer per
            // response, and a value that fails to serialize is still answered with a clean error.
            var body = JsonSerializer.SerializeToUtf8Bytes(value, Options);
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = ContentNegotiationMiddleware.ResponseType(httpContext);
            response.ContentLength = body.Length;
            return response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
        }
    }
}
