using Registry.Core.Formats;
using Registry.Core.Model;
using Registry.Formats.Avro;

namespace Registry.Formats.Tests.Avro;

internal static class AvroFixture
{
    public static readonly AvroFormat Format = new(new FormatLimits());

    public static ParsedSchema Parse(string schema, bool normalize = false) => Format.Parse(schema, [], normalize);

    /// <summary>Checks a new schema against previous ones (oldest first) as the registry does at a level.</summary>
    public static bool IsCompatible(CompatibilityLevel level, string candidate, params string[] previous)
    {
        var c = Parse(candidate);
        var against = level.IsTransitive() ? previous.Reverse() : previous.TakeLast(1);
        foreach (var p in against)
        {
            var old = Parse(p);
            if (level.ChecksBackward() && Format.CheckCompatibility(c, old, "new", "old").Count > 0) return false;
            if (level.ChecksForward() && Format.CheckCompatibility(old, c, "old", "new").Count > 0) return false;
        }
        return true;
    }
}
