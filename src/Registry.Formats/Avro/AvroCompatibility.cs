namespace Registry.Formats.Avro;

/// <summary>
/// Avro schema resolution (can a reader schema read data written with a writer schema?), following the
/// Avro specification and the incompatibility types of Apache Avro's SchemaCompatibility, worded as
/// Confluent's verbose messages. Recursive types terminate: a pair in progress counts as compatible.
/// </summary>
internal sealed class AvroCompatibility(string readerLabel, string writerLabel)
{
    private readonly HashSet<(AvroType, AvroType)> _inProgress = [];
    private readonly Dictionary<(AvroType, AvroType), bool> _memo = [];
    private readonly List<string> _messages = [];

    public static IReadOnlyList<string> Check(AvroType reader, AvroType writer, string readerLabel, string writerLabel)
    {
        var checker = new AvroCompatibility(readerLabel, writerLabel);
        checker.Compare(reader, writer, "/", report: true);
        return checker._messages;
    }

    /// <summary>True when compatible; adds messages only when <paramref name="report"/> is set.</summary>
    private bool Compare(AvroType reader, AvroType writer, string path, bool report)
    {
        var key = (reader, writer);
        if (!report && _memo.TryGetValue(key, out var known)) return known;
        if (!_inProgress.Add(key)) return true;
        try
        {
            var ok = CompareCore(reader, writer, path, report);
            if (!report) _memo[key] = ok;
            return ok;
        }
        finally
        {
            _inProgress.Remove(key);
        }
    }

    private bool CompareCore(AvroType reader, AvroType writer, string path, bool report)
    {
        if (reader.Kind == writer.Kind || (reader.Kind is "record" or "error" && writer.Kind is "record" or "error"))
        {
            switch (reader)
            {
                case AvroPrimitive:
                    return true;
                case AvroArray ra:
                    return Compare(ra.Items, ((AvroArray)writer).Items, Join(path, "items"), report);
                case AvroMap rm:
                    return Compare(rm.Values, ((AvroMap)writer).Values, Join(path, "values"), report);
                case AvroFixed rf:
                    {
                        var wf = (AvroFixed)writer;
                        if (!NameMatches(rf, wf)) return Fail(report, "NAME_MISMATCH", $"The name of the schema has changed (path '{Join(path, "name")}')", $"expected: {wf.FullName}");
                        if (rf.Size != wf.Size)
                            return Fail(report, "FIXED_SIZE_MISMATCH",
                                $"The size of FIXED type field at path '{Join(path, "size")}' in the {readerLabel} schema does not match with the {writerLabel} schema",
                                $"expected: {wf.Size}, found: {rf.Size}");
                        return true;
                    }
                case AvroEnum re:
                    {
                        var we = (AvroEnum)writer;
                        if (!NameMatches(re, we)) return Fail(report, "NAME_MISMATCH", $"The name of the schema has changed (path '{Join(path, "name")}')", $"expected: {we.FullName}");
                        var missing = we.Symbols.Where(s => !re.Symbols.Contains(s)).ToList();
                        if (missing.Count > 0 && re.Default is null)
                            return Fail(report, "MISSING_ENUM_SYMBOLS",
                                $"The {readerLabel} schema is missing enum symbols '{string.Join(", ", missing)}' at path '{Join(path, "symbols")}' in the {writerLabel} schema",
                                $"[{string.Join(", ", missing)}]");
                        return true;
                    }
                case AvroRecord rr:
                    return CompareRecords(rr, (AvroRecord)writer, path, report);
                case AvroUnion ru:
                    {
                        var ok = true;
                        var wu = (AvroUnion)writer;
                        for (var i = 0; i < wu.Branches.Count; i++)
                        {
                            if (ReaderUnionAccepts(ru, wu.Branches[i])) continue;
                            ok = Fail(report, "MISSING_UNION_BRANCH",
                                $"The {readerLabel} schema is missing a type inside a union field at path '{Join(path, i.ToString(System.Globalization.CultureInfo.InvariantCulture))}' in the {writerLabel} schema",
                                $"reader union lacking writer type: {wu.Branches[i].KindUpper}");
                            if (!report) return false;
                        }
                        return ok;
                    }
            }
        }

        if (writer is AvroUnion writerUnion)
        {
            var ok = true;
            for (var i = 0; i < writerUnion.Branches.Count; i++)
            {
                ok &= Compare(reader, writerUnion.Branches[i], Join(path, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), report);
                if (!ok && !report) return false;
            }
            return ok;
        }

        if (reader is AvroUnion readerUnion)
        {
            if (ReaderUnionAccepts(readerUnion, writer)) return true;
            return Fail(report, "MISSING_UNION_BRANCH",
                $"The {readerLabel} schema is missing a type inside a union field at path '{path}' in the {writerLabel} schema",
                $"reader union lacking writer type: {writer.KindUpper}");
        }

        if (IsPromotion(reader.Kind, writer.Kind)) return true;
        return Fail(report, "TYPE_MISMATCH",
            $"The type (path '{path}') of a field in the {readerLabel} schema does not match with the {writerLabel} schema",
            $"reader type: {reader.KindUpper} not compatible with writer type: {writer.KindUpper}");
    }

    private bool CompareRecords(AvroRecord reader, AvroRecord writer, string path, bool report)
    {
        if (!NameMatches(reader, writer)) return Fail(report, "NAME_MISMATCH", $"The name of the schema has changed (path '{Join(path, "name")}')", $"expected: {writer.FullName}");
        var ok = true;
        // Indexed by name: records with 100,000 fields must not cost 10^10 comparisons.
        var writerFields = new Dictionary<string, (AvroField Field, int Index)>(writer.Fields.Count, StringComparer.Ordinal);
        for (var i = 0; i < writer.Fields.Count; i++) writerFields.TryAdd(writer.Fields[i].Name, (writer.Fields[i], i));
        for (var i = 0; i < reader.Fields.Count; i++)
        {
            var field = reader.Fields[i];
            var fieldPath = Join(Join(path, "fields"), i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // By name, else the first writer field (in writer order) that the reader field names as an alias.
            var writerField = writerFields.TryGetValue(field.Name, out var byName) ? byName.Field
                : field.Aliases.Select(a => writerFields.TryGetValue(a, out var w) ? w : default).Where(w => w.Field is not null).OrderBy(w => w.Index).FirstOrDefault().Field;
            if (writerField is null)
            {
                if (field.Default is not null) continue;
                ok = Fail(report, "READER_FIELD_MISSING_DEFAULT_VALUE",
                    $"The field '{field.Name}' at path '{fieldPath}' in the {readerLabel} schema has no default value and is missing in the {writerLabel} schema",
                    field.Name);
            }
            else
            {
                ok &= Compare(field.Type, writerField.Type, Join(fieldPath, "type"), report);
            }
            if (!ok && !report) return false;
        }
        return ok;
    }

    private bool ReaderUnionAccepts(AvroUnion reader, AvroType writerBranch) =>
        reader.Branches.Any(b => Compare(b, writerBranch, "/", report: false));

    /// <summary>As Avro's schemaNameEquals: the unqualified names match, or the reader has the writer's full name as an alias.</summary>
    private static bool NameMatches(AvroNamed reader, AvroNamed writer) =>
        reader.Name == writer.Name || reader.Aliases.Contains(writer.FullName);

    private static bool IsPromotion(string reader, string writer) => (reader, writer) switch
    {
        ("long", "int") => true,
        ("float", "int" or "long") => true,
        ("double", "int" or "long" or "float") => true,
        ("bytes", "string") or ("string", "bytes") => true,
        _ => false,
    };

    private bool Fail(bool report, string type, string description, string additionalInfo)
    {
        if (report) _messages.Add($"{{errorType:'{type}', description:'{description}', additionalInfo:'{additionalInfo}'}}");
        return false;
    }

    private static string Join(string path, string segment) => path == "/" ? "/" + segment : path + "/" + segment;
}
