using System.Buffers.Binary;
using System.Drawing;
using System.Runtime.InteropServices;
using Colorize.Abstractions;

namespace Colorize.Imaging.Formats.Tiff;

/// <summary>
/// Decodes the first image of a TIFF file in the forms scanners and archives write: strips or tiles; no
/// compression, LZW, Deflate (8 and 32946) or PackBits; horizontal predictor; bilevel, 8 and 16-bit gray
/// (MinIsBlack and MinIsWhite) with optional alpha, and 8/16-bit RGB(A); chunky or planar; either byte order.
/// </summary>
/// <remarks>
/// Output formats: gray → <see cref="PixelFormat.Gray8"/>/<see cref="PixelFormat.Gray16"/> (bilevel as 0/255,
/// MinIsWhite inverted so 0 is black); RGB → <see cref="PixelFormat.Rgb24"/>/<see cref="PixelFormat.Rgb48"/>;
/// gray or RGB with an extra sample → <see cref="PixelFormat.Rgba32"/>/<see cref="PixelFormat.Rgba64"/> (the extra
/// sample is taken as straight alpha). Palette, CMYK, YCbCr, JPEG-compressed and floating-point TIFFs are reported
/// as unsupported. A strip or tile that is cut short, lies past the end of the file or does not decompress to all its
/// rows is refused with a <see cref="TruncatedImageException"/> carrying the rows above it.
/// </remarks>
public sealed class TiffDecoder : IImageDecoder
{
    private const ushort TagWidth = 256, TagHeight = 257, TagBits = 258, TagCompression = 259, TagPhotometric = 262,
        TagFillOrder = 266, TagStripOffsets = 273, TagSamples = 277, TagRowsPerStrip = 278, TagStripByteCounts = 279,
        TagPlanar = 284, TagPredictor = 317, TagTileWidth = 322, TagTileLength = 323, TagTileOffsets = 324,
        TagTileByteCounts = 325, TagSampleFormat = 339;

    /// <inheritdoc/>
    public ImageFormat Format => ImageFormat.Tiff;

    /// <inheritdoc/>
    public int HeaderSize => 4;

    /// <inheritdoc/>
    public bool IsSupportedFormat(ReadOnlySpan<byte> header) =>
        header.Length >= 4 && ((header[0] == 'I' && header[1] == 'I' && header[2] == 42 && header[3] == 0)
                               || (header[0] == 'M' && header[1] == 'M' && header[2] == 0 && header[3] == 42));

    /// <inheritdoc/>
    public ImageInfo Identify(ReadOnlyMemory<byte> data, DecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Layout layout = ReadLayout(TiffDirectory.ReadFirst(data), options);
        return new ImageInfo(layout.Width, layout.Height, layout.Output, ImageFormat.Tiff, layout.Bits);
    }

    /// <inheritdoc/>
    public Image Decode(ReadOnlyMemory<byte> data, DecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        TiffDirectory ifd = TiffDirectory.ReadFirst(data);
        Layout layout = ReadLayout(ifd, options);
        bool tiled = ifd.Has(TagTileOffsets);
        int chunkWidth = tiled ? layout.TileWidth : layout.Width;
        int chunkHeight = tiled ? layout.TileHeight : layout.RowsPerStrip;
        int across = (int)(((long)layout.Width + chunkWidth - 1) / chunkWidth);
        int down = (int)(((long)layout.Height + chunkHeight - 1) / chunkHeight);
        int planes = layout.Planar ? layout.Samples : 1;
        long expectedChunks = (long)across * down * planes;
        long[] offsets = ifd.GetArray(tiled ? TagTileOffsets : TagStripOffsets, expectedChunks, tiled ? "tile offsets" : "strip offsets");
        long[] counts = ifd.GetArray(tiled ? TagTileByteCounts : TagStripByteCounts, expectedChunks, "byte counts");
        if (offsets.Length < expectedChunks)
        {
            throw new ImageFormatException($"The TIFF file lists {offsets.Length} {(tiled ? "tiles" : "strips")} but a {layout.Width}x{layout.Height} image needs {expectedChunks}.");
        }

        int samplesPerChunkPixel = layout.Planar ? 1 : layout.Samples;
        long chunkRowBytes = (((long)chunkWidth * samplesPerChunkPixel * layout.Bits) + 7) / 8;
        long chunkBytes = chunkRowBytes * chunkHeight;
        if (chunkBytes > options.MaxBytes || chunkBytes > Array.MaxLength)
        {
            throw new ImageLimitException($"A TIFF {(tiled ? "tile" : "strip")} of {chunkWidth}x{chunkHeight} pixels would need {chunkBytes} bytes, more than the limit.");
        }

        if (counts.Length < expectedChunks)
        {
            if (layout.Compression != 1)
            {
                throw new ImageFormatException("The TIFF file does not say how long its compressed strips are (StripByteCounts is missing).");
            }

            counts = [.. Enumerable.Repeat(chunkBytes, (int)expectedChunks)];
        }

        var image = new Image(layout.Width, layout.Height, layout.Output);
        byte[] chunk = new byte[chunkBytes];
        byte[] samples = new byte[chunkWidth * samplesPerChunkPixel * (layout.Bits == 16 ? 2 : 1)];
        for (int index = 0; index < expectedChunks; index++)
        {
            int plane = index / (across * down);
            int within = index % (across * down);
            int x0 = within % across * chunkWidth;
            int y0 = within / across * chunkHeight;
            int rows = Math.Min(chunkHeight, layout.Height - y0);
            // A strip's last rows may be absent: only the rows inside the image are required.
            int required = (int)(chunkRowBytes * (tiled ? chunkHeight : rows));
            Span<byte> target = chunk.AsSpan(0, required);
            int got;
            string? problem = null;
            try
            {
                got = Decompress(layout, data, offsets[index], counts[index], target, index);
            }
            catch (ImageFormatException e) when (e is not ImageLimitException)
            {
                got = 0;
                problem = e.Message;
            }

            if (got < required)
            {
                // The file ends inside this strip or tile (or before it), or its data is short or corrupt: place the
                // whole rows it did give, then refuse the image with what decoded.
                int partialRows = tiled ? 0 : (int)(got / chunkRowBytes);
                PlaceRows(layout, ifd, target, partialRows, chunkRowBytes, chunkWidth, samplesPerChunkPixel, plane, x0, y0, samples, image);
                bool lastPlane = plane == planes - 1;
                int rowsDecoded = lastPlane ? y0 + partialRows : 0;
                bool ended = offsets[index] >= data.Length || offsets[index] + counts[index] > data.Length;
                string what = problem ?? $"{(tiled ? "tile" : "strip")} {index} holds {got} of the {required} bytes of pixels it needs";
                throw new TruncatedImageException("TIFF", ended, image, rowsDecoded, layout.Height, new Rectangle(0, 0, layout.Width, rowsDecoded), what.TrimEnd('.'));
            }

            PlaceRows(layout, ifd, target, rows, chunkRowBytes, chunkWidth, samplesPerChunkPixel, plane, x0, y0, samples, image);
        }

        return image;
    }

    /// <summary>Undoes the predictor of the first <paramref name="rows"/> rows of a chunk and writes them into the image.</summary>
    private static void PlaceRows(Layout layout, TiffDirectory ifd, Span<byte> target, int rows, long chunkRowBytes, int chunkWidth, int samplesPerChunkPixel, int plane, int x0, int y0, byte[] samples, Image image)
    {
        for (int r = 0; r < rows; r++)
        {
            Span<byte> row = target.Slice((int)(r * chunkRowBytes), (int)chunkRowBytes);
            Unpredict(layout, row, chunkWidth, samplesPerChunkPixel, ifd.BigEndian);
            int pixels = Math.Min(chunkWidth, layout.Width - x0);
            ToNativeSamples(layout, row, samples, pixels * samplesPerChunkPixel, ifd.BigEndian);
            Place(layout, samples, pixels, samplesPerChunkPixel, layout.Planar ? plane : -1, image.GetRowBytes(y0 + r), x0);
        }
    }

    private static int Decompress(Layout layout, ReadOnlyMemory<byte> data, long offset, long count, Span<byte> target, int index)
    {
        if (offset < 0 || count < 0 || offset > data.Length)
        {
            throw new ImageFormatException($"TIFF strip or tile {index} starts at byte {offset}, outside the {data.Length}-byte file.");
        }

        count = Math.Min(count, data.Length - offset);
        ReadOnlySpan<byte> source = data.Span.Slice((int)offset, (int)count);
        switch (layout.Compression)
        {
            case 1:
                int n = Math.Min(source.Length, target.Length);
                source[..n].CopyTo(target);
                return n;
            case 5:
                return TiffCompressors.DecodeLzw(source, target);
            case 8 or 32946:
                return TiffCompressors.DecodeDeflate(data, (int)offset, (int)count, target);
            default:
                return TiffCompressors.DecodePackBits(source, target);
        }
    }

    private static void Unpredict(Layout layout, Span<byte> row, int width, int samples, bool bigEndian)
    {
        if (layout.Predictor != 2)
        {
            return;
        }

        if (layout.Bits == 8)
        {
            for (int i = samples; i < width * samples; i++)
            {
                row[i] += row[i - samples];
            }
        }
        else
        {
            for (int i = samples; i < width * samples; i++)
            {
                Span<byte> cur = row.Slice(i * 2, 2);
                ReadOnlySpan<byte> prev = row.Slice((i - samples) * 2, 2);
                if (bigEndian)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(cur, (ushort)(BinaryPrimitives.ReadUInt16BigEndian(cur) + BinaryPrimitives.ReadUInt16BigEndian(prev)));
                }
                else
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(cur, (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(cur) + BinaryPrimitives.ReadUInt16LittleEndian(prev)));
                }
            }
        }
    }

    /// <summary>File samples → native 8-bit bytes or native-endian ushorts; bilevel widened to 0/255.</summary>
    private static void ToNativeSamples(Layout layout, ReadOnlySpan<byte> row, Span<byte> samples, int count, bool bigEndian)
    {
        switch (layout.Bits)
        {
            case 1:
                for (int i = 0; i < count; i++)
                {
                    samples[i] = (row[i >> 3] & (0x80 >> (i & 7))) != 0 ? (byte)255 : (byte)0;
                }

                break;
            case 8:
                row[..count].CopyTo(samples);
                break;
            default:
                ReadOnlySpan<ushort> source = MemoryMarshal.Cast<byte, ushort>(row[..(count * 2)]);
                Span<ushort> target = MemoryMarshal.Cast<byte, ushort>(samples);
                if (bigEndian == BitConverter.IsLittleEndian)
                {
                    BinaryPrimitives.ReverseEndianness(source, target);
                }
                else
                {
                    source.CopyTo(target);
                }

                break;
        }
    }

    /// <summary>Writes <paramref name="pixels"/> pixels of native samples into the output row at <paramref name="x0"/>.</summary>
    private static void Place(Layout layout, ReadOnlySpan<byte> samples, int pixels, int samplesPerPixel, int plane, Span<byte> row, int x0)
    {
        bool wide = layout.Bits == 16;
        int outChannels = layout.Output.ChannelCount();
        if (wide)
        {
            Place(MemoryMarshal.Cast<byte, ushort>(samples), pixels, samplesPerPixel, plane, MemoryMarshal.Cast<byte, ushort>(row), x0, outChannels, layout, ushort.MaxValue);
        }
        else
        {
            Place(samples, pixels, samplesPerPixel, plane, row, x0, outChannels, layout, byte.MaxValue);
        }
    }

    private static void Place<T>(ReadOnlySpan<T> samples, int pixels, int samplesPerPixel, int plane, Span<T> row, int x0, int outChannels, Layout layout, T max)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        bool gray = layout.Photometric <= 1;
        bool invert = layout.Photometric == 0;
        for (int x = 0; x < pixels; x++)
        {
            int o = (x0 + x) * outChannels;
            for (int s = 0; s < samplesPerPixel; s++)
            {
                int channel = plane >= 0 ? plane : s;
                T v = samples[(x * samplesPerPixel) + s];
                if (gray && channel == 0)
                {
                    if (invert)
                    {
                        v = max - v;
                    }

                    if (outChannels == 1)
                    {
                        row[o] = v;
                    }
                    else
                    {
                        row[o] = row[o + 1] = row[o + 2] = v;
                    }
                }
                else if (gray)
                {
                    if (channel == 1)
                    {
                        row[o + 3] = v;
                    }
                }
                else if (channel < outChannels)
                {
                    row[o + channel] = v;
                }
            }
        }
    }

    private static Layout ReadLayout(TiffDirectory ifd, DecoderOptions options)
    {
        long width = ifd.Get(TagWidth, 0), height = ifd.Get(TagHeight, 0);
        if (width <= 0 || height <= 0 || width > int.MaxValue || height > int.MaxValue)
        {
            throw new ImageFormatException($"The TIFF file gives an invalid size of {width}x{height} pixels.");
        }

        int samples = (int)ifd.Get(TagSamples, 1);
        long[] bitsPerSample = ifd.GetArray(TagBits, 64, "bits-per-sample values");
        int bits = bitsPerSample.Length == 0 ? 1 : (int)bitsPerSample[0];
        if (bitsPerSample.Any(b => b != bits))
        {
            throw new ImageFormatException("The TIFF channels have different bit depths, which this decoder does not read.");
        }

        int compression = (int)ifd.Get(TagCompression, 1);
        int photometric = (int)ifd.Get(TagPhotometric, -1);
        int predictor = (int)ifd.Get(TagPredictor, 1);
        bool planar = ifd.Get(TagPlanar, 1) == 2;
        if (photometric is not (0 or 1 or 2))
        {
            string name = photometric switch
            {
                3 => "palette colour",
                4 => "transparency mask",
                5 => "CMYK",
                6 => "YCbCr",
                8 => "CIE Lab",
                -1 => "an unstated colour model",
                _ => $"photometric interpretation {photometric}",
            };
            throw new ImageFormatException($"The TIFF image uses {name}, which this decoder does not read (it reads gray and RGB).");
        }

        if (compression is not (1 or 5 or 8 or 32946 or 32773))
        {
            string name = compression switch
            {
                2 or 3 or 4 => "CCITT fax compression",
                6 or 7 => "JPEG compression",
                _ => $"compression scheme {compression}",
            };
            throw new ImageFormatException($"The TIFF image uses {name}, which this decoder does not read (it reads none, LZW, Deflate and PackBits).");
        }

        if (ifd.Get(TagSampleFormat, 1) is not (1 or 4))
        {
            throw new ImageFormatException("The TIFF image has signed or floating-point samples; this decoder reads unsigned integers.");
        }

        if (ifd.Get(TagFillOrder, 1) != 1)
        {
            throw new ImageFormatException("The TIFF image stores bits least-significant first (FillOrder 2), which this decoder does not read.");
        }

        bool gray = photometric <= 1;
        int colorSamples = gray ? 1 : 3;
        if (samples < colorSamples || samples > colorSamples + 1)
        {
            throw new ImageFormatException($"The TIFF image has {samples} samples per pixel; {(gray ? "gray needs 1, or 2 with alpha" : "RGB needs 3, or 4 with alpha")}.");
        }

        if (!(bits is 8 or 16 || (bits == 1 && gray && samples == 1)))
        {
            throw new ImageFormatException($"The TIFF image has {bits} bits per sample; this decoder reads 8 and 16 (and 1 for black and white).");
        }

        if (predictor is not (1 or 2) || (predictor == 2 && bits == 1))
        {
            throw new ImageFormatException($"The TIFF image uses predictor {predictor}, which this decoder does not read (it reads none and horizontal).");
        }

        bool alpha = samples > colorSamples;
        bool wide = bits == 16;
        PixelFormat output = (gray, alpha, wide) switch
        {
            (true, false, false) => PixelFormat.Gray8,
            (true, false, true) => PixelFormat.Gray16,
            (_, true, false) => PixelFormat.Rgba32,
            (_, true, true) => PixelFormat.Rgba64,
            (false, false, false) => PixelFormat.Rgb24,
            _ => PixelFormat.Rgb48,
        };
        options.EnsureWithinLimits(width, height, output, "TIFF");

        long rowsPerStrip = ifd.Get(TagRowsPerStrip, height);
        long tileWidth = ifd.Get(TagTileWidth, 0), tileHeight = ifd.Get(TagTileLength, 0);
        if (ifd.Has(TagTileOffsets) && (tileWidth <= 0 || tileHeight <= 0 || tileWidth > 65536 || tileHeight > 65536))
        {
            throw new ImageFormatException($"The TIFF tiles have an invalid size of {tileWidth}x{tileHeight}.");
        }

        return new Layout
        {
            Width = (int)width,
            Height = (int)height,
            Bits = bits,
            Samples = samples,
            Compression = compression,
            Photometric = photometric,
            Predictor = predictor,
            Planar = planar && samples > 1,
            Output = output,
            RowsPerStrip = (int)Math.Clamp(rowsPerStrip <= 0 ? height : rowsPerStrip, 1, height),
            TileWidth = (int)tileWidth,
            TileHeight = (int)tileHeight,
        };
    }

    private sealed class Layout
    {
        public int Width { get; init; }

        public int Height { get; init; }

        public int Bits { get; init; }

        public int Samples { get; init; }

        public int Compression { get; init; }

        public int Photometric { get; init; }

        public int Predictor { get; init; }

        public bool Planar { get; init; }

        public PixelFormat Output { get; init; }

        public int RowsPerStrip { get; init; }

        public int TileWidth { get; init; }

        public int TileHeight { get; init; }
    }
}
