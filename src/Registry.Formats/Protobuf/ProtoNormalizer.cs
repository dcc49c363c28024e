namespace Registry.Formats.Protobuf;

/// <summary>
/// Normalization of .proto tokens (Confluent's <c>normalize=true</c>): imports and options sorted, fields
/// sorted by number, oneofs by their first field, fields inside a oneof and enum constants by number.
/// The order of message and enum declarations is kept, because message indexes depend on it.
/// </summary>
internal static class ProtoNormalizer
{
    /// <summary>A statement (tokens up to ';') or a block (header tokens, then children between braces).</summary>
    private sealed record Node(List<string> Head, List<Node>? Children)
    {
        public string Keyword => Head.Count > 0 ? Head[0] : "";

        /// <summary>The field or constant number of a statement: the token after '='.</summary>
        public long Number
        {
            get
            {
                var i = Head.IndexOf("=");
                return i >= 0 && i + 1 < Head.Count && long.TryParse(Head[i + 1], out var n) ? n : long.MaxValue;
            }
        }

        public string Text => string.Join(" ", Head);
    }

    public static List<string> Normalize(List<string> tokens)
    {
        var position = 0;
        var root = ReadChildren(tokens, ref position);
        var output = new List<string>();
        Emit(Sort(root, "file"), output);
        return output;
    }

    private static List<Node> ReadChildren(List<string> tokens, ref int position)
    {
        var children = new List<Node>();
        var head = new List<string>();
        while (position < tokens.Count)
        {
            var token = tokens[position++];
            if (token == "}") break;
            if (token == ";")
            {
                head.Add(";");
                children.Add(new Node(head, null));
                head = [];
            }
            else if (token == "{")
            {
                children.Add(new Node(head, ReadChildren(tokens, ref position)));
                head = [];
            }
            else
            {
                head.Add(token);
            }
        }
        if (head.Count > 0) children.Add(new Node(head, null));
        return children;
    }

    private static List<Node> Sort(List<Node> children, string scope)
    {
        var sorted = children.Select(c => c.Children is null ? c : c with { Children = Sort(c.Children, c.Keyword) }).ToList();
        switch (scope)
        {
            case "file":
                // syntax/edition and package first, then imports and options sorted, then declarations in order.
                return sorted.Where(c => c.Keyword is "syntax" or "edition" or "package")
                    .Concat(sorted.Where(c => c.Keyword == "import").OrderBy(c => c.Text, StringComparer.Ordinal))
                    .Concat(sorted.Where(c => c.Keyword == "option").OrderBy(c => c.Text, StringComparer.Ordinal))
                    .Concat(sorted.Where(c => c.Keyword is not ("syntax" or "edition" or "package" or "import" or "option")))
                    .ToList();
            case "message":
                {
                    var options = sorted.Where(c => c.Keyword == "option").OrderBy(c => c.Text, StringComparer.Ordinal);
                    var declarations = sorted.Where(c => c.Children is not null && c.Keyword is "message" or "enum" or "extend");
                    var members = sorted.Where(c => c.Keyword is not ("option" or "reserved" or "extensions") && !(c.Children is not null && c.Keyword is "message" or "enum" or "extend"))
                        .OrderBy(c => c.Keyword == "oneof" ? c.Children!.Where(f => f.Keyword != "option").Select(f => f.Number).DefaultIfEmpty(long.MaxValue).Min() : c.Number);
                    var reserved = sorted.Where(c => c.Keyword is "reserved" or "extensions").OrderBy(c => c.Text, StringComparer.Ordinal);
                    return options.Concat(members).Concat(declarations).Concat(reserved).ToList();
                }
            case "oneof" or "enum":
                return sorted.Where(c => c.Keyword == "option").OrderBy(c => c.Text, StringComparer.Ordinal)
                    .Concat(sorted.Where(c => c.Keyword is not ("option" or "reserved")).OrderBy(c => c.Number).ThenBy(c => c.Text, StringComparer.Ordinal))
                    .Concat(sorted.Where(c => c.Keyword == "reserved").OrderBy(c => c.Text, StringComparer.Ordinal))
                    .ToList();
            default:
                return sorted;
        }
    }

    private static void Emit(List<Node> children, List<string> output)
    {
        foreach (var child in children)
        {
            output.AddRange(child.Head);
            if (child.Children is null) continue;
            output.Add("{");
            Emit(child.Children, output);
            output.Add("}");
        }
    }
}
