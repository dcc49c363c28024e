using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Registry.Gateway.Protocol;

/// <summary>Writes Kafka protocol primitives into a growing buffer.</summary>
public sealed class KafkaWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public KafkaWriter(int capacity = 256) => _buffer = new ArrayBufferWriter<byte>(capacity);

    public int Length => _buffer.WrittenCount;

    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    public void Raw(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    public void Int8(sbyte value) => _buffer.Write([(byte)value]);

    public void Bool(bool value) => _buffer.Write([value ? (byte)1 : (byte)0]);

    public void Int16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
    }

    public void Int32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void Int64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void UnsignedVarint(uint value)
    {
        while (value >= 0x80)
        {
            _buffer.Write([(byte)(value | 0x80)]);
            value >>= 7;
        }
        _buffer.Write([(byte)value]);
    }

    private void WriteLength(int length, bool flexible, bool wide)
    {
        if (flexible) UnsignedVarint((uint)(length + 1));
        else if (wide) Int32(length);
        else Int16((short)length);
    }

    public void String(string? value, bool flexible)
    {
        if (value is null)
        {
            WriteLength(-1, flexible, wide: false);
            return;
        }
        var bytes = Encoding.UTF8.GetBytes(value);
        WriteLength(bytes.Length, flexible, wide: false);
        Raw(bytes);
    }

    public void Bytes(ReadOnlySpan<byte> value, bool isNull, bool flexible)
    {
        WriteLength(isNull ? -1 : value.Length, flexible, wide: true);
        if (!isNull) Raw(value);
    }

    public void ArrayCount(int count, bool flexible) => WriteLength(count, flexible, wide: true);

    public void EmptyTaggedFields() => UnsignedVarint(0);

    /// <summary>Overwrites an int32 already written (a frame size once the frame is complete).</summary>
    public void PatchInt32(int offset, int value) => BinaryPrimitives.WriteInt32BigEndian(
        System.Runtime.InteropServices.MemoryMarshal.AsMemory(_buffer.WrittenMemory).Span[offset..], value);
}
