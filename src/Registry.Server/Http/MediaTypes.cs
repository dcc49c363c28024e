using Microsoft.Net.Http.Headers;

namespace Registry.Server.Http;

/// <summary>Confluent's content types and the negotiation its JAX-RS resources do.</summary>
internal static class MediaTypes
{
    public const string V1 = "application/vnd.schemaregistry.v1+json";
    public const string Generic = "application/vnd.schemaregistry+json";
    public const string Json = "application/json";
    public const string OctetStream = "application/octet-stream";

    // Produced types with Confluent's server-side quality (application/json has qs=0.5).
    private static readonly (string Type, double Qs)[] Produced = [(V1, 1.0), (Generic, 0.9), (Json, 0.5)];

    // A client sends the same Accept header on every request: its answer is kept, for a bounded number of short headers.
    private const int MaxRemembered = 256;
    private const int MaxRememberedLength = 512;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Remembered = new(StringComparer.Ordinal);

    /// <summary>The response type for an Accept header, or null when none is acceptable (406).</summary>
    public static string? Negotiate(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept)) return V1;
        if (Remembered.TryGetValue(accept, out var known)) return known.Length == 0 ? null : known;
        var type = Choose(accept);
        if (accept.Length <= MaxRememberedLength && Remembered.Count < MaxRemembered) Remembered.TryAdd(accept, type ?? "");
        return type;
    }

    private static string? Choose(string accept)
    {
        if (!MediaTypeHeaderValue.TryParseList(accept.Split(','), out var ranges)) return V1;
        string? best = null;
        var bestScore = 0.0;
        foreach (var (type, qs) in Produced)
        {
            var q = ranges.Where(r => Matches(r, type)).Select(r => r.Quality ?? 1.0).DefaultIfEmpty(0).Max();
            if (q * qs > bestScore)
            {
                bestScore = q * qs;
                best = type;
            }
        }
        return best;
    }

    /// <summary>Whether a request body of this Content-Type is accepted (a missing one is read as JSON).</summary>
    public static bool IsAcceptedRequestType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType)) return true;
        // A bare type, as clients send it, needs no parse (nor the parse's allocations); one with parameters is parsed.
        if (!contentType.Contains(';') && IsReadType(contentType.AsSpan().Trim())) return true;
        return MediaTypeHeaderValue.TryParse(contentType, out var parsed) && IsReadType(parsed.MediaType.AsSpan());
    }

    private static bool IsReadType(ReadOnlySpan<char> mediaType) =>
        mediaType.Equals(V1, StringComparison.OrdinalIgnoreCase)
        || mediaType.Equals(Generic, StringComparison.OrdinalIgnoreCase)
        || mediaType.Equals(Json, StringComparison.OrdinalIgnoreCase)
        || mediaType.Equals(OctetStream, StringComparison.OrdinalIgnoreCase);

    private static bool Matches(MediaTypeHeaderValue range, string type)
    {
        var value = range.MediaType.Value ?? "";
        if (value == "*/*") return true;
        if (value.EndsWith("/*", StringComparison.Ordinal)) return type.StartsWith(value[..^1], StringComparison.OrdinalIgnoreCase);
        return string.Equals(value, type, StringComparison.OrdinalIgnoreCase);
    }
}
