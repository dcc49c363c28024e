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
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            // Serialized whole, then written once with its length: no chunked framing and no asynchronous serializer per
            // response, and a value that fails to serialize is still answered with a clean error. The buffer and writer
            // are the thread's own, reused: an answer allocates no body array.
            var scratch = Scratch.Take();
            try
            {
                JsonSerializer.Serialize(scratch.Writer, value, Options);
                scratch.Writer.Flush();
                var response = httpContext.Response;
                response.StatusCode = status;
                response.ContentType = ContentNegotiationMiddleware.ResponseType(httpContext);
                response.ContentLength = scratch.Buffer.WrittenCount;
                await response.Body.WriteAsync(scratch.Buffer.WrittenMemory, httpContext.RequestAborted);
            }
            finally
            {
                scratch.Return();
            }
        }
    }

    /// <summary>A serialization buffer and its writer, one kept per thread; one that grew past 64 KiB is let go.</summary>
    private sealed class Scratch
    {
        private const int MaxKeptBytes = 64 * 1024;

        [ThreadStatic]
        private static Scratch? kept;

        public readonly System.Buffers.ArrayBufferWriter<byte> Buffer = new(1024);
        public readonly Utf8JsonWriter Writer;

        private Scratch() => Writer = new Utf8JsonWriter(Buffer, new JsonWriterOptions { Encoder = Options.Encoder, Indented = Options.WriteIndented, MaxDepth = Options.MaxDepth });

        /// <summary>The thread's scratch, or a new one while it is in use (an answer that awaited its write holds it).</summary>
        public static Scratch Take()
        {
            var scratch = kept ?? new Scratch();
            kept = null;
            return scratch;
        }

        public void Return()
        {
            if (Buffer.Capacity > MaxKeptBytes) return;
            Buffer.ResetWrittenCount();
            Writer.Reset(Buffer);
            kept = this;
        }
    }
}
