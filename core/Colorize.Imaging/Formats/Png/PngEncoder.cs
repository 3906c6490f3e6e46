using System.Buffers.Binary;
using System.IO.Compression;
using Colorize.Abstractions;
using Colorize.Imaging.Formats.Common;

namespace Colorize.Imaging.Formats.Png;

/// <summary>Which channels a PNG stores.</summary>
public enum PngColorType
{
    /// <summary>Follow the image: gray stays gray, colour stays RGB, alpha is kept when the format has it.</summary>
    Auto = 0,

    /// <summary>Gray (colour images are converted with BT.601 luma).</summary>
    Gray = 1,

    /// <summary>Gray with alpha.</summary>
    GrayAlpha = 2,

    /// <summary>Red, green, blue.</summary>
    Rgb = 3,

    /// <summary>Red, green, blue, alpha.</summary>
    RgbAlpha = 4,
}

/// <summary>Bits per channel a PNG stores.</summary>
public enum PngBitDepth
{
    /// <summary>Follow the image: 16 bits for 16-bit formats, 8 otherwise.</summary>
    Auto = 0,

    /// <summary>8 bits per channel (16-bit images are rounded).</summary>
    Bit8 = 8,

    /// <summary>16 bits per channel.</summary>
    Bit16 = 16,
}

/// <summary>How each scanline's filter is chosen.</summary>
public enum PngFilterMode
{
    /// <summary>Per row, the filter whose output has the smallest sum of absolute values (the libpng heuristic).</summary>
    Adaptive = 0,

    /// <summary>Always filter type 0 (fastest; good for palette-like images).</summary>
    None = 1,

    /// <summary>Always Sub.</summary>
    Sub = 2,

    /// <summary>Always Up.</summary>
    Up = 3,

    /// <summary>Always Average.</summary>
    Average = 4,

    /// <summary>Always Paeth.</summary>
    Paeth = 5,
}

/// <summary>
/// Encodes PNG: gray, gray+alpha, RGB or RGBA at 8 or 16 bits, non-interlaced, with adaptive filtering; blocks of
/// rows are filtered and deflated on several threads (the same bytes for any thread count).
/// </summary>
public sealed partial class PngEncoder : IImageEncoder
{
    private const int IdatChunkSize = 1 << 16;
    private readonly int _compressionLevel = 3;

    /// <summary>
    /// zlib compression level, 0 (store) to 9 (smallest). Default 3: on 24-megapixel photos within 0.1-5 % of level 6's
    /// size in at most its time, less than half on a real photo (docs/benchmarks.md, "PNG encoding"); 9 takes 3-14 times
    /// level 3's time for 0.3-1.3 % less.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The level is outside 0–9.</exception>
    public int CompressionLevel
    {
        get => _compressionLevel;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 9);
            _compressionLevel = value;
        }
    }

    /// <summary>Channels to store. Default <see cref="PngColorType.Auto"/>.</summary>
    public PngColorType ColorType { get; init; }

    /// <summary>Bits per channel. Default <see cref="PngBitDepth.Auto"/>: 16-bit images stay 16-bit.</summary>
    public PngBitDepth BitDepth { get; init; }

    /// <summary>Scanline filter selection. Default <see cref="PngFilterMode.Adaptive"/>.</summary>
    public PngFilterMode FilterMode { get; init; }

    /// <summary>
    /// Threads that filter and deflate blocks of rows at once; 0 or negative (the default) for one per logical
    /// processor. The file is the same bits for any value.
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; }

    /// <inheritdoc/>
    public ImageFormat Format => ImageFormat.Png;

    /// <inheritdoc/>
    public void Encode(Image image, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(stream);
        PixelFormat source = image.PixelFormat;
        PngColorType colorType = ColorType != PngColorType.Auto ? ColorType
            : source.IsGray() ? PngColorType.Gray
            : source.HasAlpha() ? PngColorType.RgbAlpha
            : PngColorType.Rgb;
        int depth = BitDepth != PngBitDepth.Auto ? (int)BitDepth : source.BitsPerChannel();

        // The row is first converted to a pixel format whose memory layout equals PNG's, except that 16-bit
        // samples are native-endian and get swapped. Gray+alpha has no pixel format: it is built from RGBA.
        (PixelFormat work, byte code, int channels) = (colorType, depth) switch
        {
            (PngColorType.Gray, 8) => (PixelFormat.Gray8, (byte)0, 1),
            (PngColorType.Gray, _) => (PixelFormat.Gray16, (byte)0, 1),
            (PngColorType.Rgb, 8) => (PixelFormat.Rgb24, (byte)2, 3),
            (PngColorType.Rgb, _) => (PixelFormat.Rgb48, (byte)2, 3),
            (PngColorType.GrayAlpha, 8) => (PixelFormat.Rgba32, (byte)4, 2),
            (PngColorType.GrayAlpha, _) => (PixelFormat.Rgba64, (byte)4, 2),
            (PngColorType.RgbAlpha, 8) => (PixelFormat.Rgba32, (byte)6, 4),
            _ => (PixelFormat.Rgba64, (byte)6, 4),
        };
        int bytesPerSample = depth / 8;
        int bpp = channels * bytesPerSample;
        int rowBytes = checked(image.Width * bpp);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], image.Height);
        header[8] = (byte)depth;
        header[9] = code;
        stream.Write(PngConstants.Signature);
        WriteChunk(stream, PngConstants.ChunkIhdr, header);

        var layout = new RowLayout(work, channels, bytesPerSample, bpp, rowBytes);
        using (var idat = new ChunkWriterStream(stream, PngConstants.ChunkIdat, IdatChunkSize))
        {
            WriteImageData(image, layout, idat);
        }

        WriteChunk(stream, PngConstants.ChunkIend, []);
    }

    private static void Pack(ReadOnlySpan<byte> converted, Span<byte> raw, PixelFormat work, int channels, int bytesPerSample)
    {
        if (channels == 2)
        {
            // RGBA → gray+alpha. R, G and B are equal when the source was gray; for colour sources take luma.
            int pixels = raw.Length / (2 * bytesPerSample);
            if (bytesPerSample == 1)
            {
                for (int i = 0; i < pixels; i++)
                {
                    int s = i * 4;
                    raw[i * 2] = (byte)((converted[s] * 19595u + converted[s + 1] * 38470u + converted[s + 2] * 7471u + 0x8000u) >> 16);
                    raw[(i * 2) + 1] = converted[s + 3];
                }
            }
            else
            {
                ReadOnlySpan<ushort> c = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(converted);
                for (int i = 0; i < pixels; i++)
                {
                    int s = i * 4;
                    ushort gray = (ushort)((c[s] * 19595u + c[s + 1] * 38470u + c[s + 2] * 7471u + 0x8000u) >> 16);
                    BinaryPrimitives.WriteUInt16BigEndian(raw[(i * 4)..], gray);
                    BinaryPrimitives.WriteUInt16BigEndian(raw[((i * 4) + 2)..], c[s + 3]);
                }
            }

            return;
        }

        if (bytesPerSample == 2)
        {
            BinaryPrimitives.ReverseEndianness(
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(converted[..raw.Length]),
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(raw));
        }
        else
        {
            converted[..raw.Length].CopyTo(raw);
        }

        _ = work;
    }

    internal static void WriteChunk(Stream stream, uint type, ReadOnlySpan<byte> body)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(prefix, body.Length);
        BinaryPrimitives.WriteUInt32BigEndian(prefix[4..], type);
        uint crc = Crc32.Append(Crc32.Compute(prefix[4..]), body);
        Span<byte> suffix = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(suffix, crc);
        stream.Write(prefix);
        stream.Write(body);
        stream.Write(suffix);
    }

    /// <summary>Buffers what the compressor writes and emits it as chunks of one type.</summary>
    private sealed class ChunkWriterStream(Stream output, uint type, int chunkSize) : Stream
    {
        private readonly byte[] _buffer = new byte[chunkSize];
        private int _count;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                int n = Math.Min(buffer.Length, _buffer.Length - _count);
                buffer[..n].CopyTo(_buffer.AsSpan(_count));
                _count += n;
                buffer = buffer[n..];
                if (_count == _buffer.Length)
                {
                    Flush();
                }
            }
        }

        public override void Flush()
        {
            if (_count > 0)
            {
                WriteChunk(output, type, _buffer.AsSpan(0, _count));
                _count = 0;
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Flush();
            }

            base.Dispose(disposing);
        }
    }
}
