namespace Registry.Formats.Payloads;

/// <summary>Base-128 varints as Protobuf and Avro write them (Avro zigzag-encodes on top).</summary>
internal static class Varint
{
    /// <summary>Reads an unsigned varint of at most 10 bytes; false when the data ends first or it is longer.</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, ref int position, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (position >= data.Length) return false;
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return true;
        }
        return false;
    }
}
