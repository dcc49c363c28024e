using System.Buffers.Binary;
using System.Text;

namespace Registry.Gateway.Protocol;

/// <summary>A request or response the gateway cannot read: it is refused, never forwarded unchecked.</summary>
public sealed class ProtocolException(string message) : Exception(message);

/// <summary>
/// Reads Kafka protocol primitives from a buffer. Every length is checked against the bytes that remain
/// before anything is allocated, so a frame claiming a huge array or string fails instead of allocating it.
/// </summary>
public ref struct KafkaReader(ReadOnlySpan<byte> buffer)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;

    public int Position { get; private set; }

    public readonly int Remaining => _buffer.Length - Position;

    public readonly ReadOnlySpan<byte> Rest => _buffer[Position..];

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining) throw new ProtocolException($"truncated: needed {count} bytes at offset {Position}, {Remaining} remain");
        var span = _buffer.Slice(Position, count);
        Position += count;
        return span;
    }

    public sbyte Int8() => (sbyte)Take(1)[0];

    public bool Bool() => Take(1)[0] != 0;

    public short Int16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public Guid Uuid()
    {
        var bytes = Take(16);
        return new Guid(bytes, bigEndian: true);
    }

    public uint UnsignedVarint()
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = Take(1)[0];
            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new ProtocolException("varint longer than 5 bytes");
    }

    public int Varint()
    {
        var raw = UnsignedVarint();
        return (int)(raw >> 1) ^ -(int)(raw & 1);
    }

    public long Varlong()
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = Take(1)[0];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return (long)(value >> 1) ^ -(long)(value & 1);
        }
        throw new ProtocolException("varlong longer than 10 bytes");
    }

    /// <summary>A length: int16/int32 in classic versions, unsigned varint minus one in flexible ones; -1 is null.</summary>
    private int Length(bool flexible, bool wide) => flexible ? (int)UnsignedVarint() - 1 : wide ? Int32() : Int16();

    public string? String(bool flexible)
    {
        var length = Length(flexible, wide: false);
        if (length < -1) throw new ProtocolException($"invalid string length {length}");
        return length == -1 ? null : Encoding.UTF8.GetString(Take(length));
    }

    public ReadOnlySpan<byte> Bytes(bool flexible, out bool isNull)
    {
        var length = Length(flexible, wide: true);
        if (length < -1) throw new ProtocolException($"invalid bytes length {length}");
        isNull = length == -1;
        return isNull ? default : Take(length);
    }

    /// <summary>An array count, checked against the bytes left (each element takes at least <paramref name="minElementSize"/> bytes).</summary>
    public int ArrayCount(bool flexible, int minElementSize = 1)
    {
        var count = Length(flexible, wide: true);
        if (count < -1 || (count > 0 && (long)count * minElementSize > Remaining))
            throw new ProtocolException($"array of {count} elements cannot fit in the {Remaining} bytes left");
        return count;
    }

    /// <summary>Skips a tagged-field section (flexible versions only), returning its raw bytes.</summary>
    public ReadOnlySpan<byte> TaggedFields()
    {
        var start = Position;
        var count = UnsignedVarint();
        if (count > Remaining) throw new ProtocolException($"{count} tagged fields cannot fit in {Remaining} bytes");
        for (var i = 0; i < count; i++)
        {
            UnsignedVarint();
            Take((int)UnsignedVarint());
        }
        return _buffer[start..Position];
    }

    public ReadOnlySpan<byte> Raw(int count) => Take(count);
}
