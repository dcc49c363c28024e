using System.Buffers.Binary;
using System.Net.Sockets;

namespace Registry.Gateway.Proxy;

/// <summary>Why a connection is closed: the client broke the framing, so nothing it sent can be trusted.</summary>
public sealed class BadFrameException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>Reads and writes size-prefixed Kafka frames.</summary>
public static class FrameIO
{
    /// <summary>
    /// The next frame (without its size prefix), or null at a clean end of stream. A size over
    /// <paramref name="maxBytes"/> is refused before anything is allocated, and the buffer grows only as
    /// bytes actually arrive, so a client claiming 100 MiB and sending 10 bytes costs 64 KiB. Once a frame
    /// has begun it must complete within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<byte[]?> ReadAsync(Stream stream, int maxBytes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var sizeBytes = new byte[4];
        var first = await stream.ReadAsync(sizeBytes.AsMemory(0, 4), cancellationToken);
        if (first == 0) return null;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await ReadExactlyAsync(stream, sizeBytes.AsMemory(first), deadline.Token);
            var size = BinaryPrimitives.ReadInt32BigEndian(sizeBytes);
            if (size < 8 || size > maxBytes) throw new BadFrameException("frame_size", $"frame size {size} is outside 8..{maxBytes}");
            var buffer = new byte[Math.Min(size, 64 * 1024)];
            var filled = 0;
            while (filled < size)
            {
                if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(size, (long)buffer.Length * 2));
                var read = await stream.ReadAsync(buffer.AsMemory(filled, buffer.Length - filled), deadline.Token);
                if (read == 0) throw new BadFrameException("truncated", $"connection closed after {filled} of {size} frame bytes");
                filled += read;
            }
            return buffer;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new BadFrameException("slow", $"a frame did not arrive within {timeout.TotalMilliseconds:0} ms");
        }
    }

    private static async Task ReadExactlyAsync(Stream stream, Memory<byte> into, CancellationToken cancellationToken)
    {
        while (into.Length > 0)
        {
            var read = await stream.ReadAsync(into, cancellationToken);
            if (read == 0) throw new BadFrameException("truncated", "connection closed inside a frame size");
            into = into[read..];
        }
    }

    /// <summary>Writes a frame with its size prefix in one write (one syscall) for frames up to 1 MiB.</summary>
    public static async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        if (frame.Length > 1 << 20)
        {
            var size = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(size, frame.Length);
            await stream.WriteAsync(size, cancellationToken);
            await stream.WriteAsync(frame, cancellationToken);
            return;
        }
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(frame.Length + 4);
        try
        {
            BinaryPrimitives.WriteInt32BigEndian(buffer, frame.Length);
            frame.CopyTo(buffer.AsMemory(4));
            await stream.WriteAsync(buffer.AsMemory(0, frame.Length + 4), cancellationToken);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static bool IsDisconnect(Exception e) => e is IOException or SocketException or ObjectDisposedException or EndOfStreamException;
}
