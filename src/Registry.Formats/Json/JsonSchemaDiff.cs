using System.Text.Json;

namespace Registry.Formats.Json;

/// <summary>One difference between two JSON Schemas: Confluent's type name and a JSON path such as <c>#/properties/foo</c>.</summary>
internal readonly record struct JsDifference(string Type, string Path);

/// <summary>
/// The differences from an original (older) JSON Schema to an update, with Confluent's difference types.
/// Recursive references terminate: a pair of schemas already being compared adds nothing.
/// </summary>
internal sealed class JsonSchemaDiff
{
    private readonly HashSet<(JsNode, JsNode)> _inProgress = [];
    private readonly IReadOnlySet<string> _compatible;

    private JsonSchemaDiff(IReadOnlySet<string> compatible) => _compatible = compatible;

    public static List<JsDifference> Compare(JsNode original, JsNode update, IReadOnlySet<string> compatible)
    {
        var differences = new List<JsDifference>();
        new JsonSchemaDiff(compatible).Compare(differences, "#/", original, update);
        return differences;
    }

    private bool IsCompatible(List<JsDifference> differences) => differences.All(d => _compatible.Contains(d.Type));

    private List<JsDifference> Sub(string path, JsNode? original, JsNode? update)
    {
        var differences = new List<JsDifference>();
        Compare(differences, path, original, update);
        return differences;
    }

    private void Compare(List<JsDifference> diffs, string path, JsNode? original, JsNode? update)
    {
        if (original is null && update is null) return;
        if (original is null) { diffs.Add(new("SCHEMA_ADDED", path)); return; }
        if (update is null) { diffs.Add(new("SCHEMA_REMOVED", path)); return; }
        original = Unref(original);
        update = Unref(update);
        if (!_inProgress.Add((original, update))) return;
        try
        {
            CompareCore(diffs, path, original, update);
        }
        finally
        {
            _inProgress.Remove((original, update));
        }
    }

    private void CompareCore(List<JsDifference> diffs, string path, JsNode original, JsNode update)
    {
        if (original is not JsCombined && update is JsCombined combinedUpdate)
        {
            if (combinedUpdate.Subschemas.Count == 1)
            {
                var sub = Sub(path, original, combinedUpdate.Subschemas[0]);
                if (IsCompatible(sub)) { diffs.AddRange(sub); return; }
            }
            else if (combinedUpdate.Criterion is "anyOf" or "oneOf")
            {
                foreach (var subschema in combinedUpdate.Subschemas)
                {
                    var sub = Sub(path, original, subschema);
                    if (!IsCompatible(sub)) continue;
                    diffs.AddRange(sub);
                    diffs.Add(new("SUM_TYPE_EXTENDED", path));
                    return;
                }
            }
        }
        else if (original is JsCombined combinedOriginal && update is not JsCombined)
        {
            if (combinedOriginal.Subschemas.Count == 1)
            {
                var sub = Sub(path, combinedOriginal.Subschemas[0], update);
                if (IsCompatible(sub)) { diffs.AddRange(sub); return; }
            }
            else if (combinedOriginal.Criterion == "allOf")
            {
                foreach (var subschema in combinedOriginal.Subschemas)
                {
                    var sub = Sub(path, subschema, update);
                    if (!IsCompatible(sub)) continue;
                    diffs.AddRange(sub);
                    diffs.Add(new("PRODUCT_TYPE_NARROWED", path));
                    return;
                }
            }
        }

        if (!SameKind(original, update))
        {
            // As Confluent: nothing is refused by a schema that accepts everything ({} or true), and nothing was accepted by false.
            if (original is not JsFalse && update is not JsTrue) diffs.Add(new("TYPE_CHANGED", path));
            return;
        }

        if (original.Id != update.Id) diffs.Add(new("ID_CHANGED", path));
        if (original.Title != update.Title) diffs.Add(new("TITLE_CHANGED", path));
        if (original.Description != update.Description) diffs.Add(new("DESCRIPTION_CHANGED", path));
        if (!JsonEquals(original.Default, update.Default)) diffs.Add(new("DEFAULT_CHANGED", path));

        switch (original)
        {
            case JsString s: CompareStrings(diffs, path, s, (JsString)update); break;
            case JsNumber n: CompareNumbers(diffs, path, n, (JsNumber)update); break;
            case JsEnum e: CompareEnums(diffs, path, e, (JsEnum)update); break;
            case JsNot not: CompareNot(diffs, path, not, (JsNot)update); break;
            case JsCombined c: CompareCombined(diffs, path, c, (JsCombined)update); break;
            case JsObject o: CompareObjects(diffs, path, o, (JsObject)update); break;
            case JsArray a: CompareArrays(diffs, path, a, (JsArray)update); break;
        }
    }

    private static JsNode Unref(JsNode node)
    {
        // A chain of references ends, or loops; a loop counts as an empty schema.
        for (var hops = 0; node is JsRef r; hops++)
        {
            if (hops > 64) return new JsTrue();
            node = r.Target;
        }
        return node;
    }

    private static bool SameKind(JsNode a, JsNode b) => a.Kind == b.Kind;

    private static void CompareStrings(List<JsDifference> diffs, string path, JsString o, JsString u)
    {
        Bound(diffs, Join(path, "maxLength"), "MAX_LENGTH", o.MaxLength, u.MaxLength);
        Bound(diffs, Join(path, "minLength"), "MIN_LENGTH", o.MinLength, u.MinLength);
        if (o.Pattern != u.Pattern)
            diffs.Add(new(o.Pattern is null ? "PATTERN_ADDED" : u.Pattern is null ? "PATTERN_REMOVED" : "PATTERN_CHANGED", Join(path, "pattern")));
    }

    private static void CompareNumbers(List<JsDifference> diffs, string path, JsNumber o, JsNumber u)
    {
        Bound(diffs, Join(path, "maximum"), "MAXIMUM", o.Maximum, u.Maximum);
        Bound(diffs, Join(path, "minimum"), "MINIMUM", o.Minimum, u.Minimum);
        Bound(diffs, Join(path, "exclusiveMaximum"), "EXCLUSIVE_MAXIMUM", o.ExclusiveMaximum, u.ExclusiveMaximum);
        Bound(diffs, Join(path, "exclusiveMinimum"), "EXCLUSIVE_MINIMUM", o.ExclusiveMinimum, u.ExclusiveMinimum);
        if (o.MultipleOf != u.MultipleOf)
        {
            var type = (o.MultipleOf, u.MultipleOf) switch
            {
                (null, _) => "MULTIPLE_OF_ADDED",
                (_, null) => "MULTIPLE_OF_REMOVED",
                var (a, b) when b!.Value % a!.Value == 0 => "MULTIPLE_OF_EXPANDED",
                var (a, b) when a!.Value % b!.Value == 0 => "MULTIPLE_OF_REDUCED",
                _ => "MULTIPLE_OF_CHANGED",
            };
            diffs.Add(new(type, Join(path, "multipleOf")));
        }
        if (o.RequiresInteger != u.RequiresInteger) diffs.Add(new(o.RequiresInteger ? "TYPE_EXTENDED" : "TYPE_NARROWED", path));
    }

    /// <summary>ADDED / REMOVED / INCREASED / DECREASED of a numeric keyword.</summary>
    private static void Bound(List<JsDifference> diffs, string path, string name, decimal? o, decimal? u)
    {
        if (o == u) return;
        var change = o is null ? "ADDED" : u is null ? "REMOVED" : u > o ? "INCREASED" : "DECREASED";
        diffs.Add(new($"{name}_{change}", path));
    }

    private static void CompareEnums(List<JsDifference> diffs, string path, JsEnum o, JsEnum u)
    {
        var before = o.Values.Select(v => v.GetRawText()).ToHashSet(StringComparer.Ordinal);
        var after = u.Values.Select(v => v.GetRawText()).ToHashSet(StringComparer.Ordinal);
        if (before.SetEquals(after)) return;
        var at = Join(path, o.IsConst ? "const" : "enum");
        diffs.Add(new(after.IsSupersetOf(before) ? "ENUM_ARRAY_EXTENDED" : after.IsSubsetOf(before) ? "ENUM_ARRAY_NARROWED" : "ENUM_ARRAY_CHANGED", at));
    }

    private void CompareNot(List<JsDifference> diffs, string path, JsNot o, JsNot u)
    {
        // "not" reverses the direction: values the old schema excluded must stay excluded.
        var sub = Sub(Join(path, "not"), u.MustNot, o.MustNot);
        if (sub.Count == 0) return;
        diffs.Add(new(IsCompatible(sub) ? "NOT_TYPE_NARROWED" : "NOT_TYPE_EXTENDED", Join(path, "not")));
    }

    private void CompareCombined(List<JsDifference> diffs, string path, JsCombined o, JsCombined u)
    {
        var originals = Distinct(o.Subschemas);
        var updates = Distinct(u.Subschemas);
        if (o.Criterion != u.Criterion)
        {
            // Confluent's compareCriteria: anyOf accepts what any criterion did; a single subschema is the same under any
            // criterion that keeps it (oneOf of more, or from an allOf).
            var singleOriginal = o.Subschemas.Count == 1;
            var singleUpdate = u.Subschemas.Count == 1;
            var extended = u.Criterion == "anyOf" || (singleOriginal && singleUpdate)
                || (singleOriginal && u.Criterion == "oneOf") || (singleUpdate && o.Criterion == "allOf");
            diffs.Add(new(extended ? "COMBINED_TYPE_EXTENDED" : "COMBINED_TYPE_CHANGED", path));
            if (!extended) return;
        }
        if (originals.Count < updates.Count) diffs.Add(new(u.Criterion == "allOf" ? "PRODUCT_TYPE_EXTENDED" : "SUM_TYPE_EXTENDED", path));
        else if (originals.Count > updates.Count) diffs.Add(new(o.Criterion == "allOf" ? "PRODUCT_TYPE_NARROWED" : "SUM_TYPE_NARROWED", path));

        // Pair each old subschema with a new one it stays compatible with (maximum bipartite matching).
        var compatible = new List<JsDifference>?[originals.Count, updates.Count];
        for (var i = 0; i < originals.Count; i++)
            for (var j = 0; j < updates.Count; j++)
            {
                var sub = Sub(Join(Join(path, o.Criterion), originals[i].Index.ToString(System.Globalization.CultureInfo.InvariantCulture)), originals[i].Node, updates[j].Node);
                if (IsCompatible(sub)) compatible[i, j] = sub;
            }
        var matchOfUpdate = Enumerable.Repeat(-1, updates.Count).ToArray();
        for (var i = 0; i < originals.Count; i++) Augment(i, new bool[updates.Count], compatible, matchOfUpdate);
        var matched = matchOfUpdate.Count(m => m >= 0);
        if (matched < Math.Min(originals.Count, updates.Count))
        {
            diffs.Add(new("COMBINED_TYPE_SUBSCHEMAS_CHANGED", path));
            return;
        }
        foreach (var (i, j) in matchOfUpdate.Select((i, j) => (i, j)).Where(p => p.i >= 0).OrderBy(p => p.i))
            diffs.AddRange(compatible[i, j]!);
    }

    private static bool Augment(int i, bool[] seen, List<JsDifference>?[,] edges, int[] matchOfUpdate)
    {
        for (var j = 0; j < matchOfUpdate.Length; j++)
        {
            if (edges[i, j] is null || seen[j]) continue;
            seen[j] = true;
            if (matchOfUpdate[j] < 0 || Augment(matchOfUpdate[j], seen, edges, matchOfUpdate))
            {
                matchOfUpdate[j] = i;
                return true;
            }
        }
        return false;
    }

    /// <summary>Subschemas with structural duplicates collapsed (as a set), keeping their first index.</summary>
    private static List<(JsNode Node, int Index)> Distinct(List<JsNode> subschemas)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<(JsNode, int)>();
        for (var i = 0; i < subschemas.Count; i++)
            if (seen.Add(Fingerprint(subschemas[i], 0))) result.Add((subschemas[i], i));
        return result;
    }

    private void CompareObjects(List<JsDifference> diffs, string path, JsObject o, JsObject u)
    {
        var originalProps = o.Properties.ToDictionary(p => p.Name, p => p.Schema, StringComparer.Ordinal);
        var updateProps = u.Properties.ToDictionary(p => p.Name, p => p.Schema, StringComparer.Ordinal);
        foreach (var (name, schema) in u.Properties)
        {
            var at = Join(Join(path, "properties"), name);
            if (originalProps.TryGetValue(name, out var before))
            {
                Compare(diffs, at, before, schema);
                continue;
            }
            var required = u.Required.Contains(name);
            var withDefault = Unref(schema).Default is not null;
            if (o.IsOpen)
            {
                diffs.Add(new(required
                    ? withDefault ? "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL" : "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
                    : IsEmpty(schema) ? "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL" : "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", at));
                continue;
            }
            if (o.IsPartiallyOpen)
            {
                var sub = Sub(at, Covering(o, name), schema);
                diffs.AddRange(sub);
                diffs.Add(new(IsCompatible(sub) ? "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" : "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", at));
            }
            diffs.Add(new(required
                ? withDefault ? "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL" : "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
                : "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", at));
        }
        foreach (var (name, schema) in o.Properties)
        {
            if (updateProps.ContainsKey(name)) continue;
            var at = Join(Join(path, "properties"), name);
            if (u.IsOpen)
            {
                diffs.Add(new("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", at));
            }
            else if (u.IsPartiallyOpen)
            {
                var sub = Sub(at, schema, Covering(u, name));
                diffs.AddRange(sub);
                diffs.Add(new(IsCompatible(sub) ? "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" : "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", at));
            }
            else
            {
                diffs.Add(new(Unref(schema) is JsFalse ? "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL" : "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", at));
            }
        }

        // A newly required property that is also new was reported above; one that is no property at all is not a change of the model.
        foreach (var name in u.Required.Where(r => !o.Required.Contains(r) && originalProps.ContainsKey(r) && updateProps.ContainsKey(r)).Order(StringComparer.Ordinal))
        {
            var withDefault = updateProps.TryGetValue(name, out var s) && Unref(s).Default is not null;
            diffs.Add(new(withDefault ? "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED" : "REQUIRED_ATTRIBUTE_ADDED", Join(Join(path, "required"), name)));
        }
        foreach (var name in o.Required.Where(r => !u.Required.Contains(r)).Order(StringComparer.Ordinal))
            diffs.Add(new("REQUIRED_ATTRIBUTE_REMOVED", Join(Join(path, "required"), name)));

        Bound(diffs, Join(path, "maxProperties"), "MAX_PROPERTIES", o.MaxProperties, u.MaxProperties);
        Bound(diffs, Join(path, "minProperties"), "MIN_PROPERTIES", o.MinProperties, u.MinProperties);
        Open(diffs, Join(path, "additionalProperties"), "ADDITIONAL_PROPERTIES", o.PermitsAdditional, o.AdditionalSchema, u.PermitsAdditional, u.AdditionalSchema);
        if (o.HasUnevaluated || u.HasUnevaluated)
            Open(diffs, Join(path, "unevaluatedProperties"), "UNEVALUATED_PROPERTIES", o.PermitsUnevaluated, o.UnevaluatedSchema, u.PermitsUnevaluated, u.UnevaluatedSchema);

        foreach (var name in o.DependencyArrays.Keys.Union(u.DependencyArrays.Keys).Order(StringComparer.Ordinal))
        {
            var at = Join(Join(path, "dependencies"), name);
            var had = o.DependencyArrays.TryGetValue(name, out var before);
            var has = u.DependencyArrays.TryGetValue(name, out var after);
            if (!had) diffs.Add(new("DEPENDENCY_ARRAY_ADDED", at));
            else if (!has) diffs.Add(new("DEPENDENCY_ARRAY_REMOVED", at));
            else if (!before!.ToHashSet().SetEquals(after!))
                diffs.Add(new(after!.ToHashSet().IsSupersetOf(before!) ? "DEPENDENCY_ARRAY_EXTENDED" : after!.ToHashSet().IsSubsetOf(before!) ? "DEPENDENCY_ARRAY_NARROWED" : "DEPENDENCY_ARRAY_CHANGED", at));
        }
        foreach (var name in o.DependencySchemas.Keys.Union(u.DependencySchemas.Keys).Order(StringComparer.Ordinal))
        {
            var at = Join(Join(path, "dependencies"), name);
            var had = o.DependencySchemas.TryGetValue(name, out var before);
            var has = u.DependencySchemas.TryGetValue(name, out var after);
            if (!had) diffs.Add(new("DEPENDENCY_SCHEMA_ADDED", at));
            else if (!has) diffs.Add(new("DEPENDENCY_SCHEMA_REMOVED", at));
            else Compare(diffs, at, before, after);
        }
    }

    /// <summary>The schema that covers a property name in a partially open model: a matching pattern, else additionalProperties.</summary>
    private static JsNode Covering(JsObject model, string name)
    {
        foreach (var (pattern, schema) in model.PatternProperties)
        {
            try
            {
                if (System.Text.RegularExpressions.Regex.IsMatch(name, pattern, System.Text.RegularExpressions.RegexOptions.NonBacktracking)) return schema;
            }
            catch (ArgumentException)
            {
            }
        }
        return model.ExtraSchema ?? (model.PermitsExtra ? new JsTrue() : new JsFalse());
    }

    /// <summary>additionalProperties / additionalItems / unevaluated*: allowed or not, and the schema of the extras.</summary>
    private void Open(List<JsDifference> diffs, string path, string name, bool oPermits, JsNode? oSchema, bool uPermits, JsNode? uSchema)
    {
        if (oPermits && !uPermits) { diffs.Add(new($"{name}_REMOVED", path)); return; }
        if (!oPermits && uPermits) { diffs.Add(new($"{name}_ADDED", path)); return; }
        if (!oPermits) return;
        if (oSchema is null && uSchema is not null) diffs.Add(new($"{name}_NARROWED", path));
        else if (oSchema is not null && uSchema is null) diffs.Add(new($"{name}_EXTENDED", path));
        else if (oSchema is not null) Compare(diffs, path, oSchema, uSchema);
    }

    private void CompareArrays(List<JsDifference> diffs, string path, JsArray o, JsArray u)
    {
        Bound(diffs, Join(path, "maxItems"), "MAX_ITEMS", o.MaxItems, u.MaxItems);
        Bound(diffs, Join(path, "minItems"), "MIN_ITEMS", o.MinItems, u.MinItems);
        Bound(diffs, Join(path, "maxContains"), "MAX_CONTAINS", o.MaxContains, u.MaxContains);
        Bound(diffs, Join(path, "minContains"), "MIN_CONTAINS", o.MinContains, u.MinContains);
        if (o.UniqueItems != u.UniqueItems) diffs.Add(new(u.UniqueItems ? "UNIQUE_ITEMS_ADDED" : "UNIQUE_ITEMS_REMOVED", Join(path, "uniqueItems")));
        if (o.AllItems is not null || u.AllItems is not null) Compare(diffs, Join(path, "items"), o.AllItems, u.AllItems);

        var before = o.ItemSchemas ?? [];
        var after = u.ItemSchemas ?? [];
        for (var i = 0; i < Math.Max(before.Count, after.Count); i++)
        {
            var at = Join(Join(path, "items"), i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (i < before.Count && i < after.Count)
            {
                Compare(diffs, at, before[i], after[i]);
            }
            else if (i >= before.Count)
            {
                if (o.IsOpen) diffs.Add(new(IsEmpty(after[i]) ? "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL" : "ITEM_ADDED_TO_OPEN_CONTENT_MODEL", at));
                else if (o.ExtraItemsSchema is not null)
                {
                    var sub = Sub(at, o.ExtraItemsSchema, after[i]);
                    diffs.AddRange(sub);
                    diffs.Add(new(IsCompatible(sub) ? "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" : "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", at));
                }
                else diffs.Add(new("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", at));
            }
            else
            {
                if (u.IsOpen) diffs.Add(new("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", at));
                else if (u.ExtraItemsSchema is not null)
                {
                    var sub = Sub(at, before[i], u.ExtraItemsSchema);
                    diffs.AddRange(sub);
                    diffs.Add(new(IsCompatible(sub) ? "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" : "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", at));
                }
                else diffs.Add(new(Unref(before[i]) is JsFalse ? "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL" : "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", at));
            }
        }
        Open(diffs, Join(path, "additionalItems"), "ADDITIONAL_ITEMS", o.PermitsAdditionalItems, o.AdditionalItemsSchema, u.PermitsAdditionalItems, u.AdditionalItemsSchema);
        if (o.HasUnevaluatedItems || u.HasUnevaluatedItems)
            Open(diffs, Join(path, "unevaluatedItems"), "UNEVALUATED_ITEMS", o.PermitsUnevaluatedItems, o.UnevaluatedItemsSchema, u.PermitsUnevaluatedItems, u.UnevaluatedItemsSchema);
        if (o.Contains is not null || u.Contains is not null) Compare(diffs, Join(path, "contains"), o.Contains, u.Contains);
    }

    private static bool IsEmpty(JsNode node) => Unref(node) is JsTrue { Title: null, Description: null, Default: null };

    private static bool JsonEquals(JsonElement? a, JsonElement? b) =>
        a is null ? b is null : b is not null && JsonElement.DeepEquals(a.Value, b.Value);

    private static string Join(string path, string segment) => path.EndsWith('/') ? path + segment : path + "/" + segment;

    /// <summary>A structural key of a node, to collapse duplicate subschemas; references count by their target text.</summary>
    private static string Fingerprint(JsNode node, int depth)
    {
        if (depth > 32) return "...";
        return node switch
        {
            JsRef r => "ref:" + r.Reference,
            JsString s => $"string({s.MinLength},{s.MaxLength},{s.Pattern}){Annotations(s)}",
            JsNumber n => $"number({n.RequiresInteger},{n.Minimum},{n.Maximum},{n.ExclusiveMinimum},{n.ExclusiveMaximum},{n.MultipleOf}){Annotations(n)}",
            JsEnum e => $"enum({string.Join(",", e.Values.Select(v => v.GetRawText()))}){Annotations(e)}",
            JsNot not => $"not({Fingerprint(not.MustNot, depth + 1)})",
            JsCombined c => $"{c.Criterion}({string.Join(",", c.Subschemas.Select(s => Fingerprint(s, depth + 1)))}){Annotations(c)}",
            JsObject o => $"object({string.Join(",", o.Properties.Select(p => p.Name + ":" + Fingerprint(p.Schema, depth + 1)))};{string.Join(",", o.Required.Order())};{o.PermitsAdditional};{(o.AdditionalSchema is null ? "" : Fingerprint(o.AdditionalSchema, depth + 1))};{o.PatternProperties.Count}){Annotations(o)}",
            JsArray a => $"array({(a.AllItems is null ? "" : Fingerprint(a.AllItems, depth + 1))};{string.Join(",", (a.ItemSchemas ?? []).Select(i => Fingerprint(i, depth + 1)))};{a.PermitsAdditionalItems};{a.MinItems};{a.MaxItems};{a.UniqueItems}){Annotations(a)}",
            _ => node.Kind + Annotations(node),
        };
    }

    private static string Annotations(JsNode n) => $"[{n.Id}|{n.Title}|{n.Description}|{n.Default?.GetRawText()}]";
}
