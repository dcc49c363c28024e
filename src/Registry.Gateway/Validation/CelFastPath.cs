using System.Globalization;
using System.Text;

namespace Registry.Gateway.Validation;

/// <summary>
/// A compiled subset of CEL for the conditions data contracts mostly hold (<c>message.amount &gt;= 0</c>,
/// <c>size(message.id) &gt; 0 &amp;&amp; message.country in ['DE', 'FR']</c>): field access, literals, comparisons, arithmetic,
/// <c>&amp;&amp; || ! ?:</c>, <c>in</c>, <c>size</c> and the string methods (<c>has</c> is the interpreter's: it treats
/// a field holding its default as absent). It evaluates the decoded record in
/// about a tenth of the general interpreter's time. Anything it cannot decide exactly as CEL does (a missing field,
/// mixed-type comparisons, overflow, a non-boolean result, syntax outside the subset) is <see cref="Outcome.Unknown"/>,
/// and the caller asks the general interpreter (the <c>Cel</c> package), so results never differ from it.
/// </summary>
public static class CelFastPath
{
    public enum Outcome { False, True, Unknown }

    /// <summary>A value, or <c>ok: false</c> when this subset cannot say what CEL would.</summary>
    private delegate bool Node(object? message, out object? value);

    /// <summary>The compiled condition, or null when the expression is outside the subset.</summary>
    public static Func<object?, Outcome>? TryCompile(string expression)
    {
        try
        {
            var parser = new Parser(expression);
            var node = parser.Expression();
            if (!parser.AtEnd) return null;
            return message => node(message, out var value) && value is bool b ? b ? Outcome.True : Outcome.False : Outcome.Unknown;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static object? Normalize(object? value) => value switch
    {
        int i => (long)i,
        float f => (double)f,
        _ => value,
    };

    private sealed class Parser(string text)
    {
        private int _at;

        public bool AtEnd
        {
            get
            {
                SkipSpace();
                return _at == text.Length;
            }
        }

        public Node Expression()
        {
            var condition = Or();
            if (!Take("?")) return condition;
            var then = Expression();
            Expect(":");
            var otherwise = Expression();
            return (object? m, out object? v) =>
            {
                v = null;
                if (!condition(m, out var c) || c is not bool b) return false;
                return b ? then(m, out v) : otherwise(m, out v);
            };
        }

        private Node Or()
        {
            var left = And();
            while (Take("||"))
            {
                var l = left;
                var right = And();
                // CEL's || is commutative over errors: true wins whichever side errs.
                left = (object? m, out object? v) => Logical(l, right, m, out v, dominant: true);
            }
            return left;
        }

        private Node And()
        {
            var left = Relation();
            while (Take("&&"))
            {
                var l = left;
                var right = Relation();
                left = (object? m, out object? v) => Logical(l, right, m, out v, dominant: false);
            }
            return left;
        }

        private static bool Logical(Node left, Node right, object? m, out object? v, bool dominant)
        {
            var leftKnown = left(m, out var a) && a is bool;
            if (leftKnown && (bool)a! == dominant)
            {
                v = dominant;
                return true;
            }
            var rightKnown = right(m, out var b) && b is bool;
            if (rightKnown && (bool)b! == dominant)
            {
                v = dominant;
                return true;
            }
            v = !dominant;
            return leftKnown && rightKnown;
        }

        private Node Relation()
        {
            var left = Additive();
            foreach (var op in new[] { "<=", ">=", "==", "!=", "<", ">", "in" })
            {
                if (op == "in" ? !TakeWord("in") : !Take(op)) continue;
                var right = Additive();
                return (object? m, out object? v) =>
                {
                    v = null;
                    if (!left(m, out var a) || !right(m, out var b)) return false;
                    var result = Compare(op, a, b);
                    v = result;
                    return result is not null;
                };
            }
            return left;
        }

        private static bool? Compare(string op, object? a, object? b)
        {
            if (op == "in")
            {
                return b switch
                {
                    object?[] list when a is long or double or string or bool => list.Any(x => Equal(a, x) == true) ? true
                        : list.All(x => Equal(a, x) == false) ? false : null,
                    IDictionary<string, object?> map when a is string key => map.ContainsKey(key),
                    _ => null,
                };
            }
            if (op is "==" or "!=") return Equal(a, b) is { } equal ? equal == (op == "==") : null;
            int? order = (a, b) switch
            {
                (long x, long y) => x.CompareTo(y),
                (double x, double y) when !double.IsNaN(x) && !double.IsNaN(y) => x.CompareTo(y),
                _ => null,
            };
            return order is not { } o ? null : op switch { "<" => o < 0, "<=" => o <= 0, ">" => o > 0, _ => o >= 0 };
        }

        /// <summary>Equality of two values of the same kind; null (unknown) for kinds this subset does not compare.</summary>
        private static bool? Equal(object? a, object? b) => (a, b) switch
        {
            (long x, long y) => x == y,
            (double x, double y) => x == y,
            (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
            (bool x, bool y) => x == y,
            (null, null) => true,
            _ => null,
        };

        private Node Additive()
        {
            var left = Multiplicative();
            while (true)
            {
                var op = Take("+") ? '+' : Take("-") ? '-' : '\0';
                if (op == '\0') return left;
                var l = left;
                var right = Multiplicative();
                left = Arithmetic(l, right, op);
            }
        }

        private Node Multiplicative()
        {
            var left = Unary();
            while (true)
            {
                var op = Take("*") ? '*' : Take("/") ? '/' : Take("%") ? '%' : '\0';
                if (op == '\0') return left;
                var l = left;
                var right = Unary();
                left = Arithmetic(l, right, op);
            }
        }

        private static Node Arithmetic(Node left, Node right, char op) => (object? m, out object? v) =>
        {
            v = null;
            if (!left(m, out var a) || !right(m, out var b)) return false;
            try
            {
                v = (a, b, op) switch
                {
                    (long x, long y, '+') => checked(x + y),
                    (long x, long y, '-') => checked(x - y),
                    (long x, long y, '*') => checked(x * y),
                    (long x, long y, '/') when y != 0 && !(x == long.MinValue && y == -1) => x / y,
                    (long x, long y, '%') when y != 0 && !(x == long.MinValue && y == -1) => x % y,
                    (double x, double y, '+') => x + y,
                    (double x, double y, '-') => x - y,
                    (double x, double y, '*') => x * y,
                    (double x, double y, '/') => x / y,
                    (string x, string y, '+') => x + y,
                    _ => null,
                };
            }
            catch (OverflowException)
            {
                return false;
            }
            return v is not null;
        };

        private Node Unary()
        {
            if (Take("!"))
            {
                var operand = Unary();
                return (object? m, out object? v) =>
                {
                    v = null;
                    if (!operand(m, out var a) || a is not bool b) return false;
                    v = !b;
                    return true;
                };
            }
            if (Take("-"))
            {
                var operand = Unary();
                return (object? m, out object? v) =>
                {
                    v = null;
                    if (!operand(m, out var a)) return false;
                    v = a switch { long x when x != long.MinValue => -x, double x => -x, _ => null };
                    return v is not null;
                };
            }
            return Member(Primary());
        }

        private Node Member(Node target)
        {
            while (true)
            {
                if (Take("."))
                {
                    var name = Identifier();
                    if (Take("("))
                    {
                        target = Method(target, name);
                        continue;
                    }
                    target = Select(target, name);
                }
                else if (Take("["))
                {
                    var index = Expression();
                    Expect("]");
                    var t = target;
                    target = (object? m, out object? v) =>
                    {
                        v = null;
                        if (!t(m, out var o) || !index(m, out var i)) return false;
                        switch (o, i)
                        {
                            case (object?[] list, long n) when n >= 0 && n < list.Length:
                                v = Normalize(list[n]);
                                return true;
                            case (IDictionary<string, object?> map, string key) when map.TryGetValue(key, out var found):
                                v = Normalize(found);
                                return true;
                            default:
                                return false;
                        }
                    };
                }
                else
                {
                    return target;
                }
            }
        }

        private static Node Select(Node target, string name) => (object? m, out object? v) =>
        {
            v = null;
            if (!target(m, out var o) || o is not IDictionary<string, object?> map || !map.TryGetValue(name, out var field)) return false;
            v = Normalize(field);
            return true;
        };

        private Node Method(Node target, string name)
        {
            var args = Arguments();
            if (name == "size" && args.Count == 0) return Size(target);
            if (args.Count != 1 || name is not ("startsWith" or "endsWith" or "contains")) throw new FormatException(name);
            var arg = args[0];
            return (object? m, out object? v) =>
            {
                v = null;
                if (!target(m, out var o) || !arg(m, out var a) || o is not string s || a is not string x) return false;
                v = name switch
                {
                    "startsWith" => s.StartsWith(x, StringComparison.Ordinal),
                    "endsWith" => s.EndsWith(x, StringComparison.Ordinal),
                    _ => s.Contains(x, StringComparison.Ordinal),
                };
                return true;
            };
        }

        private static Node Size(Node target) => (object? m, out object? v) =>
        {
            v = null;
            if (!target(m, out var o)) return false;
            // A string's size is its count of code points, as CEL counts it.
            v = o switch
            {
                string s => (long)s.EnumerateRunes().Count(),
                byte[] bytes => (long)bytes.Length,
                object?[] list => (long)list.Length,
                IDictionary<string, object?> map => (long)map.Count,
                _ => null,
            };
            return v is not null;
        };

        private List<Node> Arguments()
        {
            var args = new List<Node>();
            if (Take(")")) return args;
            do args.Add(Expression());
            while (Take(","));
            Expect(")");
            return args;
        }

        private Node Primary()
        {
            SkipSpace();
            if (_at == text.Length) throw new FormatException("end");
            var c = text[_at];
            if (Take("("))
            {
                var inner = Expression();
                Expect(")");
                return inner;
            }
            if (Take("["))
            {
                var items = Take("]") ? [] : ListItems();
                return (object? m, out object? v) =>
                {
                    var values = new object?[items.Count];
                    v = values;
                    for (var i = 0; i < items.Count; i++)
                        if (!items[i](m, out values[i])) return false;
                    return true;
                };
            }
            if (c is '"' or '\'') return Constant(StringLiteral());
            if (char.IsAsciiDigit(c) || c == '.') return Constant(NumberLiteral());
            var name = Identifier();
            switch (name)
            {
                case "true": return Constant(true);
                case "false": return Constant(false);
                case "null": return Constant(null);
                case "size" when Take("("):
                    var args = Arguments();
                    return args.Count == 1 ? Size(args[0]) : throw new FormatException("size");
                case "message":
                    return (object? m, out object? v) =>
                    {
                        v = m;
                        return true;
                    };
                default:
                    // Other variables and functions (timestamps, durations, macros) are the interpreter's.
                    throw new FormatException(name);
            }
        }

        private List<Node> ListItems()
        {
            var items = new List<Node>();
            do items.Add(Expression());
            while (Take(","));
            Expect("]");
            return items;
        }

        private static Node Constant(object? value) => (object? _, out object? v) =>
        {
            v = value;
            return true;
        };

        private object NumberLiteral()
        {
            var start = _at;
            while (_at < text.Length && (char.IsAsciiDigit(text[_at]) || text[_at] is '.' or 'e' or 'E' || (text[_at] is '+' or '-' && text[_at - 1] is 'e' or 'E'))) _at++;
            var literal = text[start.._at];
            // Hex, unsigned (u) and other forms are the interpreter's.
            if (_at < text.Length && (char.IsAsciiLetter(text[_at]) || text[_at] == '_')) throw new FormatException(literal);
            if (literal.Contains('.') || literal.Contains('e') || literal.Contains('E'))
                return double.Parse(literal, NumberStyles.Float, CultureInfo.InvariantCulture);
            return long.Parse(literal, NumberStyles.None, CultureInfo.InvariantCulture);
        }

        private string StringLiteral()
        {
            var quote = text[_at++];
            // Triple-quoted and raw strings are the interpreter's.
            if (_at + 1 < text.Length && text[_at] == quote && text[_at + 1] == quote) throw new FormatException("triple-quoted");
            var value = new StringBuilder();
            while (_at < text.Length && text[_at] != quote)
            {
                var c = text[_at++];
                if (c != '\\')
                {
                    value.Append(c);
                    continue;
                }
                if (_at == text.Length) throw new FormatException("escape");
                value.Append(text[_at++] switch
                {
                    '\\' => '\\',
                    '\'' => '\'',
                    '"' => '"',
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    _ => throw new FormatException("escape"),
                });
            }
            if (_at == text.Length) throw new FormatException("unterminated");
            _at++;
            return value.ToString();
        }

        private string Identifier()
        {
            SkipSpace();
            var start = _at;
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] == '_')) _at++;
            if (_at == start || char.IsAsciiDigit(text[start])) throw new FormatException("identifier");
            return text[start.._at];
        }

        private bool TakeWord(string word)
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _at, word, 0, word.Length) != 0) return false;
            var end = _at + word.Length;
            if (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_')) return false;
            _at = end;
            return true;
        }

        private bool Take(string token)
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _at, token, 0, token.Length) != 0) return false;
            // '<' is not '<=', '!' is not '!=', '|' and '&' alone are not CEL.
            var end = _at + token.Length;
            if (token is "<" or ">" or "!" or "=" && end < text.Length && text[end] == '=') return false;
            _at = end;
            return true;
        }

        private void Expect(string token)
        {
            if (!Take(token)) throw new FormatException(token);
        }

        private void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at])) _at++;
        }
    }
}
