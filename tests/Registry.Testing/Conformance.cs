namespace Registry.Testing;

/// <summary>
/// Confluent's published vectors in <c>../shared/conformance</c>: read from there, never copied into the
/// project. Suites that use them are skipped (not failed) on a machine without that folder.
/// </summary>
public static class Conformance
{
    /// <summary>The conformance folder, or null when this machine does not have it.</summary>
    public static string? Root { get; } = Find();

    public const string Missing = "../shared/conformance is not on this machine";

    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([Root ?? throw new DirectoryNotFoundException(Missing), .. parts]);

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { System.IO.Path.Combine(dir.FullName, "shared", "conformance"), System.IO.Path.Combine(dir.FullName, "..", "shared", "conformance") })
                if (Directory.Exists(candidate)) return System.IO.Path.GetFullPath(candidate);
        }
        return null;
    }
}
