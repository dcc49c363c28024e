namespace Registry.Formats.Json;

/// <summary>A sentence a person can act on, for each JSON Schema difference type.</summary>
internal static class JsonDifferenceText
{
    public static string Sentence(string type, string from, string to) => type switch
    {
        "TYPE_CHANGED" => $"the type in the {to} schema is not the type in the {from} schema, so values valid before are rejected",
        "TYPE_NARROWED" => $"the {to} schema accepts fewer types (for example integer instead of number)",
        "REQUIRED_ATTRIBUTE_ADDED" => $"the property is required in the {to} schema but was optional; data without it is rejected (give it a default to make this compatible)",
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL" or "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" =>
            $"a new required property was added; data written with the {from} schema does not have it",
        "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL" =>
            $"a property was added to an open content model; data written with the {from} schema may already use that name with another type (set additionalProperties to false, or use the LENIENT policy)",
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" => $"a property was removed from a closed content model; data that has it is now rejected",
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" or "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL" =>
            "the property's schema does not match the additionalProperties or patternProperties schema that covers that name",
        "ADDITIONAL_PROPERTIES_REMOVED" or "ADDITIONAL_PROPERTIES_NARROWED" => $"the {to} schema rejects additional properties that the {from} schema allowed",
        "ENUM_ARRAY_NARROWED" or "ENUM_ARRAY_CHANGED" => $"values allowed by the {from} schema's enum or const are no longer allowed",
        "SUM_TYPE_NARROWED" => "a branch of anyOf/oneOf was removed",
        "PRODUCT_TYPE_EXTENDED" => "a constraint was added to allOf",
        "COMBINED_TYPE_CHANGED" => "the combination (allOf/anyOf/oneOf) changed in a way that rejects values valid before",
        "COMBINED_TYPE_SUBSCHEMAS_CHANGED" => $"a subschema of the {from} schema's combination has no compatible counterpart in the {to} schema",
        "SCHEMA_ADDED" => "a schema was added where any value was accepted before",
        _ when type.EndsWith("_ADDED", StringComparison.Ordinal) => $"a constraint was added that the {from} schema did not have",
        _ when type.EndsWith("_DECREASED", StringComparison.Ordinal) || type.EndsWith("_INCREASED", StringComparison.Ordinal) || type.EndsWith("_CHANGED", StringComparison.Ordinal)
            => $"a constraint became stricter than in the {from} schema",
        _ => type.ToLowerInvariant().Replace('_', ' '),
    };
}
