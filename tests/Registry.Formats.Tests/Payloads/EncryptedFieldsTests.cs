using System.Collections.Immutable;
using Registry.Core.Model;
using Registry.Formats.Payloads;

namespace Registry.Formats.Tests.Payloads;

/// <summary>Which fields ENCRYPT rules cover (by tag), and the keyless check that a decoded record carries them encrypted.</summary>
public sealed class EncryptedFieldsTests
{
    private static RuleSet Encrypt(string tag, bool disabled = false) => new(null,
        [new Rule("encrypt", null, "TRANSFORM", "WRITEREAD", "ENCRYPT", ImmutableSortedSet.Create(tag), null, null, null, "ERROR,NONE", disabled)], null, null);

    private const string Avro = """
        {"type":"record","name":"Person","fields":[{"name":"ssn","type":"string","confluent:tags":["PII"]},
          {"name":"card","type":["null",{"type":"record","name":"Card","fields":[{"name":"number","type":"bytes","confluent:tags":["PII"]},{"name":"brand","type":"string"}]}]},
          {"name":"name","type":"string","confluent:tags":["PUBLIC"]}]}
        """;

    [Fact]
    public void Fields_tagged_as_an_enabled_ENCRYPT_rule_says_are_covered_through_nested_records()
    {
        Assert.Equal(["ssn", "card.number"], EncryptedFields.Covered("AVRO", Avro, Encrypt("PII")).Select(c => string.Join('.', c.Path)));
        Assert.Empty(EncryptedFields.Covered("AVRO", Avro, Encrypt("PII", disabled: true)));
        Assert.Empty(EncryptedFields.Covered("AVRO", Avro, null));
        const string json = """{"type":"object","properties":{"ssn":{"type":"string","confluent:tags":["PII"]},"address":{"type":"object","properties":{"zip":{"type":"string","confluent:tags":["PII"]}}}}}""";
        Assert.Equal(["ssn", "address.zip"], EncryptedFields.Covered("JSON", json, Encrypt("PII")).Select(c => string.Join('.', c.Path)));
    }

    [Fact]
    public void Plaintext_is_found_and_the_clients_ciphertext_framing_passes()
    {
        var covered = EncryptedFields.Covered("AVRO", Avro, Encrypt("PII"));
        var ciphertext = Convert.ToBase64String(new byte[12 + 11 + 16]);
        Dictionary<string, object?> Person(object? ssn, object? number) => new()
        {
            ["ssn"] = ssn,
            ["card"] = number is null ? null : new Dictionary<string, object?> { ["number"] = number, ["brand"] = "visa" },
            ["name"] = "Ada",
        };
        Assert.Equal(("ssn", "encrypt"), EncryptedFields.FirstPlaintext(Person("123-45-6789", null), covered));
        Assert.Null(EncryptedFields.FirstPlaintext(Person(ciphertext, null), covered));
        Assert.Equal(("card.number", "encrypt"), EncryptedFields.FirstPlaintext(Person(ciphertext, new byte[] { 4, 1, 1, 1 }), covered));
        Assert.Null(EncryptedFields.FirstPlaintext(Person(ciphertext, new byte[39]), covered));
        // A short base64-looking plaintext is still plaintext: fewer than 16 bytes cannot be a ciphertext.
        Assert.Equal(("ssn", "encrypt"), EncryptedFields.FirstPlaintext(Person("abcd", null), covered));
    }
}
