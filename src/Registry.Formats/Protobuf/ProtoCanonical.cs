using System.Globalization;
using System.Text;
using Google.Protobuf.Reflection;

namespace Registry.Formats.Protobuf;

/// <summary>
/// The canonical text of a .proto as Confluent prints it (<c>ProtobufSchemaUtils.toString</c> over Wire's elements):
/// syntax and package, then imports, options, messages (before enums), extends and services, each group after a blank
/// line; inside a message its reserved ranges, options, fields, oneofs, groups, extension ranges and nested types, each
/// group after a blank line (indented lines of a blank line keep their two spaces, as Confluent's appendIndented does);
/// a field's <c>default</c> and <c>json_name</c> after its other options; the trailing newline kept.
/// With <c>normalize</c>, as Confluent's normalized form: imports sorted and distinct, options by name, fields by number,
/// oneofs by their first field, enum constants by number, reserved values one per statement in order, option map keys
/// sorted, and field and rpc types fully qualified (<c>.pkg.Type</c>, from the resolved descriptor).
/// </summary>
/// <remarks>
/// Where Confluent drops something it cannot print (an enum's reserved ranges, an <c>extend</c> inside a message), it is
/// kept here, after the rest of its element, so no stored schema loses a declaration; a <c>bytes</c> default stays quoted.
/// </remarks>
internal sealed class ProtoCanonical
{
    private static readonly HashSet<string> Scalars = new(StringComparer.Ordinal)
    {
        "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
        "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
    };

    private readonly bool _normalize;
    private readonly Dictionary<string, DescriptorProto> _messages = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServiceDescriptorProto> _services = new(StringComparer.Ordinal);
    private readonly Stack<string> _scope = new();

    private ProtoCanonical(bool normalize, FileDescriptorProto? resolved)
    {
        _normalize = normalize;
        if (resolved is null) return;
        var prefix = string.IsNullOrEmpty(resolved.Package) ? "" : resolved.Package + ".";
        foreach (var message in resolved.MessageTypes) Index(prefix + message.Name, message);
        foreach (var service in resolved.Services) _services[prefix + service.Name] = service;
    }

    /// <summary>The canonical text; <paramref name="resolved"/> (the parsed descriptor) qualifies types when normalizing.</summary>
    public static string Print(string text, bool normalize, FileDescriptorProto? resolved)
    {
        var file = ProtoElementReader.Read(text);
        return new ProtoCanonical(normalize, resolved).File(file);
    }

    /// <summary>
    /// The same .proto with every explicit map entry message (<c>option map_entry = true</c>, as Confluent prints a schema
    /// that came from a descriptor) written as the <c>map&lt;K, V&gt;</c> field it stands for, which is the form the
    /// descriptor parser accepts; the text itself unchanged when it has none.
    /// </summary>
    public static string WithMapFields(string text)
    {
        if (!text.Contains("map_entry", StringComparison.Ordinal)) return text;
        var file = ProtoElementReader.Read(text);
        var changed = false;
        foreach (var message in file.Types.OfType<MessageElement>()) changed |= ExpandMapEntries(message);
        return changed ? new ProtoCanonical(normalize: false, resolved: null).File(file) : text;
    }

    private static bool ExpandMapEntries(MessageElement message)
    {
        var changed = false;
        foreach (var nested in message.NestedTypes.OfType<MessageElement>()) changed |= ExpandMapEntries(nested);
        var entries = message.NestedTypes.OfType<MessageElement>()
            .Where(n => n.Options.Any(o => !o.Parenthesized && o.Name == "map_entry" && o.Value as string == "true")
                && n.Fields.Any(f => f.Tag == 1) && n.Fields.Any(f => f.Tag == 2))
            .ToList();
        foreach (var entry in entries)
        {
            var key = entry.Fields.First(f => f.Tag == 1).Type;
            var value = entry.Fields.First(f => f.Tag == 2).Type;
            for (var i = 0; i < message.Fields.Count; i++)
            {
                var field = message.Fields[i];
                if (field.Label != "repeated" || (field.Type != entry.Name && !field.Type.EndsWith("." + entry.Name, StringComparison.Ordinal))) continue;
                message.Fields[i] = new FieldElement { Type = $"map<{key}, {value}>", Name = field.Name, Tag = field.Tag, Options = field.Options, JsonName = field.JsonName };
            }
            message.NestedTypes.Remove(entry);
            changed = true;
        }
        return changed;
    }

    private void Index(string fullName, DescriptorProto message)
    {
        _messages[fullName] = message;
        foreach (var nested in message.NestedTypes) Index(fullName + "." + nested.Name, nested);
    }

    private string FullName(string name) => _scope.Count == 0 ? name : _scope.Peek() + "." + name;

    private IDisposable Enter(string name)
    {
        _scope.Push(FullName(name));
        return new Leave(_scope);
    }

    private sealed class Leave(Stack<string> scope) : IDisposable
    {
        public void Dispose() => scope.Pop();
    }

    private IEnumerable<T> Sorted<T, TKey>(IEnumerable<T> items, Func<T, TKey> key, IComparer<TKey>? comparer = null) =>
        _normalize ? items.OrderBy(key, comparer) : items;

    private string File(ProtoFileElement file)
    {
        if (!string.IsNullOrEmpty(file.PackageName)) _scope.Push(file.PackageName);
        var sb = new StringBuilder();
        if (file.Syntax is not null) sb.Append("syntax = \"").Append(file.Syntax).Append("\";\n");
        if (file.Edition is not null) sb.Append("edition = \"").Append(file.Edition).Append("\";\n");
        if (file.PackageName is not null) sb.Append("package ").Append(file.PackageName).Append(";\n");
        if (file.Imports.Count > 0 || file.PublicImports.Count > 0)
        {
            sb.Append('\n');
            foreach (var import in Imports(file.Imports)) sb.Append("import \"").Append(import).Append("\";\n");
            foreach (var import in Imports(file.PublicImports)) sb.Append("import public \"").Append(import).Append("\";\n");
        }
        if (file.Options.Count > 0)
        {
            sb.Append('\n');
            foreach (var option in Options(file.Options)) sb.Append(OptionDeclaration(option));
        }
        if (file.Types.Count > 0)
        {
            // Messages before enums, each in declaration order: clients' message indexes count messages in this order.
            sb.Append('\n');
            foreach (var message in file.Types.OfType<MessageElement>()) sb.Append(Message(message));
            foreach (var e in file.Types.OfType<EnumElement>()) sb.Append(Enum(e));
        }
        if (file.ExtendDeclarations.Count > 0)
        {
            sb.Append('\n');
            foreach (var extend in file.ExtendDeclarations) sb.Append(Extend(extend));
        }
        if (file.Services.Count > 0)
        {
            sb.Append('\n');
            foreach (var service in file.Services) sb.Append(Service(service));
        }
        return sb.ToString();
    }

    private IEnumerable<string> Imports(List<string> imports) => _normalize ? imports.Distinct().Order(StringComparer.Ordinal) : imports;

    private IEnumerable<OptionElement> Options(IEnumerable<OptionElement> options) => Sorted(options, o => o.Name, StringComparer.Ordinal);

    private string Service(ServiceElement service)
    {
        var sb = new StringBuilder("service ").Append(service.Name).Append(" {");
        Section(sb, service.Options.Count > 0, Options(service.Options).Select(OptionDeclaration));
        if (service.Rpcs.Count > 0)
        {
            sb.Append('\n');
            var full = FullName(service.Name);
            foreach (var rpc in service.Rpcs) AppendIndented(sb, Rpc(rpc, _services.GetValueOrDefault(full)));
        }
        return sb.Append("}\n").ToString();
    }

    private string Rpc(RpcElement rpc, ServiceDescriptorProto? resolved)
    {
        var method = _normalize ? resolved?.Methods.FirstOrDefault(m => m.Name == rpc.Name) : null;
        var sb = new StringBuilder("rpc ").Append(rpc.Name).Append(" (");
        if (rpc.RequestStreaming) sb.Append("stream ");
        sb.Append(method?.InputType is { Length: > 0 } input ? Qualified(input) : rpc.RequestType).Append(") returns (");
        if (rpc.ResponseStreaming) sb.Append("stream ");
        sb.Append(method?.OutputType is { Length: > 0 } output ? Qualified(output) : rpc.ResponseType).Append(')');
        if (rpc.Options.Count > 0)
        {
            sb.Append(" {\n");
            foreach (var option in Options(rpc.Options)) AppendIndented(sb, OptionDeclaration(option));
            sb.Append('}');
        }
        return sb.Append(";\n").ToString();
    }

    private static string Qualified(string typeName) => typeName.StartsWith('.') ? typeName : "." + typeName;

    private string Enum(EnumElement e)
    {
        var sb = new StringBuilder("enum ").Append(e.Name).Append(" {");
        if (e.Options.Count > 0 || e.Constants.Count > 0 || e.Reserveds.Count > 0) sb.Append('\n');
        foreach (var option in Options(e.Options)) AppendIndented(sb, OptionDeclaration(option));
        var constants = _normalize ? e.Constants.OrderBy(c => c.Tag).ThenBy(c => c.Name, StringComparer.Ordinal) : (IEnumerable<EnumConstantElement>)e.Constants;
        foreach (var constant in constants)
        {
            var line = new StringBuilder(constant.Name).Append(" = ").Append(constant.Tag.ToString(CultureInfo.InvariantCulture));
            if (constant.Options.Count > 0) AppendOptions(line.Append(' '), Options(constant.Options).ToList());
            AppendIndented(sb, line.Append(";\n").ToString());
        }
        foreach (var reserved in Reserveds(e.Reserveds)) AppendIndented(sb, reserved);
        return sb.Append("}\n").ToString();
    }

    private string Message(MessageElement message)
    {
        using var scope = Enter(message.Name);
        _messages.TryGetValue(_scope.Peek(), out var resolved);
        var sb = new StringBuilder("message ").Append(message.Name).Append(" {");
        Section(sb, message.Reserveds.Count > 0, Reserveds(message.Reserveds));
        Section(sb, message.Options.Count > 0, Options(message.Options).Select(OptionDeclaration));
        Section(sb, message.Fields.Count > 0, Sorted(message.Fields, f => f.Tag).Select(field => Field(field, resolved)));
        if (message.OneOfs.Count > 0)
        {
            sb.Append('\n');
            var oneOfs = _normalize
                ? message.OneOfs.Where(o => o.Fields.Count > 0).OrderBy(o => o.Fields.Min(f => f.Tag))
                : (IEnumerable<OneOfElement>)message.OneOfs;
            foreach (var oneOf in oneOfs) AppendIndented(sb, OneOf(oneOf, resolved));
        }
        Section(sb, message.Groups.Count > 0, message.Groups.Select(Group));
        Section(sb, message.Extensions.Count > 0, message.Extensions.Select(Extensions));
        if (message.NestedTypes.Count > 0)
        {
            sb.Append('\n');
            foreach (var nested in message.NestedTypes.OfType<MessageElement>()) AppendIndented(sb, Message(nested));
            foreach (var nested in message.NestedTypes.OfType<EnumElement>()) AppendIndented(sb, Enum(nested));
        }
        Section(sb, message.Extends.Count > 0, message.Extends.Select(Extend));
        return sb.Append("}\n").ToString();
    }

    /// <summary>Reserved statements: as written, or (normalized) one value per statement, numbers first in order, then names.</summary>
    private IEnumerable<string> Reserveds(List<List<RangeValue>> reserveds)
    {
        var statements = _normalize
            ? reserveds.SelectMany(r => r).Select(v => new List<RangeValue> { v })
                .OrderBy(r => r[0].Name is null ? r[0].Start : int.MaxValue).ThenBy(r => r[0].ToString(), StringComparer.Ordinal)
            : (IEnumerable<List<RangeValue>>)reserveds;
        return statements.Select(values => "reserved " + string.Join(", ", values.Select(v =>
            v.Name is not null ? "\"" + v.Name + "\""
            : v.Start == v.End ? v.Start.ToString(CultureInfo.InvariantCulture)
            : $"{v.Start.ToString(CultureInfo.InvariantCulture)} to {v.End.ToString(CultureInfo.InvariantCulture)}")) + ";\n");
    }

    private string Extensions(ExtensionsElement extensions)
    {
        var sb = new StringBuilder("extensions ");
        sb.AppendJoin(", ", extensions.Values.Select(v =>
            v.Start == v.End ? v.Start.ToString(CultureInfo.InvariantCulture)
            : $"{v.Start.ToString(CultureInfo.InvariantCulture)} to {(v.End >= RangeValue.MaxTag ? "max" : v.End.ToString(CultureInfo.InvariantCulture))}"));
        if (extensions.Options.Count > 0) AppendOptions(sb.Append(' '), extensions.Options);
        return sb.Append(";\n").ToString();
    }

    private string OneOf(OneOfElement oneOf, DescriptorProto? resolved)
    {
        var sb = new StringBuilder("oneof ").Append(oneOf.Name).Append(" {");
        Section(sb, oneOf.Options.Count > 0, Options(oneOf.Options).Select(OptionDeclaration));
        Section(sb, oneOf.Fields.Count > 0, Sorted(oneOf.Fields, f => f.Tag).Select(field => Field(field, resolved)));
        Section(sb, oneOf.Groups.Count > 0, oneOf.Groups.Select(Group));
        return sb.Append("}\n").ToString();
    }

    private string Group(GroupElement group)
    {
        var sb = new StringBuilder();
        if (group.Label is not null) sb.Append(group.Label).Append(' ');
        sb.Append("group ").Append(group.Name).Append(" = ").Append(group.Tag.ToString(CultureInfo.InvariantCulture)).Append(" {");
        Section(sb, group.Fields.Count > 0, group.Fields.Select(field => Field(field, null)));
        return sb.Append("}\n").ToString();
    }

    private string Extend(ExtendElement extend)
    {
        var sb = new StringBuilder("extend ").Append(extend.Name).Append(" {");
        Section(sb, extend.Fields.Count > 0, extend.Fields.Select(field => Field(field, null)));
        return sb.Append("}\n").ToString();
    }

    private string Field(FieldElement field, DescriptorProto? owner)
    {
        var label = field.Label;
        var type = field.Type;
        var simpleType = type;
        if (_normalize && owner?.Fields.FirstOrDefault(f => f.Number == field.Tag) is { } resolved && !Scalars.Contains(type))
        {
            var entry = resolved.type == FieldDescriptorProto.Type.TypeMessage && resolved.TypeName is { Length: > 0 } typeName
                ? owner.NestedTypes.FirstOrDefault(n => n.Options?.MapEntry == true && typeName.EndsWith("." + n.Name, StringComparison.Ordinal))
                : null;
            if (entry is not null)
            {
                var key = entry.Fields.First(f => f.Number == 1);
                var value = entry.Fields.First(f => f.Number == 2);
                type = $"map<{ScalarName(key)}, {(value.TypeName is { Length: > 0 } v ? Qualified(v) : ScalarName(value))}>";
                label = null;
            }
            else if (resolved.TypeName is { Length: > 0 } name)
            {
                type = Qualified(name);
            }
        }
        var sb = new StringBuilder();
        if (label is not null) sb.Append(label).Append(' ');
        sb.Append(type).Append(' ').Append(field.Name).Append(" = ").Append(field.Tag.ToString(CultureInfo.InvariantCulture));
        var options = new List<OptionElement>(field.Options);
        if (field.DefaultValue is not null) options.Add(new OptionElement("default", false, DefaultKind(simpleType), field.DefaultValue));
        if (field.JsonName is not null) options.Add(new OptionElement("json_name", false, OptionKind.String, field.JsonName));
        if (options.Count > 0) AppendOptions(sb.Append(' '), Options(options).ToList());
        return sb.Append(";\n").ToString();
    }

    private static string ScalarName(FieldDescriptorProto field) => field.type.ToString()["Type".Length..].ToLowerInvariant();

    /// <summary>Confluent's toKind: the default's printed form follows the field's type (a bytes default stays a string here).</summary>
    private static OptionKind DefaultKind(string type) => type[(type.LastIndexOf('.') + 1)..] switch
    {
        "bool" => OptionKind.Boolean,
        "string" or "bytes" => OptionKind.String,
        "double" or "float" or "fixed32" or "fixed64" or "int32" or "int64" or "sfixed32" or "sfixed64" or "sint32" or "sint64" or "uint32" or "uint64" => OptionKind.Number,
        _ => OptionKind.Enum,
    };

    private string OptionDeclaration(OptionElement option) => "option " + Option(option) + ";\n";

    private string Option(OptionElement option)
    {
        var sb = new StringBuilder(option.Parenthesized ? "(" + option.Name + ")" : option.Name);
        switch (option.Kind)
        {
            case OptionKind.String:
                sb.Append(" = \"").Append(Escape((string)option.Value)).Append('"');
                break;
            case OptionKind.Boolean or OptionKind.Number or OptionKind.Enum:
                sb.Append(" = ").Append(option.Value);
                break;
            case OptionKind.Option:
                // A nested option is never parenthesized, as Confluent prints it.
                var nested = (OptionElement)option.Value;
                sb.Append('.').Append(Option(nested with { Parenthesized = false }));
                break;
            case OptionKind.Map:
                sb.Append(" = {\n");
                OptionMap(sb, (OrderedDictionary<string, object>)option.Value);
                sb.Append('}');
                break;
            case OptionKind.List:
                sb.Append(" = ").Append(OptionValue(option.Value));
                break;
        }
        return sb.ToString();
    }

    private void OptionMap(StringBuilder sb, OrderedDictionary<string, object> map)
    {
        var keys = _normalize ? map.Keys.Order(StringComparer.Ordinal).ToList() : map.Keys.ToList();
        for (var i = 0; i < keys.Count; i++)
            AppendIndented(sb, keys[i] + ": " + OptionValue(map[keys[i]]) + (i < keys.Count - 1 ? "," : ""));
    }

    private string OptionValue(object value)
    {
        switch (value)
        {
            case string text:
                return "\"" + Escape(text) + "\"";
            case OrderedDictionary<string, object> map:
                {
                    var sb = new StringBuilder("{\n");
                    OptionMap(sb, map);
                    return sb.Append('}').ToString();
                }
            case List<object> list:
                {
                    var sb = new StringBuilder("[\n");
                    for (var i = 0; i < list.Count; i++) AppendIndented(sb, OptionValue(list[i]) + (i < list.Count - 1 ? "," : ""));
                    return sb.Append(']').ToString();
                }
            case OptionPrimitive primitive:
                return primitive.Value;
            default:
                return value.ToString() ?? "";
        }
    }

    private void AppendOptions(StringBuilder sb, List<OptionElement> options)
    {
        if (options.Count == 1)
        {
            sb.Append('[').Append(Option(options[0])).Append(']');
            return;
        }
        sb.Append("[\n");
        for (var i = 0; i < options.Count; i++) AppendIndented(sb, Option(options[i]) + (i < options.Count - 1 ? "," : ""));
        sb.Append(']');
    }

    /// <summary>A group of members: after a blank line when the element has any (Confluent tests the unsorted list), each indented.</summary>
    private static void Section(StringBuilder sb, bool present, IEnumerable<string> members)
    {
        if (!present) return;
        sb.Append('\n');
        foreach (var member in members) AppendIndented(sb, member);
    }

    /// <summary>Each line indented by two spaces, blank lines included (Java's split drops only trailing empty lines).</summary>
    private static void AppendIndented(StringBuilder sb, string value)
    {
        var lines = value.Split('\n');
        var count = lines.Length;
        while (count > 1 && lines[count - 1].Length == 0) count--;
        for (var i = 0; i < count; i++) sb.Append("  ").Append(lines[i]).Append('\n');
    }

    /// <summary>Confluent's escapeChars.</summary>
    private static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '\a' => "\\a",
                '\b' => "\\b",
                '\f' => "\\f",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\v' => "\\v",
                '\\' => "\\\\",
                '\'' => "\\'",
                '"' => "\\\"",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }
}
