using System.Buffers.Binary;
using System.Drawing;
using System.IO.Compression;
using Colorize.Abstractions;
using Colorize.Imaging.Formats.Common;

namespace Colorize.Imaging.Formats.Png;

/// <summary>What to do when a chunk's CRC does not match its contents.</summary>
public enum PngCrcHandling
{
    /// <summary>Every CRC mismatch is an error (the default).</summary>
    Strict = 0,

    /// <summary>Mismatches in ancillary chunks (gAMA, iCCP, text, ...) are ignored; critical chunks are still checked.</summary>
    IgnoreAncillary = 1,

    /// <summary>No CRC is checked; for salvaging damaged files.</summary>
    IgnoreAll = 2,
}

/// <summary>
/// Decodes PNG: every colour type and bit depth (1–16), palettes with tRNS, tRNS for gray and RGB, Adam7
/// interlacing, all five filters, CRC checks. 16-bit images stay 16-bit. Colour-management chunks (gAMA, cHRM,
/// iCCP, sRGB) are tolerated and ignored. Image data that stops before the last row (a file cut short) or is corrupt
/// is refused with a <see cref="TruncatedImageException"/> carrying the rows that decoded; a missing IEND after
/// complete image data loses nothing and is accepted.
/// </summary>
/// <remarks>
/// Output formats: gray ≤ 8 bits → <see cref="PixelFormat.Gray8"/> (low depths scaled to 0–255);
/// gray 16 → <see cref="PixelFormat.Gray16"/>; RGB and palette → <see cref="PixelFormat.Rgb24"/>;
/// RGB 16 → <see cref="PixelFormat.Rgb48"/>; anything with alpha or a tRNS chunk →
/// <see cref="PixelFormat.Rgba32"/> or <see cref="PixelFormat.Rgba64"/> for 16-bit sources. Palette indices
/// beyond the palette decode as opaque black, as libpng does.
/// </remarks>
public sealed class PngDecoder : IImageDecoder
{
    /// <summary>How CRC mismatches are treated. Default: <see cref="PngCrcHandling.Strict"/>.</summary>
    public PngCrcHandling CrcHandling { get; init; }

    /// <inheritdoc/>
    public ImageFormat Format => ImageFormat.Png;

    /// <inheritdoc/>
    public int HeaderSize => 8;

    /// <inheritdoc/>
    public bool IsSupportedFormat(ReadOnlySpan<byte> header) =>
        header.Length >= 8 && header[..8].SequenceEqual(PngConstants.Signature);

    /// <inheritdoc/>
    public ImageInfo Identify(ReadOnlyMemory<byte> data, DecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        PngState state = ReadChunks(data.Span, stopAtImageData: true);
        PixelFormat format = state.OutputFormat;
        options.EnsureWithinLimits(state.Width, state.Height, format, "PNG");
        return new ImageInfo(state.Width, state.Height, format, ImageFormat.Png, state.BitDepth);
    }

    /// <inheritdoc/>
    public Image Decode(ReadOnlyMemory<byte> data, DecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        PngState state = ReadChunks(data.Span, stopAtImageData: false);
        PixelFormat format = state.OutputFormat;
        options.EnsureWithinLimits(state.Width, state.Height, format, "PNG");
        if (state.ImageData.Count == 0)
        {
            throw new ImageFormatException("The PNG file has no image data (no IDAT chunk).");
        }

        if (state.ColorType == PngColorTypeCode.Palette && state.PaletteLength == 0)
        {
            throw new ImageFormatException("The PNG file is a palette image without a palette (PLTE chunk).");
        }

        var image = new Image(state.Width, state.Height, format);
        using var compressed = new SegmentedReadStream(data, state.ImageData);
        using var zlib = new ZLibStream(compressed, CompressionMode.Decompress);

        // Rows finished per pass (one pass when not interlaced), to say how much decoded if the data stops short.
        int[] rowsDone = new int[7];
        try
        {
            if (state.Interlaced)
            {
                DecodeInterlaced(state, zlib, image, rowsDone);
            }
            else
            {
                DecodePass(state, zlib, image, state.Width, state.Height, 0, 0, 1, 1, ref rowsDone[0]);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
        {
            // The image data stops before the last row (the file is cut short, or the encoder stopped) or is corrupt:
            // refuse it, handing over the rows that did decode.
            int rows = state.Interlaced ? CompleteInterlacedRows(state, rowsDone) : rowsDone[0];
            string? detail = ex is InvalidDataException ? $"the compressed image data is corrupt: {ex.Message.TrimEnd('.')}" : null;
            throw new TruncatedImageException("PNG", !state.SawEnd, image, rows, state.Height, new Rectangle(0, 0, state.Width, rows), detail);
        }

        return image;
    }

    private static void DecodeInterlaced(PngState state, Stream zlib, Image image, int[] rowsDone)
    {
        ReadOnlySpan<byte> adam7 = PngConstants.Adam7;
        for (int pass = 0; pass < 7; pass++)
        {
            int x0 = adam7[pass * 4], y0 = adam7[(pass * 4) + 1], dx = adam7[(pass * 4) + 2], dy = adam7[(pass * 4) + 3];
            int passWidth = (int)(((long)state.Width - x0 + dx - 1) / dx);
            int passHeight = (int)(((long)state.Height - y0 + dy - 1) / dy);
            if (passWidth > 0 && passHeight > 0)
            {
                DecodePass(state, zlib, image, passWidth, passHeight, x0, y0, dx, dy, ref rowsDone[pass]);
            }
        }
    }

    /// <summary>How many rows from the top every Adam7 pass that touches them has filled in.</summary>
    private static int CompleteInterlacedRows(PngState state, int[] rowsDone)
    {
        ReadOnlySpan<byte> adam7 = PngConstants.Adam7;
        for (int y = 0; y < state.Height; y++)
        {
            for (int pass = 0; pass < 7; pass++)
            {
                int x0 = adam7[pass * 4], y0 = adam7[(pass * 4) + 1], dy = adam7[(pass * 4) + 3];
                bool touches = x0 < state.Width && y >= y0 && (y - y0) % dy == 0;
                if (touches && (y - y0) / dy >= rowsDone[pass])
                {
                    return y;
                }
            }
        }

        return state.Height;
    }

    private static void DecodePass(PngState state, Stream zlib, Image image, int width, int height, int x0, int y0, int dx, int dy, ref int rowsDone)
    {
        int bitsPerPixel = state.BitsPerPixel;
        int rowBytes = (int)(((long)width * bitsPerPixel + 7) / 8);
        int filterUnit = Math.Max(1, bitsPerPixel / 8);
        int outBpp = image.PixelFormat.BytesPerPixel();
        byte[] buffers = new byte[(2 * rowBytes) + 1 + (dx == 1 ? 0 : width * outBpp)];
        Span<byte> previous = buffers.AsSpan(0, rowBytes);
        Span<byte> current = buffers.AsSpan(rowBytes, rowBytes + 1);
        Span<byte> scattered = buffers.AsSpan((2 * rowBytes) + 1);

        for (int row = 0; row < height; row++)
        {
            zlib.ReadExactly(current);
            Span<byte> pixels = current[1..];
            PngFilters.Unfilter(current[0], pixels, previous, filterUnit);
            int y = y0 + (row * dy);
            if (dx == 1)
            {
                PngRowExpander.Expand(state, pixels, image.GetRowBytes(y), width);
            }
            else
            {
                PngRowExpander.Expand(state, pixels, scattered, width);
                Span<byte> target = image.GetRowBytes(y);
                for (int i = 0, x = x0; i < width; i++, x += dx)
                {
                    scattered.Slice(i * outBpp, outBpp).CopyTo(target[(x * outBpp)..]);
                }
            }

            pixels.CopyTo(previous);
            rowsDone++;
        }
    }

    private PngState ReadChunks(ReadOnlySpan<byte> data, bool stopAtImageData)
    {
        if (!IsSupportedFormat(data))
        {
            throw new ImageFormatException("The data does not start with the PNG signature.");
        }

        var state = new PngState();
        int offset = 8;
        bool seenHeader = false;
        bool seenImageData = false;
        while (true)
        {
            if (data.Length - offset < 12)
            {
                if (seenImageData)
                {
                    // A missing IEND after complete image data is harmless: decode what is there.
                    break;
                }

                throw new ImageFormatException("The PNG file is truncated: it ends before the image data.");
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[offset..]);
            uint type = BinaryPrimitives.ReadUInt32BigEndian(data[(offset + 4)..]);
            string name = ChunkName(type);
            if (length > PngConstants.MaxChunkLength || length > data.Length - offset - 12)
            {
                if (seenImageData && type != PngConstants.ChunkIdat)
                {
                    break;
                }

                if (seenHeader && type == PngConstants.ChunkIdat && length <= PngConstants.MaxChunkLength)
                {
                    if (stopAtImageData)
                    {
                        return state;
                    }

                    // The file ends inside image data: keep what is there (its CRC is lost with the end); the rows it
                    // holds decode and the decoder reports the rest as missing.
                    state.ImageData.Add((offset + 8, Math.Max(0, data.Length - offset - 8)));
                    break;
                }

                throw new ImageFormatException($"The PNG file is truncated or damaged: chunk '{name}' claims {length} bytes but only {Math.Max(0, data.Length - offset - 12)} remain.");
            }

            ReadOnlySpan<byte> body = data.Slice(offset + 8, (int)length);
            bool critical = (type & 0x20000000) == 0;
            if (!seenHeader && type != PngConstants.ChunkIhdr)
            {
                throw new ImageFormatException($"The PNG file does not start with an IHDR chunk (found '{name}').");
            }

            if (CrcHandling == PngCrcHandling.Strict || (CrcHandling == PngCrcHandling.IgnoreAncillary && critical))
            {
                uint expected = BinaryPrimitives.ReadUInt32BigEndian(data[(offset + 8 + (int)length)..]);
                uint actual = Crc32.Compute(data.Slice(offset + 4, (int)length + 4));
                if (actual != expected)
                {
                    throw new ImageFormatException($"The PNG chunk '{name}' is damaged: its CRC is {expected:x8} but the data gives {actual:x8}.");
                }
            }

            switch (type)
            {
                case PngConstants.ChunkIhdr:
                    if (seenHeader)
                    {
                        throw new ImageFormatException("The PNG file has more than one IHDR chunk.");
                    }

                    state.ReadHeader(body);
                    seenHeader = true;
                    break;
                case PngConstants.ChunkPlte:
                    state.ReadPalette(body);
                    break;
                case PngConstants.ChunkTrns:
                    state.ReadTransparency(body);
                    break;
                case PngConstants.ChunkIdat:
                    if (stopAtImageData)
                    {
                        return state;
                    }

                    seenImageData = true;
                    state.ImageData.Add((offset + 8, (int)length));
                    break;
                case PngConstants.ChunkIend:
                    if (!seenImageData && !stopAtImageData)
                    {
                        throw new ImageFormatException("The PNG file has no image data (no IDAT chunk before IEND).");
                    }

                    state.SawEnd = true;
                    return state;
                default:
                    if (critical)
                    {
                        throw new ImageFormatException($"The PNG file needs chunk '{name}', which this decoder does not know.");
                    }

                    break;
            }

            offset += 12 + (int)length;
        }

        return state;
    }

    private static string ChunkName(uint type)
    {
        Span<char> chars = stackalloc char[4];
        for (int i = 0; i < 4; i++)
        {
            char c = (char)((type >> (24 - (8 * i))) & 0xFF);
            chars[i] = char.IsAsciiLetter(c) ? c : '?';
        }

        return new string(chars);
    }
}
