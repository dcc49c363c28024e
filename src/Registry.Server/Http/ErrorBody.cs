using System.Text.Json.Serialization;

namespace Registry.Server.Http;

/// <summary>Confluent's error body.</summary>
public sealed record ErrorBody(
    [property: JsonPropertyName("error_code")] int ErrorCode,
    [property: JsonPropertyName("message")] string Message);
