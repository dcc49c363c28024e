extern alias gp;
using Registry.Server.Tests.Infrastructure;
using static Registry.Server.Tests.Infrastructure.RegistryServer;

namespace Registry.Server.Tests;

/// <summary>Protobuf through the REST API: registration, imports through references, compatibility.</summary>
[Collection(ServerCollection.Name)]
public sealed class ProtobufApiTests(RegistryServer server)
{
    private static string Proto(string schema, string? extra = null) => Body(schema, "\"schemaType\":\"PROTOBUF\"" + (extra is null ? "" : "," + extra));

    [Fact]
    public async Task A_proto_registers_imports_a_reference_and_breaking_changes_are_refused()
    {
        const string address = "syntax = \"proto3\";\npackage acme;\nmessage Address { string street = 1; }";
        Assert.Equal(200, (await server.PostAsync("/subjects/proto-address/versions", Proto(address))).Status);
        const string v1 = "syntax = \"proto3\";\npackage acme;\nimport \"acme/address.proto\";\nmessage Person { string name = 1; acme.Address home = 2; }";
        const string refs = "\"references\":[{\"name\":\"acme/address.proto\",\"subject\":\"proto-address\",\"version\":1}]";
        var first = await server.PostAsync("/subjects/proto-person/versions", Proto(v1, refs));
        Assert.True(first.Status == 200, first.ToString());
        Assert.Equal("PROTOBUF", first.Json.GetProperty("schemaType").GetString());

        const string v2 = "syntax = \"proto3\";\npackage acme;\nimport \"acme/address.proto\";\nmessage Person { string name = 1; acme.Address home = 2; int32 age = 3; }";
        Assert.Equal(200, (await server.PostAsync("/subjects/proto-person/versions", Proto(v2, refs))).Status);

        const string breaking = "syntax = \"proto3\";\npackage acme;\nimport \"acme/address.proto\";\nmessage Person { int64 name = 1; acme.Address home = 2; int32 age = 3; }";
        var refused = await server.PostAsync("/subjects/proto-person/versions", Proto(breaking, refs));
        Assert.Equal(409, refused.Status);
        Assert.Contains("FIELD_SCALAR_KIND_CHANGED #/Person/1", refused.Body);
        var referencedBy = (await server.GetAsync("/subjects/proto-address/versions/1/referencedby")).Json;
        Assert.Contains(first.Json.GetProperty("id").GetInt32(), referencedBy.EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(42206, (await server.DeleteAsync("/subjects/proto-address/versions/1")).ErrorCode);
    }

    [Fact]
    public async Task Unknown_imports_and_malformed_protos_are_42201_and_nothing_is_stored()
    {
        var unknown = await server.PostAsync("/subjects/proto-bad/versions", Proto("syntax = \"proto3\";\nimport \"nowhere.proto\";\nmessage A { int32 a = 1; }"));
        Assert.Equal(42201, unknown.ErrorCode);
        Assert.Contains("nowhere.proto", unknown.Body);
        var malformed = await server.PostAsync("/subjects/proto-bad/versions", Proto("syntax = \"proto3\";\nmessage A { int32 a = ; }"));
        Assert.Equal(42201, malformed.ErrorCode);
        Assert.Contains("line 2", malformed.Body);
        Assert.Equal(40401, (await server.GetAsync("/subjects/proto-bad/versions")).ErrorCode);
    }

    [Fact]
    public async Task Whitespace_and_comments_do_not_make_a_new_version_and_serialized_format_is_a_descriptor()
    {
        const string a = "syntax = \"proto3\";\npackage fmt;\nmessage Shape { string name = 1; int32 sides = 2; }";
        const string b = "// shapes\nsyntax=\"proto3\";   package fmt;\n\nmessage Shape {\n  string name = 1; // the name\n  /* count */ int32 sides = 2;\n}\n";
        var first = await server.PostAsync("/subjects/proto-fmt/versions", Proto(a));
        var second = await server.PostAsync("/subjects/proto-fmt/versions", Proto(b));
        Assert.Equal(first.Json.GetProperty("id").GetInt32(), second.Json.GetProperty("id").GetInt32());
        Assert.Equal("[1]", (await server.GetAsync("/subjects/proto-fmt/versions")).Body);

        var id = first.Json.GetProperty("id").GetInt32();
        var serialized = await server.GetAsync($"/schemas/ids/{id}?format=serialized");
        var descriptor = gp::Google.Protobuf.Reflection.FileDescriptorProto.Parser.ParseFrom(Convert.FromBase64String(serialized.Json.GetProperty("schema").GetString()!));
        Assert.Equal("fmt", descriptor.Package);
        Assert.Equal("Shape", Assert.Single(descriptor.MessageType).Name);
        var text = await server.GetAsync($"/subjects/proto-fmt/versions/1");
        Assert.StartsWith("syntax = \"proto3\";", text.Json.GetProperty("schema").GetString());
    }

    [Fact]
    public async Task Protobuf_bytes_from_Google_Protobuf_validate_against_the_registered_schema()
    {
        // The same shape as google.protobuf.Duration, registered under our own name.
        const string proto = "syntax = \"proto3\";\npackage wire;\nmessage Span { int64 seconds = 1; int32 nanos = 2; }\nmessage Other { string s = 1; }";
        var registered = await server.PostAsync("/subjects/proto-wire/versions", Proto(proto));
        var id = registered.Json.GetProperty("id").GetInt32();
        var registry = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Hosting.RegistryService>(server.App.Services);
        Registry.Core.Formats.ParsedSchema? ById(int schemaId) =>
            registry.State.Schemas.TryGetValue(new Core.Model.ContextId(".", schemaId), out var s) ? registry.Decider.ParseStored(registry.State, s) : null;

        var data = gp::Google.Protobuf.MessageExtensions.ToByteArray(new gp::Google.Protobuf.WellKnownTypes.Duration { Seconds = 90, Nanos = 5 });
        byte[] Frame(int schemaId, byte[] indexes, byte[] body)
        {
            var header = new byte[5];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(1), schemaId);
            return [.. header, .. indexes, .. body];
        }
        var ok = Registry.Formats.Payloads.PayloadValidation.Validate(Frame(id, [0], data), ById, registry.Decider.Formats);
        Assert.True(ok.Valid, ok.Reason);
        var wrong = Registry.Formats.Payloads.PayloadValidation.Validate(
            Frame(id, Registry.Formats.Payloads.WireFormat.WriteMessageIndexes([1]), data), ById, registry.Decider.Formats);
        Assert.False(wrong.Valid);
        Assert.Contains("wire type", wrong.Reason);
        Assert.Contains("not registered", Registry.Formats.Payloads.PayloadValidation.Validate(Frame(999_999, [0], data), ById, registry.Decider.Formats).Reason);
    }

    [Fact]
    public async Task The_stored_text_is_Confluents_printing_and_Confluents_map_entry_form_registers()
    {
        var registered = await server.PostAsync("/subjects/proto-printed/versions", Proto("syntax = \"proto3\"; package printed;\nenum E { A = 0; }\nmessage M { oneof o { string s = 2; } int32 n = 1; }"));
        Assert.Equal(200, registered.Status);
        Assert.Equal("syntax = \"proto3\";\npackage printed;\n\nmessage M {\n  int32 n = 1;\n\n  oneof o {\n    string s = 2;\n  }\n}\nenum E {\n  A = 0;\n}\n",
            (await server.GetAsync("/subjects/proto-printed/versions/1/schema")).Body);

        // Confluent prints a schema that came from a descriptor (a Java producer's) with explicit map entries.
        const string fromDescriptor = "syntax = \"proto3\";\npackage printed;\n\nmessage TestMap {\n  repeated TestMapEntry test_map = 1;\n\n"
            + "  message TestMapEntry {\n    option map_entry = true;\n  \n    string key = 1;\n    string value = 2;\n  }\n}\n";
        var map = await server.PostAsync("/subjects/proto-map-entry/versions", Proto(fromDescriptor));
        Assert.True(map.Status == 200, map.ToString());
        Assert.Equal(fromDescriptor, (await server.GetAsync("/subjects/proto-map-entry/versions/1/schema")).Body);
        var same = await server.PostAsync("/subjects/proto-map-entry", Proto(fromDescriptor));
        Assert.Equal(1, same.Json.GetProperty("version").GetInt32());
    }
}
