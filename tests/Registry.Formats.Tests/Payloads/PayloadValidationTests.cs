using System.Buffers.Binary;
using Google.Protobuf;
using Registry.Core.Formats;
using Registry.Formats.Payloads;
using WireFormat = Registry.Formats.Payloads.WireFormat;

namespace Registry.Formats.Tests.Payloads;

/// <summary>Payloads in the Confluent wire format, checked against registered schemas of each format.</summary>
public sealed class PayloadValidationTests
{
    private static readonly SchemaFormats Formats = FormatCatalog.Create(new FormatLimits());

    private static byte[] Frame(int id, params byte[][] parts)
    {
        var header = new byte[5];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(1), id);
        return [.. header, .. parts.SelectMany(p => p)];
    }

    private static PayloadVerdict Check(byte[] payload, ParsedSchema schema, int id = 7) =>
        PayloadValidation.Validate(payload, i => i == id ? schema : null, Formats);

    [Fact]
    public void The_header_must_be_there_and_name_a_registered_id()
    {
        var schema = Formats.Parse("AVRO", "\"string\"", [], false);
        Assert.Contains("at least 5", Check([0, 0, 0], schema).Reason);
        Assert.Contains("magic byte 1", Check([1, 0, 0, 0, 7, 0], schema).Reason);
        var unknown = Check(Frame(99, [0]), schema);
        Assert.False(unknown.Valid);
        Assert.Equal(99, unknown.SchemaId);
        Assert.Contains("not registered", unknown.Reason);
    }

    [Fact]
    public void Avro_data_is_decoded_with_the_schema()
    {
        var schema = Formats.Parse("AVRO", """{"type":"record","name":"P","fields":[{"name":"id","type":"string"},{"name":"n","type":"long"}]}""", [], false);
        var avro = global::Avro.Schema.Parse("""{"type":"record","name":"P","fields":[{"name":"id","type":"string"},{"name":"n","type":"long"}]}""");
        var record = new global::Avro.Generic.GenericRecord((global::Avro.RecordSchema)avro);
        record.Add("id", "p-1");
        record.Add("n", 42L);
        using var stream = new MemoryStream();
        new global::Avro.Generic.GenericDatumWriter<global::Avro.Generic.GenericRecord>(avro).Write(record, new global::Avro.IO.BinaryEncoder(stream));
        var data = stream.ToArray();

        Assert.True(Check(Frame(7, data), schema).Valid);
        Assert.Contains("ends before", Check(Frame(7, data[..^1]), schema).Reason);
        Assert.Contains("left over", Check(Frame(7, data, [1, 2]), schema).Reason);
    }

    [Fact]
    public void Avro_data_of_every_kind_written_by_Apache_Avro_passes_and_broken_data_does_not()
    {
        const string text = """
            {"type":"record","name":"Node","namespace":"t","fields":[
              {"name":"flag","type":"boolean"},{"name":"f","type":"float"},{"name":"d","type":"double"},
              {"name":"day","type":{"type":"int","logicalType":"date"}},{"name":"raw","type":"bytes"},
              {"name":"color","type":{"type":"enum","name":"Color","symbols":["RED","GREEN"]}},
              {"name":"hash","type":{"type":"fixed","name":"Hash","size":4}},
              {"name":"tags","type":{"type":"array","items":"string"}},
              {"name":"counts","type":{"type":"map","values":"long"}},
              {"name":"next","type":["null","Node"]}]}
            """;
        var schema = Formats.Parse("AVRO", text, [], false);
        var avro = (global::Avro.RecordSchema)global::Avro.Schema.Parse(text);
        global::Avro.Generic.GenericRecord Node(global::Avro.Generic.GenericRecord? next)
        {
            var r = new global::Avro.Generic.GenericRecord(avro);
            r.Add("flag", true);
            r.Add("f", 1.5f);
            r.Add("d", 2.5);
            r.Add("day", DateTime.UtcNow.Date);
            r.Add("raw", new byte[] { 1, 2, 3 });
            r.Add("color", new global::Avro.Generic.GenericEnum((global::Avro.EnumSchema)avro["color"].Schema, "GREEN"));
            r.Add("hash", new global::Avro.Generic.GenericFixed((global::Avro.FixedSchema)avro["hash"].Schema, [9, 9, 9, 9]));
            r.Add("tags", new object[] { "a", "bb" });
            r.Add("counts", new Dictionary<string, object> { ["x"] = 1L, ["y"] = 2L });
            r.Add("next", next);
            return r;
        }
        using var stream = new MemoryStream();
        new global::Avro.Generic.GenericDatumWriter<global::Avro.Generic.GenericRecord>(avro).Write(Node(Node(null)), new global::Avro.IO.BinaryEncoder(stream));
        var data = stream.ToArray();

        Assert.True(Check(Frame(7, data), schema).Valid, Check(Frame(7, data), schema).Reason);
        for (var cut = 1; cut < data.Length; cut += 3) Assert.False(Check(Frame(7, data[..cut]), schema).Valid);
        var badBoolean = (byte[])data.Clone();
        badBoolean[0] = 7;
        Assert.Contains("boolean", Check(Frame(7, badBoolean), schema).Reason);
        var badEnumIndex = (byte[])data.Clone();
        badEnumIndex[1 + 4 + 8 + data.Skip(13).TakeWhile(b => (b & 0x80) != 0).Count() + 1 + 4] = 8; // color index 4: not a symbol
        Assert.Contains("enum index 4 is not a symbol", Check(Frame(7, badEnumIndex), schema).Reason);

        // The same walk decodes plain values for rules: every kind, nested, and every cut or broken byte an error, never an exception.
        var plain = (Dictionary<string, object?>)PayloadDecoding.Decode(schema, data, [], 64, out var decodeError)!;
        Assert.Null(decodeError);
        Assert.Equal((true, 1.5f, 2.5), ((bool)plain["flag"]!, (float)plain["f"]!, (double)plain["d"]!));
        Assert.Equal((int)(DateTime.UtcNow.Date - DateTime.UnixEpoch).TotalDays, plain["day"]);
        Assert.Equal(new byte[] { 1, 2, 3 }, plain["raw"]);
        Assert.Equal("GREEN", plain["color"]);
        Assert.Equal(new byte[] { 9, 9, 9, 9 }, plain["hash"]);
        Assert.Equal(new object?[] { "a", "bb" }, (object?[])plain["tags"]!);
        Assert.Equal(new Dictionary<string, object?> { ["x"] = 1L, ["y"] = 2L }, (Dictionary<string, object?>)plain["counts"]!);
        var next = (Dictionary<string, object?>)plain["next"]!;
        Assert.Equal("GREEN", next["color"]);
        Assert.Null(next["next"]);
        for (var cut = 1; cut < data.Length; cut += 3)
        {
            Assert.Null(PayloadDecoding.Decode(schema, data[..cut], [], 64, out var cutError));
            Assert.NotNull(cutError);
        }
        Assert.Null(PayloadDecoding.Decode(schema, badEnumIndex, [], 64, out var enumError));
        Assert.Contains("enum index 4 is not a symbol", enumError);
    }

    [Fact]
    public void Json_data_is_validated_against_the_schema()
    {
        var schema = Formats.Parse("JSON", """{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}""", [], false);
        Assert.True(Check(Frame(7, "{\"id\":\"a\"}"u8.ToArray()), schema).Valid);
        var missing = Check(Frame(7, "{\"other\":1}"u8.ToArray()), schema);
        Assert.False(missing.Valid);
        Assert.Contains("does not match", missing.Reason);
        Assert.Contains("not JSON", Check(Frame(7, "{nope"u8.ToArray()), schema).Reason);
    }

    [Fact]
    public void Json_data_is_validated_through_registry_references()
    {
        var address = """{"type":"object","properties":{"street":{"type":"string"}},"required":["street"]}""";
        var schema = Formats.Parse("JSON", """{"type":"object","properties":{"home":{"$ref":"address.json"}}}""",
            [new ResolvedReference("address.json", "address", 1, 3, "JSON", address)], false);
        Assert.True(Check(Frame(7, "{\"home\":{\"street\":\"x\"}}"u8.ToArray()), schema).Valid);
        Assert.False(Check(Frame(7, "{\"home\":{}}"u8.ToArray()), schema).Valid);
    }

    [Fact]
    public void Protobuf_bytes_written_by_Google_Protobuf_validate_with_message_indexes()
    {
        var schema = Formats.Parse("PROTOBUF", """
            syntax = "proto3";
            package geo;
            message Point { int32 x = 1; string label = 2; Inner inner = 3; message Inner { double d = 1; } }
            message Other { bytes blob = 1; }
            """, [], false);
        byte[] Encode(Action<CodedOutputStream> write)
        {
            using var stream = new MemoryStream();
            var output = new CodedOutputStream(stream);
            write(output);
            output.Flush();
            return stream.ToArray();
        }
        var inner = Encode(o => { o.WriteTag(1, Google.Protobuf.WireFormat.WireType.Fixed64); o.WriteDouble(1.5); });
        var point = Encode(o =>
        {
            o.WriteTag(1, Google.Protobuf.WireFormat.WireType.Varint); o.WriteInt32(3);
            o.WriteTag(2, Google.Protobuf.WireFormat.WireType.LengthDelimited); o.WriteString("home");
            o.WriteTag(3, Google.Protobuf.WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(inner));
        });
        Assert.True(Check(Frame(7, Registry.Formats.Payloads.WireFormat.WriteMessageIndexes([0]), point), schema).Valid);

        // Message indexes [0, 0] address geo.Point.Inner; [1] addresses geo.Other.
        Assert.True(Check(Frame(7, Registry.Formats.Payloads.WireFormat.WriteMessageIndexes([0, 0]), inner), schema).Valid);
        var wrongType = Check(Frame(7, Registry.Formats.Payloads.WireFormat.WriteMessageIndexes([1]), Encode(o => { o.WriteTag(1, Google.Protobuf.WireFormat.WireType.Varint); o.WriteInt32(1); })), schema);
        Assert.Contains("wire type 0", wrongType.Reason);
        Assert.Contains("does not exist", Check(Frame(7, Registry.Formats.Payloads.WireFormat.WriteMessageIndexes([5]), point), schema).Reason);
        Assert.Contains("past the end", Check(Frame(7, [0], point[..^2]), schema).Reason);

        // Decoded for rule expressions: names to plain values, proto3 defaults for what is absent.
        var decoded = (Dictionary<string, object?>)PayloadDecoding.Decode(schema, point, [0], 64, out var error)!;
        Assert.Null(error);
        Assert.Equal(3L, decoded["x"]);
        Assert.Equal("home", decoded["label"]);
        Assert.Equal(1.5, ((Dictionary<string, object?>)decoded["inner"]!)["d"]);
        var empty = (Dictionary<string, object?>)PayloadDecoding.Decode(schema, [], [0], 64, out _)!;
        Assert.Equal(0L, empty["x"]);
        Assert.Equal("", empty["label"]);
        Assert.Null(empty["inner"]);
        Assert.Equal("geo.Point.Inner", PayloadDecoding.RecordName(schema, [0, 0]));
    }

    [Fact]
    public void Avro_and_json_payloads_decode_to_plain_values()
    {
        var avro = Formats.Parse("AVRO", """{"type":"record","name":"P","namespace":"n","fields":[{"name":"id","type":"string"},{"name":"tags","type":{"type":"array","items":"int"}}]}""", [], false);
        var decoded = (Dictionary<string, object?>)PayloadDecoding.Decode(avro, [4, (byte)'p', (byte)'1', 4, 2, 4, 0], [], 64, out var error)!;
        Assert.Null(error);
        Assert.Equal("p1", decoded["id"]);
        Assert.Equal(new object?[] { 1, 2 }, (object?[])decoded["tags"]!);
        Assert.Equal("n.P", PayloadDecoding.RecordName(avro, []));

        var json = Formats.Parse("JSON", """{"title":"Order","type":"object"}""", [], false);
        var value = (Dictionary<string, object?>)PayloadDecoding.Decode(json, """{"a":1,"b":[true,"x"],"c":1.5}"""u8, [], 64, out _)!;
        Assert.Equal(1L, value["a"]);
        Assert.Equal(1.5, value["c"]);
        Assert.Equal(new object?[] { true, "x" }, (object?[])value["b"]!);
        Assert.Equal("Order", PayloadDecoding.RecordName(json, []));
    }
}
