using System.Buffers;
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
    // One growing buffer per thread for the hashed bytes: a lookup or registration hashes without allocating them.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>A buffer grown past this is dropped after use rather than kept by the thread.</summary>
    private const int RetainedBufferBytes = 64 * 1024;

    public static (Guid Guid, SchemaKey Key) Compute(string schemaType, string schema, IReadOnlyList<SchemaReference> references, Metadata? metadata, RuleSet? ruleSet)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        try
        {
            // The type is part of the key (the same text in two formats is two schemas), not of Confluent's MD5: the bytes
            // start with it and a 0 byte, and the MD5 is over what follows.
            var typeLength = WriteHashInput(buffer, schemaType, schema, references, metadata, ruleSet);
            var bytes = buffer.WrittenSpan;
            Span<byte> md5 = stackalloc byte[16];
            MD5.HashData(bytes[typeLength..], md5);
            // Java's new UUID(msb, lsb) prints the 16 bytes in order; Guid(bytes, bigEndian: true) does the same.
            var guid = new Guid(md5, bigEndian: true);
            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(bytes, digest);
            return (guid, new SchemaKey(
                BinaryPrimitives.ReadUInt64BigEndian(digest), BinaryPrimitives.ReadUInt64BigEndian(digest[8..]),
                BinaryPrimitives.ReadUInt64BigEndian(digest[16..]), BinaryPrimitives.ReadUInt64BigEndian(digest[24..])));
        }
        finally
        {
            if (buffer.Capacity > RetainedBufferBytes) t_buffer = null;
        }
    }

    /// <summary>Confluent's GUID string for a schema: the raw MD5 as 8-4-4-4-12 hex.</summary>
    public static string GuidString(Guid guid) => guid.ToString("D");

    /// <summary>
    /// Writes the schema type and a 0 byte, then the bytes Confluent's MD5 is computed over; returns the length of the first
    /// part.
    /// </summary>
    private static int WriteHashInput(ArrayBufferWriter<byte> w, string schemaType, string schema, IReadOnlyList<SchemaReference> references, Metadata? metadata, RuleSet? ruleSet)
    {
        Write(w, schemaType);
        WriteByte(w, 0);
        var typeLength = w.WrittenCount;
        Write(w, schema);
        foreach (var r in references)
        {
            Write(w, r.Name);
            Write(w, r.Subject);
            BinaryPrimitives.WriteInt32BigEndian(w.GetSpan(4), r.Version);
            w.Advance(4);
        }
        if (metadata is not null)
        {
            WriteByte(w, 1);
            foreach (var (key, values) in metadata.Tags ?? ImmutableSortedDictionary<string, ImmutableSortedSet<string>>.Empty)
            {
                Write(w, key);
                foreach (var value in values) Write(w, value);
            }
            foreach (var (key, value) in metadata.Properties ?? ImmutableSortedDictionary<string, string>.Empty)
            {
                Write(w, key);
                Write(w, value);
            }
            foreach (var s in metadata.Sensitive ?? []) Write(w, s);
        }
        if (ruleSet is not null)
        {
            WriteByte(w, 1);
            foreach (var rule in ruleSet.AllRules)
            {
                Write(w, rule.Name);
                Write(w, rule.Doc);
                Write(w, rule.Kind ?? "TRANSFORM");
                Write(w, rule.Mode ?? "WRITEREAD");
                Write(w, rule.Type);
                foreach (var tag in rule.Tags ?? []) Write(w, tag);
                foreach (var (key, value) in rule.Params ?? ImmutableSortedDictionary<string, string>.Empty)
                {
                    Write(w, key);
                    Write(w, value);
                }
                Write(w, rule.Expr);
                Write(w, rule.OnSuccess);
                Write(w, rule.OnFailure);
                if (rule.Disabled) WriteByte(w, 1);
            }
            Write(w, ruleSet.EnableAt);
        }
        return typeLength;
    }

    private static void Write(ArrayBufferWriter<byte> w, string? text)
    {
        if (text is not null) Encoding.UTF8.GetBytes(text, w);
    }

    private static void WriteByte(ArrayBufferWriter<byte> w, byte value)
    {
        w.GetSpan(1)[0] = value;
        w.Advance(1);
    }
}

/// <summary>
/// A parsed schema's identity with given references, metadata and rules: Confluent's GUID, the key, and the key it had in the
/// text an earlier version stored for it (<see cref="Formats.ParsedSchema.LegacyCanonical"/>; null when the same).
/// </summary>
public sealed record ParsedIdentity(Guid Guid, SchemaKey Key, SchemaKey? LegacyKey)
{
    public static ParsedIdentity Of(string schemaType, Formats.ParsedSchema parsed, IReadOnlyList<SchemaReference> references, Metadata? metadata, RuleSet? ruleSet)
    {
        var (guid, key) = SchemaIdentity.Compute(schemaType, parsed.Canonical, references, metadata, ruleSet);
        var legacyKey = parsed.LegacyCanonical is { } legacy ? SchemaIdentity.Compute(schemaType, legacy, references, metadata, ruleSet).Key : (SchemaKey?)null;
        return new ParsedIdentity(guid, key, legacyKey);
    }
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
