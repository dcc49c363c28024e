using System.Text.Json;

namespace Registry.Server.Http;

/// <summary>
/// Reads JSON request bodies with our limits and error shapes. ValueTasks: a body already received (the usual small one)
/// is read without a task allocated for it.
/// </summary>
internal static class RequestBody
{
    public static async ValueTask<T> ReadAsync<T>(HttpContext context) where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(context.Request.Body, RegistryJson.Options, context.RequestAborted);
            return value ?? throw new RequestBodyException(422, "The request body is empty or null");
        }
        catch (JsonException e) when (e.Path is not null && e.Message.Contains("could not be converted", StringComparison.Ordinal))
        {
            throw new RequestBodyException(422, $"Invalid value at {e.Path}: the JSON value has the wrong type");
        }
        catch (JsonException e)
        {
            throw new RequestBodyException(400, $"Malformed JSON in request body: {FirstLine(e.Message)}");
        }
    }

    /// <summary>A body that may be left out (no content): null then.</summary>
    public static async ValueTask<T?> ReadOptionalAsync<T>(HttpContext context) where T : class =>
        context.Request.ContentLength is 0 || (context.Request.ContentLength is null && !context.Request.Headers.ContainsKey("Transfer-Encoding"))
            ? null
            : await ReadAsync<T>(context);

    private static string FirstLine(string message)
    {
        var i = message.IndexOf(". Path", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message;
    }
}
