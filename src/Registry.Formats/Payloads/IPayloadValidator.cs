using Registry.Core.Formats;

namespace Registry.Formats.Payloads;

/// <summary>A format that can check serialized data against one of its schemas.</summary>
public interface IPayloadValidator
{
    /// <summary>Null when <paramref name="data"/> is valid for <paramref name="schema"/>, else why not.</summary>
    string? Validate(ParsedSchema schema, ReadOnlySpan<byte> data, IReadOnlyList<int> messageIndexes);
}
