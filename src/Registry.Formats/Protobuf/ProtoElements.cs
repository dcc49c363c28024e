using System.Globalization;
using System.Text;

namespace Registry.Formats.Protobuf;

// The parsed form of a .proto that Confluent prints its canonical text from: Square Wire's ProtoFileElement and its
// elements, with what Wire keeps (declaration order, types as written, options with their kinds) and nothing more.

internal enum OptionKind
{
    String,
    Boolean,
    Number,
    Enum,
    Map,
    List,
    Option,
}

/// <summary>
/// An option: its name (without parentheses), whether it was parenthesized (a custom option), and its value: a string,
/// the text of a boolean, number or enum, a nested option (<c>(foo).bar = 1</c>), a map or a list.
/// </summary>
internal sealed record OptionElement(string Name, bool Parenthesized, OptionKind Kind, object Value);

/// <summary>A boolean, number or enum inside an option map or list, printed without quotes.</summary>
internal sealed record OptionPrimitive(OptionKind Kind, string Value);

internal sealed class FieldElement
{
    public string? Label { get; init; }

    public required string Type { get; init; }

    public required string Name { get; init; }

    public long Tag { get; init; }

    public List<OptionElement> Options { get; init; } = [];

    public string? DefaultValue { get; init; }

    public string? JsonName { get; init; }
}

internal sealed class OneOfElement
{
    public required string Name { get; init; }

    public List<OptionElement> Options { get; } = [];

    public List<FieldElement> Fields { get; init; } = [];

    public List<GroupElement> Groups { get; } = [];
}

internal sealed class GroupElement
{
    public string? Label { get; init; }

    public required string Name { get; init; }

    public long Tag { get; init; }

    public List<FieldElement> Fields { get; } = [];
}

/// <summary>A reserved or extension range value: a number, a range (inclusive) or a name.</summary>
internal sealed record RangeValue(long Start, long End, string? Name)
{
    public const long MaxTag = 536870911;

    public override string ToString() =>
        Name ?? (Start == End ? Start.ToString(CultureInfo.InvariantCulture) : $"{Start.ToString(CultureInfo.InvariantCulture)}..{End.ToString(CultureInfo.InvariantCulture)}");
}

internal sealed class ExtensionsElement
{
    public List<RangeValue> Values { get; } = [];

    public List<OptionElement> Options { get; } = [];
}

internal sealed class ExtendElement
{
    public required string Name { get; init; }

    public List<FieldElement> Fields { get; } = [];
}

internal abstract class TypeElement
{
    public required string Name { get; init; }

    public List<OptionElement> Options { get; } = [];
}

internal sealed class MessageElement : TypeElement
{
    public List<List<RangeValue>> Reserveds { get; } = [];

    public List<FieldElement> Fields { get; } = [];

    public List<OneOfElement> OneOfs { get; } = [];

    public List<GroupElement> Groups { get; } = [];

    public List<ExtensionsElement> Extensions { get; } = [];

    public List<TypeElement> NestedTypes { get; } = [];

    public List<ExtendElement> Extends { get; } = [];
}

internal sealed record EnumConstantElement(string Name, long Tag, List<OptionElement> Options);

internal sealed class EnumElement : TypeElement
{
    public List<EnumConstantElement> Constants { get; } = [];

    public List<List<RangeValue>> Reserveds { get; } = [];
}

internal sealed record RpcElement(string Name, bool RequestStreaming, string RequestType, bool ResponseStreaming, string ResponseType, List<OptionElement> Options);

internal sealed class ServiceElement
{
    public required string Name { get; init; }

    public List<OptionElement> Options { get; } = [];

    public List<RpcElement> Rpcs { get; } = [];
}

internal sealed class ProtoFileElement
{
    public string? Syntax { get; set; }

    public string? Edition { get; set; }

    public string? PackageName { get; set; }

    public List<string> Imports { get; } = [];

    public List<string> PublicImports { get; } = [];

    public List<OptionElement> Options { get; } = [];

    public List<TypeElement> Types { get; } = [];

    public List<ExtendElement> ExtendDeclarations { get; } = [];

    public List<ServiceElement> Services { get; } = [];
}

/// <summary>
/// Reads a .proto (already accepted by the descriptor parser) into <see cref="ProtoFileElement"/>, as Wire's ProtoParser
/// does: comments dropped, string literals unescaped and adjacent ones joined, numbers read as numbers, a field's
/// <c>default</c> and <c>json_name</c> taken out of its options.
/// </summary>
internal sealed class ProtoElementReader
{
    private readonly List<string> _tokens;
    private int _at;

    private ProtoElementReader(string text) => _tokens = ProtoText.Tokens(text).ToList();

    public static ProtoFileElement Read(string text) => new ProtoElementReader(text).File();

    private string Peek(int ahead = 0) => _at + ahead < _tokens.Count ? _tokens[_at + ahead] : "";

    private string Next() => _at < _tokens.Count ? _tokens[_at++] : throw new FormatException("unexpected end of the .proto");

    private void Expect(string token)
    {
        var next = Next();
        if (next != token) throw new FormatException($"expected '{token}' but found '{next}'");
    }

    private bool Skip(string token)
    {
        if (Peek() != token) return false;
        _at++;
        return true;
    }

    private ProtoFileElement File()
    {
        var file = new ProtoFileElement();
        while (_at < _tokens.Count)
        {
            switch (Peek())
            {
                case ";":
                    _at++;
                    break;
                case "syntax":
                    _at++;
                    Expect("=");
                    file.Syntax = ReadString();
                    Expect(";");
                    break;
                case "edition":
                    _at++;
                    Expect("=");
                    file.Edition = ReadString();
                    Expect(";");
                    break;
                case "package":
                    _at++;
                    file.PackageName = Next();
                    Expect(";");
                    break;
                case "import":
                    _at++;
                    var isPublic = Skip("public");
                    Skip("weak");
                    (isPublic ? file.PublicImports : file.Imports).Add(ReadString());
                    Expect(";");
                    break;
                case "option":
                    _at++;
                    file.Options.Add(ReadOption('='));
                    Expect(";");
                    break;
                case "message":
                    file.Types.Add(Message());
                    break;
                case "enum":
                    file.Types.Add(Enum());
                    break;
                case "service":
                    file.Services.Add(Service());
                    break;
                case "extend":
                    file.ExtendDeclarations.Add(Extend());
                    break;
                default:
                    throw new FormatException($"unexpected '{Peek()}'");
            }
        }
        return file;
    }

    private MessageElement Message()
    {
        Expect("message");
        var message = new MessageElement { Name = Next() };
        Expect("{");
        while (!Skip("}"))
        {
            switch (Peek())
            {
                case ";":
                    _at++;
                    break;
                case "option":
                    _at++;
                    message.Options.Add(ReadOption('='));
                    Expect(";");
                    break;
                case "reserved":
                    _at++;
                    message.Reserveds.Add(Ranges());
                    Expect(";");
                    break;
                case "extensions":
                    _at++;
                    var extensions = new ExtensionsElement();
                    extensions.Values.AddRange(Ranges());
                    extensions.Options.AddRange(BracketOptions());
                    Expect(";");
                    message.Extensions.Add(extensions);
                    break;
                case "message":
                    message.NestedTypes.Add(Message());
                    break;
                case "enum":
                    message.NestedTypes.Add(Enum());
                    break;
                case "extend":
                    message.Extends.Add(Extend());
                    break;
                case "oneof":
                    message.OneOfs.Add(OneOf());
                    break;
                case "optional" or "required" or "repeated" when Peek(1) == "group":
                    var label = Next();
                    message.Groups.Add(Group(label));
                    break;
                case "group":
                    message.Groups.Add(Group(null));
                    break;
                default:
                    message.Fields.Add(Field());
                    break;
            }
        }
        return message;
    }

    private OneOfElement OneOf()
    {
        Expect("oneof");
        var oneOf = new OneOfElement { Name = Next() };
        Expect("{");
        while (!Skip("}"))
        {
            if (Skip(";")) continue;
            if (Skip("option"))
            {
                oneOf.Options.Add(ReadOption('='));
                Expect(";");
            }
            else if (Peek() == "group")
            {
                oneOf.Groups.Add(Group(null));
            }
            else
            {
                oneOf.Fields.Add(Field());
            }
        }
        return oneOf;
    }

    private GroupElement Group(string? label)
    {
        Expect("group");
        var group = new GroupElement { Label = label, Name = Next(), Tag = Expect("=", Number) };
        BracketOptions();
        Expect("{");
        while (!Skip("}"))
        {
            if (!Skip(";")) group.Fields.Add(Field());
        }
        return group;
    }

    private long Expect(string token, Func<long> then)
    {
        Expect(token);
        return then();
    }

    private FieldElement Field()
    {
        string? label = Peek() is "optional" or "required" or "repeated" ? Next() : null;
        string type;
        if (Peek() == "map" && Peek(1) == "<")
        {
            _at += 2;
            var key = Next();
            Expect(",");
            var value = Next();
            Expect(">");
            type = $"map<{key}, {value}>";
        }
        else
        {
            type = Next();
        }
        var name = Next();
        Expect("=");
        var tag = Number();
        var options = BracketOptions();
        Expect(";");
        return new FieldElement
        {
            Label = label,
            Type = type,
            Name = name,
            Tag = tag,
            DefaultValue = Take(options, "default"),
            JsonName = Take(options, "json_name"),
            Options = options,
        };
    }

    /// <summary>Removes a built-in option (Wire keeps <c>default</c> and <c>json_name</c> apart) and returns its value.</summary>
    private static string? Take(List<OptionElement> options, string name)
    {
        var index = options.FindIndex(o => !o.Parenthesized && o.Name == name);
        if (index < 0) return null;
        var value = options[index].Value as string;
        options.RemoveAt(index);
        return value;
    }

    private EnumElement Enum()
    {
        Expect("enum");
        var e = new EnumElement { Name = Next() };
        Expect("{");
        while (!Skip("}"))
        {
            if (Skip(";")) continue;
            if (Skip("option"))
            {
                e.Options.Add(ReadOption('='));
                Expect(";");
            }
            else if (Skip("reserved"))
            {
                e.Reserveds.Add(Ranges());
                Expect(";");
            }
            else
            {
                var name = Next();
                Expect("=");
                var tag = Number();
                var options = BracketOptions();
                Expect(";");
                e.Constants.Add(new EnumConstantElement(name, tag, options));
            }
        }
        return e;
    }

    private ServiceElement Service()
    {
        Expect("service");
        var service = new ServiceElement { Name = Next() };
        Expect("{");
        while (!Skip("}"))
        {
            if (Skip(";")) continue;
            if (Skip("option"))
            {
                service.Options.Add(ReadOption('='));
                Expect(";");
                continue;
            }
            Expect("rpc");
            var name = Next();
            Expect("(");
            var requestStreaming = Peek() == "stream" && Peek(1) != ")" && Skip("stream");
            var request = Next();
            Expect(")");
            Expect("returns");
            Expect("(");
            var responseStreaming = Peek() == "stream" && Peek(1) != ")" && Skip("stream");
            var response = Next();
            Expect(")");
            var options = new List<OptionElement>();
            if (Skip("{"))
            {
                while (!Skip("}"))
                {
                    if (Skip(";")) continue;
                    Expect("option");
                    options.Add(ReadOption('='));
                    Expect(";");
                }
                Skip(";");
            }
            else
            {
                Expect(";");
            }
            service.Rpcs.Add(new RpcElement(name, requestStreaming, request, responseStreaming, response, options));
        }
        return service;
    }

    private ExtendElement Extend()
    {
        Expect("extend");
        var extend = new ExtendElement { Name = Next() };
        Expect("{");
        while (!Skip("}"))
        {
            if (!Skip(";")) extend.Fields.Add(Field());
        }
        return extend;
    }

    /// <summary>Reserved or extension values: numbers, <c>a to b</c> (<c>max</c> is the largest field number), names.</summary>
    private List<RangeValue> Ranges()
    {
        var values = new List<RangeValue>();
        while (true)
        {
            if (Peek().Length > 0 && Peek()[0] is '"' or '\'')
            {
                values.Add(new RangeValue(0, 0, ReadString()));
            }
            else
            {
                var start = Number();
                var end = start;
                if (Skip("to")) end = Skip("max") ? RangeValue.MaxTag : Number();
                values.Add(new RangeValue(start, end, null));
            }
            if (!Skip(",")) return values;
        }
    }

    private List<OptionElement> BracketOptions()
    {
        var options = new List<OptionElement>();
        if (!Skip("[")) return options;
        while (true)
        {
            options.Add(ReadOption('='));
            if (Skip("]")) return options;
            Expect(",");
        }
    }

    /// <summary>Wire's OptionReader.readOption: a name (parenthesized, bracketed or plain), an optional sub-name, a value.</summary>
    private OptionElement ReadOption(char separator)
    {
        string name;
        var parenthesized = false;
        if (Skip("("))
        {
            name = Until(")");
            parenthesized = true;
        }
        else if (Skip("["))
        {
            name = "[" + Until("]") + "]";
        }
        else
        {
            name = Next();
        }
        string? subName = null;
        if (Peek().Length > 1 && Peek()[0] == '.') subName = Next()[1..];
        if (separator == ':')
        {
            if (!Skip(":") && Peek() is not ("{" or "[")) throw new FormatException($"expected ':' in option '{name}'");
        }
        else
        {
            Expect("=");
        }
        var (kind, value) = ReadValue();
        if (subName is not null)
        {
            value = new OptionElement(subName, false, kind, value);
            kind = OptionKind.Option;
        }
        return new OptionElement(name, parenthesized, kind, value);
    }

    private string Until(string close)
    {
        var sb = new StringBuilder();
        while (Peek() != close) sb.Append(Next());
        _at++;
        return sb.ToString();
    }

    private (OptionKind Kind, object Value) ReadValue()
    {
        var peeked = Peek();
        if (peeked == "{") return (OptionKind.Map, ReadMap());
        if (peeked == "[") return (OptionKind.List, ReadList());
        if (peeked.Length > 0 && peeked[0] is '"' or '\'') return (OptionKind.String, ReadString());
        var word = Next();
        if (char.IsAsciiDigit(word[0]) || word[0] == '-') return (OptionKind.Number, word);
        return word is "true" or "false" ? (OptionKind.Boolean, word) : (OptionKind.Enum, word);
    }

    /// <summary>
    /// An aggregate value: keys in order, a repeated key collecting its values in a list, and <c>a.b: v</c> nesting,
    /// as Wire's readMap; booleans, numbers and enums keep their kind.
    /// </summary>
    private OrderedDictionary<string, object> ReadMap()
    {
        Expect("{");
        var result = new OrderedDictionary<string, object>(StringComparer.Ordinal);
        while (!Skip("}"))
        {
            var option = ReadOption(':');
            if (option.Value is OptionElement nested)
            {
                if (result.GetValueOrDefault(option.Name) is not OrderedDictionary<string, object> inner)
                {
                    inner = new OrderedDictionary<string, object>(StringComparer.Ordinal);
                    result[option.Name] = inner;
                }
                inner[nested.Name] = Simple(nested.Kind, nested.Value);
            }
            else
            {
                var value = Simple(option.Kind, option.Value);
                switch (result.GetValueOrDefault(option.Name))
                {
                    case null:
                        result[option.Name] = value;
                        break;
                    case List<object> previous:
                        AddTo(previous, value);
                        break;
                    case var previous:
                        var list = new List<object> { previous };
                        AddTo(list, value);
                        result[option.Name] = list;
                        break;
                }
            }
            if (!Skip(",")) Skip(";");
        }
        return result;
    }

    private static void AddTo(List<object> list, object value)
    {
        if (value is List<object> values) list.AddRange(values);
        else list.Add(value);
    }

    private List<object> ReadList()
    {
        Expect("[");
        var result = new List<object>();
        while (!Skip("]"))
        {
            var (kind, value) = ReadValue();
            result.Add(Simple(kind, value));
            Skip(",");
        }
        return result;
    }

    private static object Simple(OptionKind kind, object value) =>
        kind is OptionKind.Boolean or OptionKind.Number or OptionKind.Enum ? new OptionPrimitive(kind, (string)value) : value;

    private long Number()
    {
        var word = Next();
        var negative = word.StartsWith('-');
        var digits = negative ? word[1..] : word;
        long value = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? long.Parse(digits[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : digits.Length > 1 && digits[0] == '0' ? Convert.ToInt64(digits, 8)
            : long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        return negative ? -value : value;
    }

    /// <summary>One or more adjacent string literals, unescaped and joined.</summary>
    private string ReadString()
    {
        var sb = new StringBuilder();
        do
        {
            var literal = Next();
            if (literal.Length < 2 || literal[0] is not ('"' or '\'')) throw new FormatException($"expected a string but found '{literal}'");
            Unescape(literal.AsSpan(1, literal.Length - 2), sb);
        }
        while (Peek().Length > 0 && Peek()[0] is '"' or '\'');
        return sb.ToString();
    }

    private static void Unescape(ReadOnlySpan<char> text, StringBuilder sb)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '\\' || i + 1 >= text.Length)
            {
                sb.Append(c);
                continue;
            }
            c = text[++i];
            switch (c)
            {
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case 'x' or 'X':
                    {
                        var value = 0;
                        var n = 0;
                        while (n < 2 && i + 1 < text.Length && char.IsAsciiHexDigit(text[i + 1]))
                        {
                            value = (value * 16) + Convert.ToInt32(text[++i].ToString(), 16);
                            n++;
                        }
                        sb.Append((char)value);
                        break;
                    }
                case >= '0' and <= '7':
                    {
                        var value = c - '0';
                        var n = 1;
                        while (n < 3 && i + 1 < text.Length && text[i + 1] is >= '0' and <= '7')
                        {
                            value = (value * 8) + (text[++i] - '0');
                            n++;
                        }
                        sb.Append((char)value);
                        break;
                    }
                default:
                    sb.Append(c);
                    break;
            }
        }
    }
}
