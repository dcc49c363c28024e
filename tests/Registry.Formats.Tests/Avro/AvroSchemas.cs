namespace Registry.Formats.Tests.Avro;

/// <summary>The schemas of Confluent's AvroCompatibilityTest (record "myrecord").</summary>
internal static class AvroSchemas
{
    public const string S1 = """{"type":"record","name":"myrecord","fields":[{"type":"string","name":"f1"}]}""";
    public const string S2 = """{"type":"record","name":"myrecord","fields":[{"type":"string","name":"f1"},{"type":"string","name":"f2","default":"foo"}]}""";
    public const string S3 = """{"type":"record","name":"myrecord","fields":[{"type":"string","name":"f1"},{"type":"string","name":"f2"}]}""";
    public const string S4 = """{"type":"record","name":"myrecord","fields":[{"type":"string","name":"f1_new","aliases":["f1"]}]}""";
    public const string S6 = """{"type":"record","name":"myrecord","fields":[{"type":["null","string"],"name":"f1","doc":"doc of f1"}]}""";
    public const string S7 = """{"type":"record","name":"myrecord","fields":[{"type":["null","string","int"],"name":"f1","doc":"doc of f1"}]}""";
    public const string S8 = """{"type":"record","name":"myrecord","fields":[{"type":"string","name":"f1"},{"type":"string","name":"f2","default":"foo"},{"type":"string","name":"f3","default":"bar"}]}""";
    public const string BadDefaultNull = """{"type":"record","name":"myrecord","fields":[{"type":["null","string"],"name":"f1","default":"null"},{"type":"string","name":"f2","default":"foo"},{"type":"string","name":"f3","default":"bar"}]}""";
}
