using System.Globalization;

namespace Registry.Core.Decisions;

/// <summary>A version in a path: 1..2^31-1, or "latest" / -1; anything else is 42202.</summary>
public static class VersionSpec
{
    public const int Latest = -1;

    public static int Parse(string text)
    {
        if (string.Equals(text, "latest", StringComparison.OrdinalIgnoreCase)) return Latest;
        if (text.Length is > 0 and <= 11
            && text.All(c => char.IsAsciiDigit(c) || c == '-')
            && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            && (n >= 1 || n == Latest))
            return n;
        throw Errors.InvalidVersionError(Errors.Printable(text, 50));
    }
}
