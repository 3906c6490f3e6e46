using Microsoft.Win32.SafeHandles;

namespace Colorize.Tensors.Serialization;

/// <summary>The data region of a safetensors file (the bytes after the header), wherever it lives.</summary>
internal abstract class SafeTensorsDataSource : IDisposable
{
    /// <summary>Copies the bytes at <paramref name="offset"/> of the data region into <paramref name="destination"/>.</summary>
    public abstract void Read(long offset, Span<byte> destination);

    /// <summary>Direct access to in-memory bytes, so conversions need no intermediate copy.</summary>
    public virtual bool TryGetSpan(long offset, long length, out ReadOnlySpan<byte> span)
    {
        span = default;
        return false;
    }

    /// <inheritdoc/>
    public virtual void Dispose()
    {
    }
}

/// <summary>A data region held in memory.</summary>
internal sealed class MemoryDataSource(ReadOnlyMemory<byte> data) : SafeTensorsDataSource
{
    public override void Read(long offset, Span<byte> destination) =>
        data.Span.Slice(checked((int)offset), destination.Length).CopyTo(destination);

    public override bool TryGetSpan(long offset, long length, out ReadOnlySpan<byte> span)
    {
        // The header was validated against this buffer's length, so the range is in bounds.
        span = data.Span.Slice(checked((int)offset), checked((int)length));
        return true;
    }
}

/// <summary>
/// A data region read from an open file with positional reads: nothing is loaded until a tensor is read, reads are
/// thread-safe, and files larger than 2 GB work. A file that shrinks while open is reported, never mis-read.
/// </summary>
internal sealed class FileDataSource(SafeFileHandle handle, long dataStart, string path) : SafeTensorsDataSource
{
    public override void Read(long offset, Span<byte> destination)
    {
        long position = dataStart + offset;
        while (!destination.IsEmpty)
        {
            int read = RandomAccess.Read(handle, destination, position);
            if (read == 0)
            {
                throw new SafeTensorsFormatException(
                    $"The safetensors file '{path}' ended at byte {position} while reading a tensor; it was truncated after it was opened.");
            }

            destination = destination.Slice(read);
            position += read;
        }
    }

    public override void Dispose()
    {
        handle.Dispose();
        base.Dispose();
    }
}
