namespace Registry.Cli;

/// <summary>A schema read from a file; the type comes from the extension unless given.</summary>
public sealed record SchemaFile(string Path, string Text, string SchemaType)
{
    public static SchemaFile Read(string path, string? type = null)
    {
        if (!File.Exists(path)) throw new CliException(ExitCodes.UsageOrInput, $"Schema file not found: {path}");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.UsageOrInput, $"Cannot read {path}: {e.Message}");
        }
        return new SchemaFile(path, text, type?.ToUpperInvariant() ?? TypeOf(path));
    }

    /// <summary>.avsc is AVRO, .proto is PROTOBUF, .json is JSON.</summary>
    public static string TypeOf(string path) => System.IO.Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".avsc" or ".avro" => "AVRO",
        ".proto" => "PROTOBUF",
        ".json" => "JSON",
        var other => throw new CliException(ExitCodes.UsageOrInput, $"Cannot tell the schema type of {path} from '{other}'; pass --type AVRO|JSON|PROTOBUF"),
    };

    /// <summary>The schema files of a path: the file itself, or the schema files of a directory, sorted.</summary>
    public static IReadOnlyList<string> Expand(string path) =>
        Directory.Exists(path)
            ? Directory.GetFiles(path).Where(f => System.IO.Path.GetExtension(f).ToLowerInvariant() is ".avsc" or ".avro" or ".proto" or ".json" && !System.IO.Path.GetFileName(f).Equals("contract.json", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList()
            : [path];
}
