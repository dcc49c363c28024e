using Google.Protobuf.Reflection;

namespace Registry.Formats.Protobuf;

/// <summary>One difference between two .proto files: Confluent's type and a path such as <c>#/TestMessage/3</c>.</summary>
internal readonly record struct ProtoDifference(string Type, string Path);

/// <summary>
/// The differences from an original .proto to an update, with Confluent's Protobuf difference types:
/// messages and enums by name, fields by number, oneofs by name, named types by their name without
/// the package (so moving a type to another package under the same name is no change).
/// </summary>
internal sealed class ProtobufDiff
{
    public static readonly IReadOnlySet<string> Compatible = new HashSet<string>(StringComparer.Ordinal)
    {
        "MESSAGE_ADDED", "MESSAGE_MOVED", "ENUM_ADDED", "ENUM_REMOVED", "ENUM_CONST_ADDED", "ENUM_CONST_CHANGED", "ENUM_CONST_REMOVED",
        "FIELD_ADDED", "FIELD_REMOVED", "FIELD_NAME_CHANGED", "FIELD_STRING_OR_BYTES_LABEL_CHANGED", "ONEOF_ADDED", "ONEOF_REMOVED",
        "ONEOF_FIELD_ADDED", "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
    };

    private readonly TypeIndex _original;
    private readonly TypeIndex _update;
    private readonly List<ProtoDifference> _differences = [];
    private readonly HashSet<ProtoDifference> _seen = [];
    private readonly HashSet<(DescriptorProto, DescriptorProto)> _inProgress = [];

    private ProtobufDiff(ProtobufSchema original, ProtobufSchema update)
    {
        _original = new TypeIndex(original.AllFiles);
        _update = new TypeIndex(update.AllFiles);
    }

    public static IReadOnlyList<ProtoDifference> Compare(ProtobufSchema original, ProtobufSchema update)
    {
        var diff = new ProtobufDiff(original, update);
        if ((original.File.Package ?? "") != (update.File.Package ?? "")) diff.Add("PACKAGE_CHANGED", "#/");
        diff.CompareMessageLists("", original.File.MessageTypes, update.File.MessageTypes);
        diff.CompareEnumLists("", original.File.EnumTypes, update.File.EnumTypes);
        return diff._differences;
    }

    public static string Sentence(string type, string from, string to) => type switch
    {
        "PACKAGE_CHANGED" => "the package changed, so every type gets a new full name",
        "MESSAGE_REMOVED" => $"a message of the {from} schema is gone; readers that use it break",
        "FIELD_KIND_CHANGED" => "the field changed between a scalar and a message; the wire types differ",
        "FIELD_SCALAR_KIND_CHANGED" => "the field's scalar type changed to one with a different wire encoding",
        "FIELD_NAMED_TYPE_CHANGED" => "the field's message or enum type changed",
        "FIELD_NUMERIC_LABEL_CHANGED" => "a numeric field changed between singular and repeated",
        "REQUIRED_FIELD_ADDED" => $"a required field was added; data written with the {from} schema lacks it",
        "REQUIRED_FIELD_REMOVED" => $"a required field was removed; readers with the {from} schema require it",
        "ONEOF_FIELD_REMOVED" => "a field was removed from a oneof",
        "MULTIPLE_FIELDS_MOVED_TO_ONEOF" => "several existing fields were moved into a new oneof; data with more than one of them set cannot be read",
        "FIELD_MOVED_TO_EXISTING_ONEOF" => "an existing field was moved into an existing oneof",
        _ => type.ToLowerInvariant().Replace('_', ' '),
    };

    private void Add(string type, string path)
    {
        var d = new ProtoDifference(type, path);
        if (_seen.Add(d)) _differences.Add(d);
    }

    private void CompareMessageLists(string prefix, List<DescriptorProto> original, List<DescriptorProto> update)
    {
        var o = original.Where(m => m.Options?.MapEntry != true).Select((m, i) => (m, i)).ToDictionary(x => x.m.Name, StringComparer.Ordinal);
        var u = update.Where(m => m.Options?.MapEntry != true).Select((m, i) => (m, i)).ToDictionary(x => x.m.Name, StringComparer.Ordinal);
        foreach (var (name, (message, index)) in o)
        {
            var path = "#/" + prefix + name;
            if (!u.TryGetValue(name, out var after))
            {
                Add("MESSAGE_REMOVED", path);
                continue;
            }
            if (after.i != index) Add("MESSAGE_MOVED", path);
            CompareMessage(prefix + name, message, after.m);
        }
        foreach (var name in u.Keys.Where(n => !o.ContainsKey(n))) Add("MESSAGE_ADDED", "#/" + prefix + name);
    }

    private void CompareEnumLists(string prefix, List<EnumDescriptorProto> original, List<EnumDescriptorProto> update)
    {
        var u = update.ToDictionary(e => e.Name, StringComparer.Ordinal);
        foreach (var e in original)
        {
            var path = "#/" + prefix + e.Name;
            if (!u.TryGetValue(e.Name, out var after))
            {
                Add("ENUM_REMOVED", path);
                continue;
            }
            var before = e.Values.GroupBy(v => v.Number).ToDictionary(g => g.Key, g => g.First().Name);
            var now = after.Values.GroupBy(v => v.Number).ToDictionary(g => g.Key, g => g.First().Name);
            foreach (var (number, name) in before)
            {
                if (!now.TryGetValue(number, out var renamed)) Add("ENUM_CONST_REMOVED", $"{path}/{number}");
                else if (renamed != name) Add("ENUM_CONST_CHANGED", $"{path}/{number}");
            }
            foreach (var number in now.Keys.Where(n => !before.ContainsKey(n))) Add("ENUM_CONST_ADDED", $"{path}/{number}");
        }
        foreach (var e in update.Where(e => original.All(o => o.Name != e.Name))) Add("ENUM_ADDED", "#/" + prefix + e.Name);
    }

    private void CompareMessage(string path, DescriptorProto original, DescriptorProto update)
    {
        if (!_inProgress.Add((original, update))) return;
        try
        {
            CompareMessageLists(path + "/", original.NestedTypes, update.NestedTypes);
            CompareEnumLists(path + "/", original.EnumTypes, update.EnumTypes);
            CompareFields(path, original, update);
        }
        finally
        {
            _inProgress.Remove((original, update));
        }
    }

    private void CompareFields(string path, DescriptorProto original, DescriptorProto update)
    {
        var oOneofs = RealOneofs(original);
        var uOneofs = RealOneofs(update);
        var oFields = original.Fields.ToDictionary(f => f.Number);
        var uFields = update.Fields.ToDictionary(f => f.Number);
        var movedIntoNewOneof = new Dictionary<string, int>(StringComparer.Ordinal);

        foreach (var name in oOneofs.Values.Distinct().Where(n => !uOneofs.ContainsValue(n))) Add("ONEOF_REMOVED", $"#/{path}/{name}");
        foreach (var name in uOneofs.Values.Distinct().Where(n => !oOneofs.ContainsValue(n))) Add("ONEOF_ADDED", $"#/{path}/{name}");

        foreach (var number in oFields.Keys.Union(uFields.Keys).Order())
        {
            var hadField = oFields.TryGetValue(number, out var before);
            var hasField = uFields.TryGetValue(number, out var after);
            var oOneof = hadField ? oOneofs.GetValueOrDefault(number) : null;
            var uOneof = hasField ? uOneofs.GetValueOrDefault(number) : null;
            if (!hadField)
            {
                if (uOneof is not null) Add("ONEOF_FIELD_ADDED", $"#/{path}/{uOneof}/{number}");
                else Add(after!.label == FieldDescriptorProto.Label.LabelRequired ? "REQUIRED_FIELD_ADDED" : "FIELD_ADDED", $"#/{path}/{number}");
                continue;
            }
            if (!hasField)
            {
                if (oOneof is not null) Add("ONEOF_FIELD_REMOVED", $"#/{path}/{oOneof}/{number}");
                else Add(before!.label == FieldDescriptorProto.Label.LabelRequired ? "REQUIRED_FIELD_REMOVED" : "FIELD_REMOVED", $"#/{path}/{number}");
                continue;
            }

            if (oOneof is not null && uOneof is null) Add("ONEOF_FIELD_MOVED_TO_TOP_LEVEL", $"#/{path}/{number}");
            else if (uOneof is not null && uOneof != oOneof)
            {
                if (oOneofs.ContainsValue(uOneof)) Add("FIELD_MOVED_TO_EXISTING_ONEOF", $"#/{path}/{uOneof}");
                else if (oOneof is null) movedIntoNewOneof[uOneof] = movedIntoNewOneof.GetValueOrDefault(uOneof) + 1;
            }
            if (before!.Name != after!.Name) Add("FIELD_NAME_CHANGED", $"#/{path}/{number}");
            CompareFieldTypes($"#/{path}/{number}", before, after);
            if (oOneof is null && uOneof is null && IsRepeated(before) != IsRepeated(after) && !IsMessage(before))
                Add(before.type is FieldDescriptorProto.Type.TypeString or FieldDescriptorProto.Type.TypeBytes
                    ? "FIELD_STRING_OR_BYTES_LABEL_CHANGED" : "FIELD_NUMERIC_LABEL_CHANGED", $"#/{path}/{number}");
        }
        foreach (var (oneof, moved) in movedIntoNewOneof)
            if (moved > 1) Add("MULTIPLE_FIELDS_MOVED_TO_ONEOF", $"#/{path}/{oneof}");
    }

    private void CompareFieldTypes(string path, FieldDescriptorProto before, FieldDescriptorProto after)
    {
        if (IsMessage(before) != IsMessage(after))
        {
            Add("FIELD_KIND_CHANGED", path);
            return;
        }
        if (!IsMessage(before))
        {
            if (Group(before.type) != Group(after.type)) Add("FIELD_SCALAR_KIND_CHANGED", path);
            else if (before.type == FieldDescriptorProto.Type.TypeEnum && after.type == FieldDescriptorProto.Type.TypeEnum
                     && _original.LocalName(before.TypeName) != _update.LocalName(after.TypeName))
                Add("FIELD_NAMED_TYPE_CHANGED", path);
            return;
        }
        var oType = _original.Message(before.TypeName);
        var uType = _update.Message(after.TypeName);
        if (oType?.Message.Options?.MapEntry == true && uType?.Message.Options?.MapEntry == true)
        {
            // A map compares as its key and value types, as Confluent does.
            foreach (var number in new[] { 1, 2 })
            {
                var o = oType.Value.Message.Fields.FirstOrDefault(f => f.Number == number);
                var u = uType.Value.Message.Fields.FirstOrDefault(f => f.Number == number);
                if (o is not null && u is not null) CompareFieldTypes(path, o, u);
            }
            return;
        }
        var oName = _original.LocalName(before.TypeName);
        var uName = _update.LocalName(after.TypeName);
        if (oName != uName)
        {
            Add("FIELD_NAMED_TYPE_CHANGED", path);
            return;
        }
        // Types declared in this file are compared where they are declared; imported ones are compared here.
        if (oType is null || uType is null || (!oType.Value.Imported && !uType.Value.Imported)) return;
        var start = _differences.Count;
        CompareMessage(oName.Replace('.', '/'), oType.Value.Message, uType.Value.Message);
        if (_differences.Skip(start).Any(d => !Compatible.Contains(d.Type))) Add("FIELD_NAMED_TYPE_CHANGED", path);
    }

    /// <summary>Field number to oneof name, without the synthetic oneofs of proto3 optional fields.</summary>
    private static Dictionary<int, string> RealOneofs(DescriptorProto message)
    {
        var result = new Dictionary<int, string>();
        foreach (var field in message.Fields)
            if (field.ShouldSerializeOneofIndex() && !field.Proto3Optional && field.OneofIndex < message.OneofDecls.Count)
                result[field.Number] = message.OneofDecls[field.OneofIndex].Name;
        return result;
    }

    private static bool IsMessage(FieldDescriptorProto f) => f.type is FieldDescriptorProto.Type.TypeMessage or FieldDescriptorProto.Type.TypeGroup;

    private static bool IsRepeated(FieldDescriptorProto f) => f.label == FieldDescriptorProto.Label.LabelRepeated;

    /// <summary>Scalar types that share a wire encoding read each other's data (the protobuf compatibility rules).</summary>
    private static string Group(FieldDescriptorProto.Type type) => type switch
    {
        FieldDescriptorProto.Type.TypeInt32 or FieldDescriptorProto.Type.TypeUint32 or FieldDescriptorProto.Type.TypeInt64
            or FieldDescriptorProto.Type.TypeUint64 or FieldDescriptorProto.Type.TypeBool or FieldDescriptorProto.Type.TypeEnum => "varint",
        FieldDescriptorProto.Type.TypeSint32 or FieldDescriptorProto.Type.TypeSint64 => "zigzag",
        FieldDescriptorProto.Type.TypeString or FieldDescriptorProto.Type.TypeBytes => "length-delimited",
        FieldDescriptorProto.Type.TypeFixed32 or FieldDescriptorProto.Type.TypeSfixed32 => "fixed32",
        FieldDescriptorProto.Type.TypeFixed64 or FieldDescriptorProto.Type.TypeSfixed64 => "fixed64",
        _ => type.ToString(),
    };
}
