namespace Registry.Server.Http;

/// <summary>Subject names from a path segment: Kestrel decodes everything but %2F, which clients send for '/'.</summary>
internal static class SubjectPath
{
    public static string Decode(string segment) =>
        segment.Contains('%') ? segment.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase) : segment;
}
