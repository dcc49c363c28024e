using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;

namespace Registry.Core.Model;

/// <summary>
/// What makes two registrations "the same schema": type, canonical text, references, metadata and rule set.
/// The GUID is Confluent's (MD5 over the same bytes, see Schema.updateHash); the key we dedupe on is a
/// SHA-256 over those bytes, so a crafted MD5 collision cannot make two schemas share an id.
/// </summary>
public static class SchemaIdentity
{
    public static (Guid Guid, string Key) Compute(string schemaType, string schema, IReadOnlyList<SchemaReference> references, Metadata? metadata, RuleSet? ruleSet)
    {
        var bytes = HashInput(schema, references, metadata, ruleSet);
        var guid = ToGuid(MD5.HashData(bytes));
        var sha = SHA256.HashData(bytes);
        return (guid, schemaType + ":" + Convert.ToHexString(sha));
    }

    /// <summary>Confluent's GUID string for a schema: the raw MD5 as 8-4-4-4-12 hex.</summary>
    public static string GuidString(Guid guid) => guid.ToString("D");

    internal static byte[] HashInput(string schema, IReadOnlyList<SchemaReference> references, Metadata? metadata, RuleSet? ruleSet)
    {
        using var ms = new MemoryStream();
        Write(ms, schema);
        Span<byte> v = stackalloc byte[4];
        foreach (var r in references)
        {
            Write(ms, r.Name);
            Write(ms, r.Subject);
            BinaryPrimitives.WriteInt32BigEndian(v, r.Version);
            ms.Write(v);
        }
        if (metadata is not null)
        {
            ms.WriteByte(1);
            foreach (var (key, values) in metadata.Tags ?? ImmutableSortedDictionary<string, ImmutableSortedSet<string>>.Empty)
            {
                Write(ms, key);
                foreach (var value in values) Write(ms, value);
            }
            foreach (var (key, value) in metadata.Properties ?? ImmutableSortedDictionary<string, string>.Empty)
            {
                Write(ms, key);
                Write(ms, value);
            }
            foreach (var s in metadata.Sensitive ?? []) Write(ms, s);
        }
        if (ruleSet is not null)
        {
            ms.WriteByte(1);
            foreach (var rule in ruleSet.AllRules)
            {
                Write(ms, rule.Name);
                Write(ms, rule.Doc);
                Write(ms, rule.Kind ?? "TRANSFORM");
                Write(ms, rule.Mode ?? "WRITEREAD");
                Write(ms, rule.Type);
                foreach (var tag in rule.Tags ?? []) Write(ms, tag);
                foreach (var (key, value) in rule.Params ?? ImmutableSortedDictionary<string, string>.Empty)
                {
                    Write(ms, key);
                    Write(ms, value);
                }
                Write(ms, rule.Expr);
                Write(ms, rule.OnSuccess);
                Write(ms, rule.OnFailure);
                if (rule.Disabled) ms.WriteByte(1);
            }
            Write(ms, ruleSet.EnableAt);
        }
        return ms.ToArray();
    }

    private static void Write(MemoryStream ms, string? text)
    {
        if (text is not null) ms.Write(Encoding.UTF8.GetBytes(text));
    }

    private static Guid ToGuid(byte[] md5) =>
        // Java's new UUID(msb, lsb) prints the 16 bytes in order; Guid(bytes, bigEndian: true) does the same.
        new(md5, bigEndian: true);
}
