using System.Buffers;

namespace Colorize.Abstractions;

/// <summary>
/// A view of a two-dimensional block of pixels in memory someone else owns: width, height, the distance in bytes
/// between the starts of two rows (<see cref="Stride"/>), and the <see cref="PixelFormat"/>. This is the type that
/// crosses the host/plugin boundary; it never copies and never frees the memory it describes.
/// </summary>
/// <remarks>
/// Rows run top to bottom. A row holds <see cref="RowByteCount"/> bytes of pixels followed by
/// <c>Stride - RowByteCount</c> bytes of padding that readers ignore and writers leave alone. 16-bit formats store
/// native-endian <see cref="ushort"/> values. The memory must hold at least
/// <c>(Height - 1) * Stride + RowByteCount</c> bytes; the constructor checks it, so row access never reads past it.
/// </remarks>
public sealed class PixelBuffer
{
    /// <summary>Describes pixels in <paramref name="memory"/>.</summary>
    /// <param name="memory">The pixel memory; row 0 starts at offset 0.</param>
    /// <param name="width">Pixels per row; at least 1.</param>
    /// <param name="height">Number of rows; at least 1.</param>
    /// <param name="stride">Bytes from the start of one row to the start of the next; at least one row of pixels.</param>
    /// <param name="format">The pixel layout.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, the stride is shorter than a row, or the format is undefined.</exception>
    /// <exception cref="ArgumentException"><paramref name="memory"/> is smaller than the described pixels.</exception>
    public PixelBuffer(Memory<byte> memory, int width, int height, int stride, PixelFormat format)
    {
        long required = RequiredLength(width, height, stride, format);
        if (memory.Length < required)
        {
            throw new ArgumentException(
                $"The memory holds {memory.Length} bytes but a {width}x{height} {format} buffer with stride {stride} needs {required}.",
                nameof(memory));
        }

        Memory = memory;
        Width = width;
        Height = height;
        Stride = stride;
        Format = format;
    }

    /// <summary>Pixels per row.</summary>
    public int Width { get; }

    /// <summary>Number of rows.</summary>
    public int Height { get; }

    /// <summary>Bytes from the start of one row to the start of the next (never less than <see cref="RowByteCount"/>).</summary>
    public int Stride { get; }

    /// <summary>The layout of each pixel.</summary>
    public PixelFormat Format { get; }

    /// <summary>The described memory, starting at row 0. It may be longer than the pixels need.</summary>
    public Memory<byte> Memory { get; }

    /// <summary>Bytes of pixel data in one row: <c>Width * Format.BytesPerPixel()</c>.</summary>
    public int RowByteCount => Width * Format.BytesPerPixel();

    /// <summary>Whether rows follow each other with no padding, so the pixels form one contiguous block.</summary>
    public bool IsContiguous => Stride == RowByteCount;

    /// <summary>The pixel bytes of row <paramref name="y"/> (without the stride padding).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="y"/> is outside <c>[0, Height)</c>.</exception>
    public Span<byte> GetRow(int y)
    {
        if ((uint)y >= (uint)Height)
        {
            throw new ArgumentOutOfRangeException(nameof(y), y, $"The row must be in [0, {Height}).");
        }

        return Memory.Span.Slice(y * Stride, RowByteCount);
    }

    /// <summary>Allocates a new, zeroed, contiguous buffer on the managed heap.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the buffer would exceed 2 GiB.</exception>
    public static PixelBuffer Allocate(int width, int height, PixelFormat format)
    {
        long stride = (long)ValidatePositive(width, nameof(width)) * format.BytesPerPixel();
        long length = stride * ValidatePositive(height, nameof(height));
        if (length > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"A {width}x{height} {format} buffer needs {length} bytes, more than one array can hold.");
        }

        return new PixelBuffer(new byte[length], width, height, (int)stride, format);
    }

    /// <summary>
    /// Describes pixels at a raw address, for hosts that hand out native surfaces (Paint.NET, GDI). The caller
    /// keeps the memory alive and unmoved for as long as the buffer, or any <see cref="Memory{T}"/> taken from it,
    /// is in use.
    /// </summary>
    /// <param name="pointer">The address of row 0.</param>
    /// <param name="width">Pixels per row; at least 1.</param>
    /// <param name="height">Number of rows; at least 1.</param>
    /// <param name="stride">Bytes from one row to the next; at least one row of pixels.</param>
    /// <param name="format">The pixel layout.</param>
    /// <exception cref="ArgumentNullException"><paramref name="pointer"/> is zero.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is invalid, or the block exceeds 2 GiB (which <see cref="Memory{T}"/> cannot describe).</exception>
    public static PixelBuffer FromPointer(nint pointer, int width, int height, int stride, PixelFormat format)
    {
        if (pointer == 0)
        {
            throw new ArgumentNullException(nameof(pointer), "The pixel address is null.");
        }

        long required = RequiredLength(width, height, stride, format);
        if (required > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(height), $"A {width}x{height} buffer with stride {stride} spans {required} bytes; at most {int.MaxValue} can be described.");
        }

        var manager = new UnmanagedMemoryManager(pointer, (int)required);
        return new PixelBuffer(manager.Memory, width, height, stride, format);
    }

    /// <summary>
    /// The number of bytes a buffer of this shape needs: <c>(height - 1) * stride + width * bytesPerPixel</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, the stride is shorter than a row, or the format is undefined.</exception>
    public static long RequiredLength(int width, int height, int stride, PixelFormat format)
    {
        if (!format.IsDefined())
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "The pixel format is not one of the defined formats.");
        }

        ValidatePositive(width, nameof(width));
        ValidatePositive(height, nameof(height));
        long rowBytes = (long)width * format.BytesPerPixel();
        if (stride < rowBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"The stride must be at least one row of pixels ({rowBytes} bytes).");
        }

        return ((long)height - 1) * stride + rowBytes;
    }

    private static int ValidatePositive(int value, string name) =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, "The size must be at least 1.");

    /// <summary>Exposes native memory as <see cref="Memory{T}"/> without owning it.</summary>
    private sealed unsafe class UnmanagedMemoryManager(nint pointer, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => new((void*)pointer, length);

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, length);
            return new MemoryHandle((byte*)pointer + elementIndex);
        }

        // Nothing is pinned: the memory is native and never moves.
        public override void Unpin()
        {
        }

        // The host owns the memory; disposing the view must not free it.
        protected override void Dispose(bool disposing)
        {
        }
    }
}
