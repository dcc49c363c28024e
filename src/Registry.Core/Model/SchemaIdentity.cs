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
    public static (Guid Guid, SchemaKey Key) Compute(string schemaType, string schema, IReadOnlyList<SchemaReference> references, Metadata? metadata, RuleSet? ruleSet)
    {
        // The type is part of the key (the same text in two formats is two schemas), not of Confluent's MD5: the bytes start
        // with it, and the MD5 is over what follows.
        var (bytes, typeLength) = HashInput(schemaType, schema, references, metadata, ruleSet);
        var guid = ToGuid(MD5.HashData(bytes.AsSpan(typeLength)));
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(bytes, digest);
        return (guid, new SchemaKey(
            BinaryPrimitives.ReadUInt64BigEndian(digest), BinaryPrimitives.ReadUInt64BigEndian(digest[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(digest[16..]), BinaryPrimitives.ReadUInt64BigEndian(digest[24..])));
    }

    /// <summary>Confluent's GUID string for a schema: the raw MD5 as 8-4-4-4-12 hex.</summary>
    public static string GuidString(Guid guid) => guid.ToString("D");

    /// <summary>The schema type and a 0 byte (<c>TypeLength</c> bytes), then the bytes Confluent's MD5 is computed over.</summary>
    private static (byte[] Bytes, int TypeLength) HashInput(string schemaType, string schema, IReadOnlyList<SchemaReference> references, Metadata? metadata, RuleSet? ruleSet)
    {
        using var ms = new MemoryStream();
        Write(ms, schemaType);
        ms.WriteByte(0);
        var typeLength = (int)ms.Length;
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
        return (ms.ToArray(), typeLength);
    }

    private static void Write(MemoryStream ms, string? text)
    {
        if (text is not null) ms.Write(Encoding.UTF8.GetBytes(text));
    }

    private static Guid ToGuid(byte[] md5) =>
        // Java's new UUID(msb, lsb) prints the 16 bytes in order; Guid(bytes, bigEndian: true) does the same.
        new(md5, bigEndian: true);
}

/// <summary>
/// The key two registrations are deduplicated on: SHA-256 over the schema type and <see cref="SchemaIdentity"/>'s bytes,
/// held as four words inline (no string per stored schema).
/// </summary>
public readonly record struct SchemaKey(ulong A, ulong B, ulong C, ulong D)
{
    public override int GetHashCode() => (int)A;

    public override string ToString() => $"{A:X16}{B:X16}{C:X16}{D:X16}";
}
