namespace Registry.Formats.Tests;

/// <summary>Finds ../shared/conformance, the published vectors we test against (never copied into the project).</summary>
internal static class Conformance
{
    public static string Path(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { System.IO.Path.Combine(dir.FullName, "shared", "conformance"), System.IO.Path.Combine(dir.FullName, "..", "shared", "conformance") })
                if (Directory.Exists(candidate)) return System.IO.Path.Combine([System.IO.Path.GetFullPath(candidate), .. parts]);
        }
        throw new DirectoryNotFoundException("shared/conformance not found above " + AppContext.BaseDirectory);
    }
}
