using System.Text.RegularExpressions;

namespace Registry.Formats;

/// <summary>
/// Compatibility messages for people: Confluent's <c>{errorType:…, description:…, additionalInfo:…}</c> strings
/// unwrapped to their sentence (type, path and what changed), without the trailing context entries
/// (<c>{oldSchemaVersion: …}</c>, <c>{oldSchema: …}</c>, <c>{validateFields: …}</c>) that the API keeps for Confluent clients.
/// </summary>
public static partial class CompatibilityText
{
    [GeneratedRegex("^\\{errorType:[\"']([^\"']*)[\"'], description:[\"'](.*?)[\"'](?:, additionalInfo:[\"'](.*?)[\"'])?\\}$", RegexOptions.Singleline)]
    private static partial Regex Entry();

    public static IReadOnlyList<string> Sentences(IReadOnlyList<string> messages) => [.. Differences(messages).Select(Sentence)];

    /// <summary>The messages that name a difference, without the trailing context entries.</summary>
    public static IEnumerable<string> Differences(IReadOnlyList<string> messages) =>
        messages.Where(m => !m.StartsWith("{oldSchema", StringComparison.Ordinal) && !m.StartsWith("{validateFields", StringComparison.Ordinal));

    public static string Sentence(string message)
    {
        if (Entry().Match(message) is not { Success: true } m) return message;
        var type = m.Groups[1].Value;
        var description = m.Groups[2].Value;
        // JSON Schema and Protobuf descriptions start with the type already; Avro's do not.
        var text = description.StartsWith(type, StringComparison.Ordinal) ? description : $"{type}: {description}";
        return m.Groups[3].Success && m.Groups[3].Value.Length > 0 ? $"{text} ({m.Groups[3].Value})" : text;
    }
}
