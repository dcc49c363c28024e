using System.IO.Compression;
using K4os.Compression.LZ4.Streams;

namespace Registry.Gateway.Protocol;

/// <summary>One record of a batch: its index within the partition's records, key and value (null when absent).</summary>
public readonly record struct RecordView(int Index, ReadOnlyMemory<byte>? Key, ReadOnlyMemory<byte>? Value);

/// <summary>
/// Reads magic-2 record batches (Kafka's DefaultRecordBatch) strictly: every length, the record count and
/// the end of each batch must agree, and decompressed data is bounded, so what the gateway checks is
/// exactly what the broker will store.
/// </summary>
public static class RecordBatches
{
    private const int BatchHeaderSize = 61;

    /// <summary>The records of every batch in a partition's record set, in order, in <paramref name="into"/> (cleared first) when given.</summary>
    public static List<RecordView> Read(ReadOnlyMemory<byte> recordSet, long maxDecompressedBytes, List<RecordView>? into = null)
    {
        var records = into ?? [];
        records.Clear();
        var offset = 0;
        while (offset < recordSet.Length)
        {
            var span = recordSet.Span[offset..];
            if (span.Length < BatchHeaderSize) throw new ProtocolException($"a record batch header needs {BatchHeaderSize} bytes, {span.Length} remain");
            var reader = new KafkaReader(span);
            reader.Int64(); // base offset
            var batchLength = reader.Int32();
            if (batchLength < BatchHeaderSize - 12 || batchLength > span.Length - 12)
                throw new ProtocolException($"record batch length {batchLength} does not fit the {span.Length - 12} bytes sent");
            reader.Int32(); // partition leader epoch
            var magic = reader.Int8();
            if (magic != 2) throw new ProtocolException($"record batch magic {magic} is not supported (only magic 2 batches can be checked)");
            reader.Int32(); // crc: the broker verifies it over the same bytes
            var attributes = reader.Int16();
            reader.Int32(); // last offset delta
            reader.Int64(); // base timestamp
            reader.Int64(); // max timestamp
            reader.Int64(); // producer id
            reader.Int16(); // producer epoch
            reader.Int32(); // base sequence
            var count = reader.Int32();
            var payload = recordSet.Slice(offset + BatchHeaderSize, batchLength + 12 - BatchHeaderSize);
            offset += batchLength + 12;
            if ((attributes & 0x20) != 0) continue; // control batch (transaction markers): no user records
            if (count < 0) throw new ProtocolException($"record count {count} is negative");
            var data = Decompress(payload, attributes & 0x07, maxDecompressedBytes);
            // Each record takes at least 7 bytes, so a claimed count cannot make this reserve more than the data allows.
            records.Capacity = Math.Max(records.Capacity, records.Count + Math.Min(count, data.Length / 7));
            ReadRecords(data, count, records);
        }
        return records;
    }

    private static void ReadRecords(ReadOnlyMemory<byte> data, int count, List<RecordView> into)
    {
        var span = data.Span;
        var position = 0;
        for (var i = 0; i < count; i++)
        {
            var reader = new KafkaReader(span[position..]);
            var length = reader.Varint();
            if (length < 0 || length > reader.Remaining) throw new ProtocolException($"record {i} claims {length} bytes, {reader.Remaining} remain");
            var start = position + reader.Position;
            var record = new KafkaReader(span.Slice(start, length));
            record.Int8(); // attributes
            record.Varlong(); // timestamp delta
            record.Varint(); // offset delta
            var key = Field(ref record, data, start, i, "key");
            var value = Field(ref record, data, start, i, "value");
            var headers = record.Varint();
            if (headers < 0 || headers > record.Remaining) throw new ProtocolException($"record {i} claims {headers} headers");
            for (var h = 0; h < headers; h++)
            {
                var keyLength = record.Varint();
                if (keyLength < 0) throw new ProtocolException($"record {i} has a header with a null key");
                record.Raw(keyLength);
                var valueLength = record.Varint();
                if (valueLength >= 0) record.Raw(valueLength);
            }
            if (record.Remaining != 0) throw new ProtocolException($"record {i} has {record.Remaining} bytes after its headers");
            into.Add(new RecordView(into.Count, key, value));
            position = start + length;
        }
        if (position != data.Length) throw new ProtocolException($"{data.Length - position} bytes follow the {count} records the batch declares");
    }

    private static ReadOnlyMemory<byte>? Field(ref KafkaReader record, ReadOnlyMemory<byte> data, int start, int index, string what)
    {
        var length = record.Varint();
        if (length < -1) throw new ProtocolException($"record {index} has {what} length {length}");
        if (length == -1) return null;
        var at = start + record.Position;
        record.Raw(length);
        return data.Slice(at, length);
    }

    /// <summary>An uncompressed magic-2 batch of records (null keys allowed), with its CRC-32C, as a producer would write it.</summary>
    public static byte[] Write(IReadOnlyList<(byte[]? Key, byte[]? Value)> records)
    {
        var body = new KafkaWriter();
        for (var i = 0; i < records.Count; i++)
        {
            var record = new KafkaWriter();
            record.Int8(0);
            Varint(record, 0); // timestamp delta
            Varint(record, i); // offset delta
            foreach (var field in new[] { records[i].Key, records[i].Value })
            {
                Varint(record, field?.Length ?? -1);
                if (field is not null) record.Raw(field);
            }
            Varint(record, 0); // headers
            Varint(body, record.Length);
            body.Raw(record.Written);
        }
        var batch = new KafkaWriter();
        batch.Int64(0); // base offset
        batch.Int32(BatchHeaderSize - 12 + body.Length);
        batch.Int32(-1); // partition leader epoch
        batch.Int8(2);
        var crcAt = batch.Length;
        batch.Int32(0);
        batch.Int16(0); // attributes: no compression, create time
        batch.Int32(records.Count - 1);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        batch.Int64(now);
        batch.Int64(now);
        batch.Int64(-1); // producer id
        batch.Int16(-1);
        batch.Int32(-1);
        batch.Int32(records.Count);
        batch.Raw(body.Written);
        var bytes = batch.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(crcAt), Crc32C(bytes.AsSpan(crcAt + 4)));
        return bytes;
    }

    private static void Varint(KafkaWriter writer, long value) => writer.UnsignedVarint((uint)((value << 1) ^ (value >> 63)));

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78 ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>CRC-32C (Castagnoli), the checksum of record batches.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }

    private static ReadOnlyMemory<byte> Decompress(ReadOnlyMemory<byte> payload, int codec, long limit)
    {
        switch (codec)
        {
            case 0:
                return payload;
            case 1:
                return Bounded(new GZipStream(new MemoryStream(payload.ToArray()), CompressionMode.Decompress), limit);
            case 2:
                return Snappy(payload.Span, limit);
            case 3:
                return Bounded(LZ4Stream.Decode(new MemoryStream(payload.ToArray())), limit);
            case 4:
                return Bounded(new ZstdSharp.DecompressionStream(new MemoryStream(payload.ToArray())), limit);
            default:
                throw new ProtocolException($"compression codec {codec} is unknown");
        }
    }

    private static byte[] Bounded(Stream stream, long limit)
    {
        using (stream)
        {
            using var output = new MemoryStream();
            var buffer = new byte[81920];
            try
            {
                int read;
                while ((read = stream.Read(buffer)) > 0)
                {
                    if (output.Length + read > limit) throw new ProtocolException($"records decompress to more than the limit of {limit} bytes");
                    output.Write(buffer, 0, read);
                }
            }
            catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException or ArgumentException or ZstdSharp.ZstdException)
            {
                throw new ProtocolException($"compressed records are corrupt: {e.Message}");
            }
            return output.ToArray();
        }
    }

    private static readonly byte[] XerialMagic = [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    /// <summary>Snappy as the Java client writes it (xerial framing: magic, versions, then length-prefixed blocks) or as one raw block.</summary>
    private static byte[] Snappy(ReadOnlySpan<byte> payload, long limit)
    {
        try
        {
            if (!payload.StartsWith(XerialMagic)) return SnappyBlock(payload, limit);
            var reader = new KafkaReader(payload[16..]);
            using var output = new MemoryStream();
            while (reader.Remaining > 0)
            {
                var block = SnappyBlock(reader.Raw(reader.Int32()), limit - output.Length);
                output.Write(block);
            }
            return output.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            throw new ProtocolException($"snappy records are corrupt: {e.Message}");
        }
    }

    private static byte[] SnappyBlock(ReadOnlySpan<byte> block, long limit)
    {
        var length = Snappier.Snappy.GetUncompressedLength(block);
        if (length > limit) throw new ProtocolException($"records decompress to more than the limit of {limit} bytes");
        var output = new byte[length];
        Snappier.Snappy.Decompress(block, output);
        return output;
    }
}
