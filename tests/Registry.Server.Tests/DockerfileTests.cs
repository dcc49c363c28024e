using System.Text.RegularExpressions;

namespace Registry.Server.Tests;

/// <summary>No Docker engine runs here, so the Dockerfile is checked against the solution layout instead.</summary>
public sealed class DockerfileTests
{
    private static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dockerfile")) && File.Exists(Path.Combine(dir.FullName, "Registry.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root with a Dockerfile");
    }

    private static string[] Lines => File.ReadAllLines(Path.Combine(Root, "Dockerfile"));

    [Fact]
    public void Every_path_the_build_copies_or_builds_exists()
    {
        var checkedPaths = 0;
        foreach (var line in Lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1];
            foreach (var source in parts)
            {
                Assert.True(File.Exists(Path.Combine(Root, source)) || Directory.Exists(Path.Combine(Root, source)), $"{source} in '{line}' does not exist");
                checkedPaths++;
            }
        }
        foreach (Match m in Regex.Matches(string.Join("\n", Lines), @"dotnet (?:restore|publish) (\S+\.csproj)"))
        {
            Assert.True(File.Exists(Path.Combine(Root, m.Groups[1].Value)), $"{m.Groups[1].Value} does not exist");
            checkedPaths++;
        }
        Assert.True(checkedPaths >= 8);
    }

    [Theory]
    [InlineData("Registry.Server")]
    [InlineData("Registry.Gateway")]
    public void The_projects_each_image_depends_on_are_all_restored_first(string project)
    {
        var csproj = File.ReadAllText(Path.Combine(Root, $"src/{project}/{project}.csproj"));
        var dockerfile = string.Join("\n", Lines);
        Assert.Contains($"dotnet restore src/{project}/{project}.csproj", dockerfile);
        foreach (Match m in Regex.Matches(csproj, @"Include=""\.\.\\([^\\]+)\\"))
            Assert.Contains($"src/{m.Groups[1].Value}/{m.Groups[1].Value}.csproj", dockerfile);
    }

    [Fact]
    public void The_runtime_image_runs_as_non_root_with_data_on_a_volume()
    {
        var runtime = Lines.SkipWhile(l => !l.Contains("AS runtime", StringComparison.Ordinal)).ToList();
        Assert.Contains(runtime, l => l.StartsWith("USER ", StringComparison.Ordinal) && !l.Contains("root", StringComparison.Ordinal));
        Assert.Contains(runtime, l => l == "VOLUME /data");
        Assert.Contains(runtime, l => l.Contains("Registry__DataDirectory=/data", StringComparison.Ordinal));
        Assert.Contains(runtime, l => l == "EXPOSE 8081");
    }
}
