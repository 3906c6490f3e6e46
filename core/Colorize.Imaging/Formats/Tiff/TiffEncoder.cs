using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using Colorize.Abstractions;

namespace Colorize.Imaging.Formats.Tiff;

/// <summary>How a TIFF's strips are compressed.</summary>
public enum TiffCompression
{
    /// <summary>Adobe Deflate (zlib, compression code 8): lossless, widely read. The default.</summary>
    Deflate = 0,

    /// <summary>No compression: the most portable form.</summary>
    None = 1,
}

/// <summary>
/// Encodes baseline-compatible TIFF for archiving: little-endian, chunky, strips of about 256 KiB, gray or RGB
/// (with unassociated alpha when the image has it) at 8 or 16 bits, Deflate with the horizontal predictor by
/// default. 16-bit images stay 16-bit.
/// </summary>
public sealed class TiffEncoder : IImageEncoder
{
    private const int TargetStripBytes = 256 * 1024;

    /// <summary>Strip compression. Default <see cref="TiffCompression.Deflate"/>.</summary>
    public TiffCompression Compression { get; init; }

    /// <summary>Whether Deflate strips use the horizontal-differencing predictor (smaller photos). Default true.</summary>
    public bool UsePredictor { get; init; } = true;

    /// <summary>zlib level for Deflate, 0–9. Default 6.</summary>
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

    /// <summary>Bits per channel: 0 follows the image (16 for 16-bit formats, else 8); 8 or 16 force it.</summary>
    public int BitDepth { get; init; }

    private readonly int _compressionLevel = 6;

    /// <inheritdoc/>
    public ImageFormat Format => ImageFormat.Tiff;

    /// <inheritdoc/>
    public void Encode(Image image, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            // The header points at the directory written last, so encode where we can seek back.
            using var buffer = new MemoryStream();
            Encode(image, buffer);
            buffer.Position = 0;
            buffer.CopyTo(stream);
            return;
        }

        PixelFormat source = image.PixelFormat;
        int bits = BitDepth is 8 or 16 ? BitDepth : source.BitsPerChannel();
        PixelFormat work = (source.IsGray(), source.HasAlpha(), bits == 16) switch
        {
            (true, _, false) => PixelFormat.Gray8,
            (true, _, true) => PixelFormat.Gray16,
            (false, true, false) => PixelFormat.Rgba32,
            (false, true, true) => PixelFormat.Rgba64,
            (false, false, false) => PixelFormat.Rgb24,
            _ => PixelFormat.Rgb48,
        };
        int samples = work.ChannelCount();
        int rowBytes = image.Width * work.BytesPerPixel();
        int rowsPerStrip = Math.Clamp(TargetStripBytes / Math.Max(1, rowBytes), 1, image.Height);
        int strips = (image.Height + rowsPerStrip - 1) / rowsPerStrip;
        bool deflate = Compression == TiffCompression.Deflate;
        bool predictor = deflate && UsePredictor;

        long start = stream.Position;
        var output = new CountingWriter(stream);
        output.Write([(byte)'I', (byte)'I', 42, 0, 0, 0, 0, 0]); // first-IFD offset patched in the IFD write below

        var offsets = new uint[strips];
        var counts = new uint[strips];
        byte[] raw = new byte[rowBytes * rowsPerStrip];
        byte[] scratch = new byte[image.Width * 8];
        using var compressed = new MemoryStream();
        for (int s = 0; s < strips; s++)
        {
            int y0 = s * rowsPerStrip;
            int rows = Math.Min(rowsPerStrip, image.Height - y0);
            for (int r = 0; r < rows; r++)
            {
                Span<byte> row = raw.AsSpan(r * rowBytes, rowBytes);
                PixelConverter.ConvertRow(source, image.GetRowBytes(y0 + r), work, row, scratch);
                if (!BitConverter.IsLittleEndian && bits == 16)
                {
                    Span<ushort> v = MemoryMarshal.Cast<byte, ushort>(row);
                    BinaryPrimitives.ReverseEndianness(v, v);
                }

                if (predictor)
                {
                    Predict(row, samples, bits);
                }
            }

            ReadOnlySpan<byte> body = raw.AsSpan(0, rows * rowBytes);
            if (deflate)
            {
                compressed.SetLength(0);
                using (var zlib = new ZLibStream(compressed, new ZLibCompressionOptions { CompressionLevel = CompressionLevel }, leaveOpen: true))
                {
                    zlib.Write(body);
                }

                body = compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
            }

            if (output.Position + body.Length > uint.MaxValue)
            {
                throw new ImageFormatException("The image is too large for a classic TIFF file (4 GiB).");
            }

            offsets[s] = (uint)output.Position;
            counts[s] = (uint)body.Length;
            output.Write(body);
            if ((output.Position & 1) != 0)
            {
                output.Write([0]); // IFDs and value arrays start on a word boundary.
            }
        }

        WriteDirectory(output, stream, start, image, work, bits, samples, rowsPerStrip, offsets, counts, deflate, predictor);
    }

    private static void Predict(Span<byte> row, int samples, int bits)
    {
        // Back to front so each difference uses the original left neighbour.
        if (bits == 8)
        {
            for (int i = row.Length - 1; i >= samples; i--)
            {
                row[i] -= row[i - samples];
            }
        }
        else
        {
            Span<byte> r = row;
            for (int i = (row.Length / 2) - 1; i >= samples; i--)
            {
                ushort value = BinaryPrimitives.ReadUInt16LittleEndian(r[(i * 2)..]);
                ushort left = BinaryPrimitives.ReadUInt16LittleEndian(r[((i - samples) * 2)..]);
                BinaryPrimitives.WriteUInt16LittleEndian(r[(i * 2)..], (ushort)(value - left));
            }
        }
    }

    private static void WriteDirectory(CountingWriter output, Stream stream, long start, Image image, PixelFormat work, int bits, int samples,
        int rowsPerStrip, uint[] offsets, uint[] counts, bool deflate, bool predictor)
    {
        bool alpha = work.HasAlpha();
        // Out-of-line values go first, then the IFD that points at them.
        uint bitsOffset = (uint)output.Position;
        foreach (int _ in Enumerable.Range(0, samples))
        {
            output.WriteUInt16((ushort)bits);
        }

        uint offsetsAt = (uint)output.Position;
        foreach (uint o in offsets)
        {
            output.WriteUInt32(o);
        }

        uint countsAt = (uint)output.Position;
        foreach (uint c in counts)
        {
            output.WriteUInt32(c);
        }

        uint resolutionAt = (uint)output.Position;
        output.WriteUInt32(72);
        output.WriteUInt32(1);

        var entries = new List<(ushort Tag, ushort Type, uint Count, uint Value)>
        {
            (256, 4, 1, (uint)image.Width),
            (257, 4, 1, (uint)image.Height),
            (258, 3, (uint)samples, samples <= 2 ? (uint)bits | (samples == 2 ? (uint)bits << 16 : 0) : bitsOffset),
            (259, 3, 1, deflate ? 8u : 1u),
            (262, 3, 1, work.IsGray() ? 1u : 2u),
            (273, 4, (uint)offsets.Length, offsets.Length == 1 ? offsets[0] : offsetsAt),
            (277, 3, 1, (uint)samples),
            (278, 4, 1, (uint)rowsPerStrip),
            (279, 4, (uint)counts.Length, counts.Length == 1 ? counts[0] : countsAt),
            (282, 5, 1, resolutionAt),
            (283, 5, 1, resolutionAt),
            (284, 3, 1, 1),
            (296, 3, 1, 2),
        };
        if (predictor)
        {
            entries.Add((317, 3, 1, 2));
        }

        if (alpha)
        {
            entries.Add((338, 3, 1, 2)); // unassociated (straight) alpha
        }

        uint ifdAt = (uint)output.Position;
        output.WriteUInt16((ushort)entries.Count);
        foreach ((ushort tag, ushort type, uint count, uint value) in entries)
        {
            output.WriteUInt16(tag);
            output.WriteUInt16(type);
            output.WriteUInt32(count);
            if (type == 3 && count == 1)
            {
                output.WriteUInt16((ushort)value);
                output.WriteUInt16(0);
            }
            else
            {
                output.WriteUInt32(value);
            }
        }

        output.WriteUInt32(0);
        long end = stream.Position;
        stream.Position = start + 4;
        Span<byte> pointer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(pointer, ifdAt);
        stream.Write(pointer);
        stream.Position = end;
    }

    /// <summary>Writes to the stream and counts bytes, for offsets relative to the start of the file.</summary>
    private sealed class CountingWriter(Stream stream)
    {
        public long Position { get; private set; }

        public void Write(ReadOnlySpan<byte> bytes)
        {
            stream.Write(bytes);
            Position += bytes.Length;
        }

        public void WriteUInt16(ushort value)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, value);
            Write(b);
        }

        public void WriteUInt32(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            Write(b);
        }
    }
}
