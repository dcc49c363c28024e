using System.Buffers.Binary;

namespace Registry.Formats.Payloads;

/// <summary>Confluent's wire format: magic byte 0, a 4-byte big-endian schema id, [Protobuf message indexes], data.</summary>
public static class WireFormat
{
    /// <summary>Most message indexes accepted (nesting depth of the addressed message).</summary>
    public const int MaxMessageIndexes = 64;

    /// <summary>Reads the magic byte and schema id; false with a reason when the prefix is not there.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> payload, out int schemaId, out string? error)
    {
        schemaId = 0;
        if (payload.Length < 5)
        {
            error = $"the payload has {payload.Length} bytes; the Confluent wire format needs at least 5 (magic byte and schema id)";
            return false;
        }
        if (payload[0] != 0)
        {
            error = $"unknown magic byte {payload[0]}; the Confluent wire format starts with 0";
            return false;
        }
        schemaId = BinaryPrimitives.ReadInt32BigEndian(payload[1..5]);
        error = null;
        return true;
    }

    /// <summary>
    /// Reads Protobuf message indexes after the header: a zigzag varint count, then that many zigzag varints;
    /// a count of 0 means [0] (the first message). Returns the bytes consumed, or -1 with a reason.
    /// </summary>
    public static int ReadMessageIndexes(ReadOnlySpan<byte> data, out int[] indexes, out string? error)
    {
        indexes = [];
        var position = 0;
        if (!TryReadZigZag(data, ref position, out var count) || count < 0 || count > MaxMessageIndexes)
        {
            error = "the Protobuf message indexes are missing or malformed";
            return -1;
        }
        if (count == 0)
        {
            indexes = [0];
            error = null;
            return position;
        }
        indexes = new int[count];
        for (var i = 0; i < count; i++)
        {
            if (!TryReadZigZag(data, ref position, out indexes[i]) || indexes[i] < 0)
            {
                error = "a Protobuf message index is malformed";
                return -1;
            }
        }
        error = null;
        return position;
    }

    /// <summary>Writes message indexes as Confluent's serializers do (for tests and tools).</summary>
    public static byte[] WriteMessageIndexes(IReadOnlyList<int> indexes)
    {
        var bytes = new List<byte>();
        if (indexes.Count == 1 && indexes[0] == 0)
        {
            bytes.Add(0);
            return [.. bytes];
        }
        WriteZigZag(bytes, indexes.Count);
        foreach (var i in indexes) WriteZigZag(bytes, i);
        return [.. bytes];
    }

    private static bool TryReadZigZag(ReadOnlySpan<byte> data, ref int position, out int value)
    {
        uint raw = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (position >= data.Length)
            {
                value = 0;
                return false;
            }
            var b = data[position++];
            raw |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                value = (int)(raw >> 1) ^ -(int)(raw & 1);
                return true;
            }
        }
        value = 0;
        return false;
    }

    private static void WriteZigZag(List<byte> bytes, int value)
    {
        var v = (uint)((value << 1) ^ (value >> 31));
        while (v >= 0x80)
        {
            bytes.Add((byte)(v | 0x80));
            v >>= 7;
        }
        bytes.Add((byte)v);
    }
}
