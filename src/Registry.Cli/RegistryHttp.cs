using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Registry.Cli;

/// <summary>The Confluent REST API as the CLI uses it: works against our registry and Confluent's.</summary>
public sealed class RegistryHttp : IDisposable
{
    private readonly HttpClient _http;

    public RegistryHttp(string url, string? user, string? token, TimeSpan timeout)
    {
        _http = new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/"), Timeout = timeout };
        _http.DefaultRequestHeaders.Accept.ParseAdd("application/vnd.schemaregistry.v1+json");
        if (!string.IsNullOrEmpty(user))
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user)));
        else if (!string.IsNullOrEmpty(token))
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>Sends a request; returns status and body (JSON null when empty). Unreachable → exit 3.</summary>
    public async Task<(int Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/vnd.schemaregistry.v1+json");
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonNode? json = null;
            try
            {
                json = text.Length == 0 ? null : JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                json = JsonValue.Create(text);
            }
            if ((int)response.StatusCode is 401 or 403)
                throw new CliException(ExitCodes.UsageOrInput, $"The registry refused the credentials ({(int)response.StatusCode}): {Message(json)}");
            return ((int)response.StatusCode, json);
        }
        catch (HttpRequestException e)
        {
            throw new CliException(ExitCodes.Unreachable, $"Cannot reach the registry at {_http.BaseAddress}: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Unreachable, $"The registry at {_http.BaseAddress} did not answer within {_http.Timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Like <see cref="SendAsync"/>, but any non-2xx is an error with the registry's message.</summary>
    public async Task<JsonNode?> CallAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        var (status, json) = await SendAsync(method, path, body, cancellationToken);
        if (status is >= 200 and < 300) return json;
        var code = status >= 500 ? ExitCodes.Unreachable : ExitCodes.UsageOrInput;
        throw new CliException(code, $"{method} /{path.TrimStart('/')} failed with {status}: {Message(json)}");
    }

    public static string Subject(string subject) => Uri.EscapeDataString(subject);

    public static string Message(JsonNode? json) =>
        json is JsonObject o && o["message"] is { } m ? $"{m} (error_code {o["error_code"]})" : json?.ToJsonString() ?? "(no body)";

    public void Dispose() => _http.Dispose();
}
