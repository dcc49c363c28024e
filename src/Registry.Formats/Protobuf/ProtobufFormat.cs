using Google.Protobuf.Reflection;
using Registry.Core;
using Registry.Core.Formats;

namespace Registry.Formats.Protobuf;

/// <summary>
/// Protobuf: <c>.proto</c> text parsed by protobuf-net.Reflection (proto2 and proto3) into descriptors;
/// imports resolve through registry references, Google's well-known types and Confluent's built-ins.
/// Compared with Confluent's Protobuf difference types.
/// </summary>
public sealed class ProtobufFormat(FormatLimits limits) : ISchemaFormat, Payloads.IPayloadValidator
{
    public const string Type = "PROTOBUF";
    private const string MainFile = "__registry_main.proto";

    public string SchemaType => Type;

    public ParsedSchema Parse(string schema, IReadOnlyList<ResolvedReference> references, bool normalize)
    {
        var text = schema.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        if (text.Length == 0) throw Errors.InvalidSchemaError("Invalid schema: empty .proto");
        if (LooksLikeBase64(text)) text = FromDescriptor(text);
        if (text.Length > 0 && Depth(text) > limits.MaxNestingDepth)
            throw Errors.InvalidSchemaError($"Invalid schema: nesting is deeper than the limit of {limits.MaxNestingDepth}");
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var reference in references)
        {
            if (reference.SchemaType != Type)
                throw Errors.InvalidSchemaError($"Invalid schema: reference '{reference.Name}' is a {reference.SchemaType} schema; a .proto can only import .proto files");
            files[reference.Name] = DescriptorText(reference.Schema);
        }
        var set = new FileDescriptorSet { FileSystem = new ReferenceFiles(files) };
        set.AddImportPath("");
        set.Add(MainFile, includeInOutput: true, new StringReader(DescriptorText(text)));
        try
        {
            set.Process();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or NullReferenceException)
        {
            throw Errors.InvalidSchemaError($"Invalid schema: {e.Message}");
        }
        // As Confluent (Square Wire), a custom option whose extension is not declared is kept as written, not refused:
        // the canonical text comes from the source, so the option stays in the stored schema.
        var errors = set.GetErrors().Where(e => e.IsError && !e.Message.StartsWith("unable to resolve custom option", StringComparison.Ordinal)).ToList();
        if (errors.Count > 0)
        {
            var first = errors[0];
            var where = first.File == MainFile ? "" : $" in import '{first.File}'";
            throw Errors.InvalidSchemaError($"Invalid schema: line {first.LineNumber}, column {first.ColumnNumber}{where}: {first.Message}" +
                (errors.Count > 1 ? $" (and {errors.Count - 1} more errors)" : ""));
        }
        var main = set.Files.Single(f => f.Name == MainFile);
        var layout = ProtoText.Canonical(text, normalize);
        return new ProtobufSchema(CanonicalText(text, normalize, main) ?? layout, layout, main, set.Files.ToList());
    }

    public IReadOnlyList<string> CheckCompatibility(ParsedSchema reader, ParsedSchema writer, string readerLabel, string writerLabel, bool lenient = false) =>
        ProtobufDiff.Compare((ProtobufSchema)writer, (ProtobufSchema)reader)
            .Where(d => !ProtobufDiff.Compatible.Contains(d.Type))
            .Select(d => $"{{errorType:\"{d.Type}\", description:\"{d.Type} {d.Path}: {ProtobufDiff.Sentence(d.Type, writerLabel, readerLabel)}\"}}")
            .ToList();

    public string? Validate(ParsedSchema schema, ReadOnlySpan<byte> data, IReadOnlyList<int> messageIndexes)
    {
        var proto = (ProtobufSchema)schema;
        var (message, name, error) = Resolve(proto, messageIndexes);
        return message is null ? error : ProtobufPayload.Validate(proto.Types, message, name, data, limits.MaxNestingDepth);
    }

    /// <summary>The message that Confluent message indexes select, with its full name, or why none is.</summary>
    internal static (DescriptorProto? Message, string Name, string? Error) Resolve(ProtobufSchema proto, IReadOnlyList<int> messageIndexes)
    {
        var messages = proto.File.MessageTypes;
        DescriptorProto? message = null;
        var name = "";
        foreach (var index in messageIndexes)
        {
            if (index >= messages.Count) return (null, "", $"message index {index} does not exist in the schema ({string.Join(",", messageIndexes)})");
            message = messages[index];
            name = name.Length == 0 ? message.Name : name + "." + message.Name;
            messages = message.NestedTypes;
        }
        if (message is null) return (null, "", "the payload names no message");
        return (message, string.IsNullOrEmpty(proto.File.Package) ? name : proto.File.Package + "." + name, null);
    }

    /// <summary>The schema as a base64 serialized FileDescriptorProto (<c>format=serialized</c>).</summary>
    public static string Serialized(ParsedSchema schema)
    {
        var file = ((ProtobufSchema)schema).File;
        var copy = ProtoBuf.Serializer.DeepClone(file);
        copy.Name = "schema.proto";
        using var stream = new MemoryStream();
        ProtoBuf.Serializer.Serialize(stream, copy);
        return Convert.ToBase64String(stream.ToArray());
    }

    /// <summary>All differences from an original to an update, as "TYPE path" (the conformance vectors' form).</summary>
    internal static IReadOnlyList<string> Differences(ParsedSchema original, ParsedSchema update) =>
        ProtobufDiff.Compare((ProtobufSchema)original, (ProtobufSchema)update).Select(d => $"{d.Type} {d.Path}").ToList();

    /// <summary>The text given to the descriptor parser: explicit map entries (Confluent's printing of a descriptor) as map fields.</summary>
    private static string DescriptorText(string text)
    {
        try
        {
            return ProtoCanonical.WithMapFields(text);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException or ArgumentException or InvalidOperationException)
        {
            return text;
        }
    }

    /// <summary>
    /// Confluent's canonical printing; null for the rare text the element reader does not follow (the descriptor parser
    /// accepted it), which is then stored in the token layout rather than refused.
    /// </summary>
    internal static string? CanonicalText(string text, bool normalize, FileDescriptorProto main)
    {
        try
        {
            return ProtoCanonical.Print(text, normalize, main);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A base64 serialized FileDescriptorProto has no braces or semicolons, which every .proto with a message has.</summary>
    private static bool LooksLikeBase64(string text) =>
        !text.Contains('{') && !text.Contains(';') && text.Length % 4 == 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=');

    private string FromDescriptor(string base64)
    {
        try
        {
            using var stream = new MemoryStream(Convert.FromBase64String(base64));
            var file = ProtoBuf.Serializer.Deserialize<FileDescriptorProto>(stream);
            return ProtoPrinter.Print(file, limits.MaxNestingDepth);
        }
        catch (Exception e) when (e is FormatException or ProtoBuf.ProtoException or InvalidOperationException or EndOfStreamException or OverflowException)
        {
            throw Errors.InvalidSchemaError($"Invalid schema: not a serialized FileDescriptorProto: {e.Message}");
        }
    }

    /// <summary>Brace nesting, counted without recursion, so a pathological file is refused before parsing.</summary>
    private static int Depth(string text)
    {
        int depth = 0, max = 0;
        foreach (var c in text)
        {
            if (c == '{') max = Math.Max(max, ++depth);
            else if (c == '}') depth--;
        }
        return max;
    }

    /// <summary>Imports: registry references by name, then Confluent's built-ins; nothing from disk.</summary>
    private sealed class ReferenceFiles(IReadOnlyDictionary<string, string> files) : IFileSystem
    {
        public bool Exists(string path) => files.ContainsKey(path) || BuiltInProtos.Files.ContainsKey(path);

        public TextReader? OpenText(string path) =>
            files.TryGetValue(path, out var text) || BuiltInProtos.Files.TryGetValue(path, out text) ? new StringReader(text) : null;
    }
}

/// <summary>A parsed .proto: the main file's descriptor and every file it imports.</summary>
internal sealed class ProtobufSchema(string canonical, string layout, FileDescriptorProto file, IReadOnlyList<FileDescriptorProto> allFiles) : ParsedSchema
{
    public override string SchemaType => ProtobufFormat.Type;

    public override string Canonical { get; } = canonical;

    /// <summary>Versions before Confluent's printing stored the token layout (<see cref="ProtoText"/>).</summary>
    public override string? LegacyCanonical { get; } = layout == canonical ? null : layout;

    public FileDescriptorProto File { get; } = file;

    public IReadOnlyList<FileDescriptorProto> AllFiles { get; } = allFiles;

    /// <summary>A field of the first message, the one a record is written with unless message indexes say otherwise.</summary>
    public override bool HasTopLevelField(string name) => File.MessageTypes.Count > 0 && File.MessageTypes[0].Fields.Any(f => f.Name == name);

    /// <summary>Every message and enum by full name, built once (payload checks use it per record).</summary>
    public TypeIndex Types => field ??= new TypeIndex(AllFiles);
}
