namespace Registry.Server.Tests.Infrastructure;

/// <summary>Avro schemas used across the end-to-end tests.</summary>
internal static class Schemas
{
    public static string Record(string name, params string[] fields) =>
        $$"""{"type":"record","name":"{{name}}","fields":[{{string.Join(",", fields)}}]}""";

    public static string Field(string name, string type) => $$"""{"name":"{{name}}","type":"{{type}}"}""";

    public static string FieldWithDefault(string name, string type, string defaultJson) => $$"""{"name":"{{name}}","type":"{{type}}","default":{{defaultJson}}}""";

    public static readonly string V1 = Record("User", Field("name", "string"));
    public static readonly string V2 = Record("User", Field("name", "string"), FieldWithDefault("age", "int", "0"));
    public static readonly string Breaking = Record("User", Field("name", "int"));
}
