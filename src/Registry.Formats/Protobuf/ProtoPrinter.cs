using System.Globalization;
using System.Text;
using Google.Protobuf.Reflection;

namespace Registry.Formats.Protobuf;

/// <summary>
/// Prints a FileDescriptorProto as .proto text, for schemas sent as base64 serialized descriptors.
/// Messages, fields (maps, oneofs, proto3 optional, proto2 defaults), enums, reserved ranges, services,
/// extensions and the common file options are printed; custom options are not (see docs/formats.md).
/// </summary>
internal static class ProtoPrinter
{
    public static string Print(FileDescriptorProto file, int maxDepth)
    {
        var sb = new StringBuilder();
        var proto3 = file.Syntax == "proto3";
        sb.Append(file.Syntax == "editions" ? $"edition = \"{file.Edition}\";\n" : $"syntax = \"{(proto3 ? "proto3" : "proto2")}\";\n");
        if (!string.IsNullOrEmpty(file.Package)) sb.Append($"package {file.Package};\n");
        for (var i = 0; i < file.Dependencies.Count; i++)
        {
            var kind = file.PublicDependencies.Contains(i) ? "public " : file.WeakDependencies.Contains(i) ? "weak " : "";
            sb.Append($"import {kind}{Quote(file.Dependencies[i])};\n");
        }
        var o = file.Options;
        if (o is not null)
        {
            Option(sb, "", "java_package", o.JavaPackage);
            Option(sb, "", "java_outer_classname", o.JavaOuterClassname);
            if (o.JavaMultipleFiles) sb.Append("option java_multiple_files = true;\n");
            Option(sb, "", "go_package", o.GoPackage);
            Option(sb, "", "csharp_namespace", o.CsharpNamespace);
            Option(sb, "", "objc_class_prefix", o.ObjcClassPrefix);
            Option(sb, "", "php_namespace", o.PhpNamespace);
            Option(sb, "", "ruby_package", o.RubyPackage);
            Option(sb, "", "swift_prefix", o.SwiftPrefix);
        }
        foreach (var message in file.MessageTypes) Message(sb, message, proto3, "", maxDepth);
        foreach (var e in file.EnumTypes) Enum(sb, e, "");
        foreach (var service in file.Services)
        {
            sb.Append($"service {service.Name} {{\n");
            foreach (var m in service.Methods)
                sb.Append($"  rpc {m.Name} ({(m.ClientStreaming ? "stream " : "")}{m.InputType}) returns ({(m.ServerStreaming ? "stream " : "")}{m.OutputType});\n");
            sb.Append("}\n");
        }
        Extensions(sb, file.Extensions, proto3, "");
        return sb.ToString();
    }

    private static void Message(StringBuilder sb, DescriptorProto message, bool proto3, string indent, int depth)
    {
        if (depth <= 0) throw new FormatException("messages are nested deeper than the limit");
        sb.Append($"{indent}message {message.Name} {{\n");
        var inner = indent + "  ";
        var printedOneofs = new HashSet<int>();
        foreach (var field in message.Fields)
        {
            if (field.ShouldSerializeOneofIndex() && !field.Proto3Optional)
            {
                if (!printedOneofs.Add(field.OneofIndex)) continue;
                sb.Append($"{inner}oneof {message.OneofDecls[field.OneofIndex].Name} {{\n");
                foreach (var member in message.Fields.Where(f => f.ShouldSerializeOneofIndex() && !f.Proto3Optional && f.OneofIndex == field.OneofIndex))
                    Field(sb, member, message, proto3, inner + "  ", inOneof: true);
                sb.Append($"{inner}}}\n");
                continue;
            }
            Field(sb, field, message, proto3, inner, inOneof: false);
        }
        foreach (var nested in message.NestedTypes.Where(n => n.Options?.MapEntry != true)) Message(sb, nested, proto3, inner, depth - 1);
        foreach (var e in message.EnumTypes) Enum(sb, e, inner);
        Extensions(sb, message.Extensions, proto3, inner);
        if (message.ReservedRanges.Count > 0)
            sb.Append($"{inner}reserved {string.Join(", ", message.ReservedRanges.Select(r => Range(r.Start, r.End - 1)))};\n");
        if (message.ReservedNames.Count > 0) sb.Append($"{inner}reserved {string.Join(", ", message.ReservedNames.Select(Quote))};\n");
        sb.Append($"{indent}}}\n");
    }

    private static void Field(StringBuilder sb, FieldDescriptorProto field, DescriptorProto owner, bool proto3, string indent, bool inOneof)
    {
        var entry = field.type == FieldDescriptorProto.Type.TypeMessage
            ? owner.NestedTypes.FirstOrDefault(n => n.Options?.MapEntry == true && field.TypeName.EndsWith("." + n.Name, StringComparison.Ordinal))
            : null;
        string type;
        var label = "";
        if (entry is not null)
        {
            type = $"map<{TypeOf(entry.Fields.First(f => f.Number == 1))}, {TypeOf(entry.Fields.First(f => f.Number == 2))}>";
        }
        else
        {
            type = TypeOf(field);
            if (!inOneof)
            {
                label = field.label switch
                {
                    FieldDescriptorProto.Label.LabelRepeated => "repeated ",
                    FieldDescriptorProto.Label.LabelRequired => "required ",
                    _ when !proto3 || field.Proto3Optional => "optional ",
                    _ => "",
                };
            }
        }
        var options = new List<string>();
        if (!string.IsNullOrEmpty(field.DefaultValue))
            options.Add("default = " + (field.type is FieldDescriptorProto.Type.TypeString or FieldDescriptorProto.Type.TypeBytes ? Quote(field.DefaultValue) : field.DefaultValue));
        if (field.Options?.ShouldSerializePacked() == true) options.Add($"packed = {(field.Options.Packed ? "true" : "false")}");
        if (field.Options?.Deprecated == true) options.Add("deprecated = true");
        var suffix = options.Count > 0 ? $" [{string.Join(", ", options)}]" : "";
        sb.Append($"{indent}{label}{type} {field.Name} = {field.Number.ToString(CultureInfo.InvariantCulture)}{suffix};\n");
    }

    private static void Enum(StringBuilder sb, EnumDescriptorProto e, string indent)
    {
        sb.Append($"{indent}enum {e.Name} {{\n");
        if (e.Options?.AllowAlias == true) sb.Append($"{indent}  option allow_alias = true;\n");
        foreach (var v in e.Values) sb.Append($"{indent}  {v.Name} = {v.Number.ToString(CultureInfo.InvariantCulture)};\n");
        if (e.ReservedRanges.Count > 0) sb.Append($"{indent}  reserved {string.Join(", ", e.ReservedRanges.Select(r => Range(r.Start, r.End)))};\n");
        if (e.ReservedNames.Count > 0) sb.Append($"{indent}  reserved {string.Join(", ", e.ReservedNames.Select(Quote))};\n");
        sb.Append($"{indent}}}\n");
    }

    private static void Extensions(StringBuilder sb, List<FieldDescriptorProto> extensions, bool proto3, string indent)
    {
        foreach (var group in extensions.GroupBy(x => x.Extendee))
        {
            sb.Append($"{indent}extend {group.Key} {{\n");
            foreach (var x in group)
            {
                var label = x.label == FieldDescriptorProto.Label.LabelRepeated ? "repeated " : proto3 ? "" : "optional ";
                sb.Append($"{indent}  {label}{TypeOf(x)} {x.Name} = {x.Number.ToString(CultureInfo.InvariantCulture)};\n");
            }
            sb.Append($"{indent}}}\n");
        }
    }

    private static string TypeOf(FieldDescriptorProto f) => f.type switch
    {
        FieldDescriptorProto.Type.TypeMessage or FieldDescriptorProto.Type.TypeEnum or FieldDescriptorProto.Type.TypeGroup => f.TypeName,
        _ => f.type.ToString()["Type".Length..].ToLowerInvariant(),
    };

    private static string Range(int start, int end) =>
        start == end ? start.ToString(CultureInfo.InvariantCulture)
        : $"{start.ToString(CultureInfo.InvariantCulture)} to {(end >= 536870911 ? "max" : end.ToString(CultureInfo.InvariantCulture))}";

    private static void Option(StringBuilder sb, string indent, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value)) sb.Append($"{indent}option {name} = {Quote(value)};\n");
    }

    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
