using System.Buffers.Binary;
using System.Net.Sockets;

namespace Registry.Gateway.Proxy;

/// <summary>Why a connection is closed: the client broke the framing, so nothing it sent can be trusted.</summary>
public sealed class BadFrameException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>
/// A frame as read: its size prefix and its body in one buffer rented from the shared pool, so forwarding it
/// unchanged is one write with no copy, and reading it allocates nothing per frame. Dispose returns the buffer:
/// nothing may hold <see cref="Body"/> after that.
/// </summary>
public sealed class Frame : IDisposable
{
    private byte[]? _buffer;

    internal Frame(byte[] buffer, int length) => (_buffer, Length) = (buffer, length);

    /// <summary>The body's length, without the 4-byte size prefix.</summary>
    public int Length { get; }

    /// <summary>The frame without its size prefix.</summary>
    public ReadOnlyMemory<byte> Body => Buffer.AsMemory(4, Length);

    /// <summary>The frame as it travels: size prefix and body.</summary>
    public ReadOnlyMemory<byte> Wire => Buffer.AsMemory(0, Length + 4);

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(Frame));

    /// <summary>A copy of the body, for a caller that keeps it.</summary>
    public byte[] ToArray() => Body.ToArray();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer) System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
    }
}

/// <summary>Reads and writes size-prefixed Kafka frames.</summary>
public static class FrameIO
{
    /// <summary>Frames up to this size get their whole buffer at once; larger ones grow as their bytes arrive.</summary>
    private const int WholeBufferBytes = 1 << 20;

    /// <summary>
    /// The next frame, or null at a clean end of stream. A size over <paramref name="maxBytes"/> is refused before
    /// anything is rented; a frame over 1 MiB gets a buffer that grows only as bytes actually arrive, so a client
    /// claiming 100 MiB and sending 10 bytes holds 1 MiB of the pool. Once a frame has begun it must complete within
    /// <paramref name="timeout"/>. The caller disposes the frame.
    /// </summary>
    public static async Task<Frame?> ReadAsync(Stream stream, int maxBytes, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var pool = System.Buffers.ArrayPool<byte>.Shared;
        var buffer = pool.Rent(4);
        try
        {
            var first = await stream.ReadAsync(buffer.AsMemory(0, 4), cancellationToken);
            if (first == 0)
            {
                pool.Return(buffer);
                return null;
            }
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                await ReadExactlyAsync(stream, buffer.AsMemory(first, 4 - first), deadline.Token);
                var size = BinaryPrimitives.ReadInt32BigEndian(buffer);
                if (size < 8 || size > maxBytes) throw new BadFrameException("frame_size", $"frame size {size} is outside 8..{maxBytes}");
                buffer = Grow(buffer, 4, (int)Math.Min(size + 4L, WholeBufferBytes));
                var filled = 0;
                while (filled < size)
                {
                    if (4 + filled == buffer.Length) buffer = Grow(buffer, 4 + filled, (int)Math.Min(size + 4L, buffer.Length * 2L));
                    var read = await stream.ReadAsync(buffer.AsMemory(4 + filled, Math.Min(buffer.Length - 4, size) - filled), deadline.Token);
                    if (read == 0) throw new BadFrameException("truncated", $"connection closed after {filled} of {size} frame bytes");
                    filled += read;
                }
                var frame = new Frame(buffer, size);
                buffer = null!;
                return frame;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new BadFrameException("slow", $"a frame did not arrive within {timeout.TotalMilliseconds:0} ms");
            }
        }
        catch
        {
            if (buffer is not null) pool.Return(buffer);
            throw;
        }
    }

    /// <summary>A pooled buffer of at least <paramref name="size"/> bytes holding the first <paramref name="keep"/> bytes of <paramref name="buffer"/>, which goes back to the pool.</summary>
    private static byte[] Grow(byte[] buffer, int keep, int size)
    {
        if (buffer.Length >= size) return buffer;
        var grown = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        buffer.AsSpan(0, keep).CopyTo(grown);
        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        return grown;
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

    /// <summary>Forwards a frame as it was read, size prefix included, in one write.</summary>
    public static ValueTask WriteAsync(Stream stream, Frame frame, CancellationToken cancellationToken) => stream.WriteAsync(frame.Wire, cancellationToken);

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
