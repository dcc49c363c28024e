using Google.Protobuf.Reflection;

namespace Registry.Formats.Protobuf;

/// <summary>Named types of a schema and its imports, by full name.</summary>
internal sealed class TypeIndex
{
    private readonly Dictionary<string, (string Local, DescriptorProto Message, bool Imported)> _messages = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _locals = new(StringComparer.Ordinal);

    public TypeIndex(IReadOnlyList<FileDescriptorProto> files)
    {
        for (var f = 0; f < files.Count; f++)
        {
            var file = files[f];
            var package = string.IsNullOrEmpty(file.Package) ? "" : "." + file.Package;
            var imported = !file.IncludeInOutput;
            var stack = new Stack<(string Local, DescriptorProto Message)>(file.MessageTypes.Select(m => (m.Name, m)));
            foreach (var e in file.EnumTypes) _locals[package + "." + e.Name] = e.Name;
            while (stack.Count > 0)
            {
                var (local, message) = stack.Pop();
                _messages[package + "." + local] = (local, message, imported);
                _locals[package + "." + local] = local;
                foreach (var e in message.EnumTypes) _locals[package + "." + local + "." + e.Name] = local + "." + e.Name;
                foreach (var nested in message.NestedTypes) stack.Push((local + "." + nested.Name, nested));
            }
        }
    }

    public string LocalName(string typeName) => _locals.TryGetValue(typeName, out var local) ? local : typeName.TrimStart('.');

    public (DescriptorProto Message, bool Imported)? Message(string typeName) =>
        _messages.TryGetValue(typeName, out var m) ? (m.Message, m.Imported) : null;
}
