using System.Buffers.Binary;
using System.Drawing;
using System.Numerics;
using Colorize.Abstractions;

namespace Colorize.Imaging.Formats.Bmp;

/// <summary>
/// Decodes Windows BMP: 1/4/8-bit palette (uncompressed, RLE8, RLE4), 16-bit (5-5-5 and bit fields), 24-bit and
/// 32-bit (BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS), bottom-up and top-down, with the OS/2 core header and
/// BITMAPINFOHEADER through BITMAPV5HEADER.
/// </summary>
/// <remarks>
/// Output formats: palette images whose palette is all gray → <see cref="PixelFormat.Gray8"/>; other palette,
/// 16, 24-bit and 32-bit without an alpha mask → <see cref="PixelFormat.Rgb24"/> (the fourth byte of 32-bit BI_RGB is
/// padding, as PIL and Windows treat it); bit fields with an alpha mask → <see cref="PixelFormat.Rgba32"/>.
/// Channels narrower than 8 bits are scaled as v × 255 / max, truncated, as PIL does. Palette indices past the
/// palette read as black; pixels an RLE stream skips are index 0. A file cut short is refused with a
/// <see cref="TruncatedImageException"/> carrying the complete rows it holds (the bottom ones of a bottom-up BMP).
/// </remarks>
public sealed class BmpDecoder : IImageDecoder
{
    /// <inheritdoc/>
    public ImageFormat Format => ImageFormat.Bmp;

    /// <inheritdoc/>
    public int HeaderSize => 18;

    /// <inheritdoc/>
    public bool IsSupportedFormat(ReadOnlySpan<byte> header)
    {
        if (header.Length < 18 || header[0] != 'B' || header[1] != 'M')
        {
            return false;
        }

        uint dibSize = BinaryPrimitives.ReadUInt32LittleEndian(header[14..]);
        return dibSize is 12 or 40 or 52 or 56 or 64 or 108 or 124;
    }

    /// <inheritdoc/>
    public ImageInfo Identify(ReadOnlyMemory<byte> data, DecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        BmpHeader header = BmpHeader.Read(data.Span);
        options.EnsureWithinLimits(header.Width, header.Height, header.OutputFormat, "BMP");
        return new ImageInfo(header.Width, header.Height, header.OutputFormat, ImageFormat.Bmp, Math.Min(8, header.BitsPerPixel));
    }

    /// <inheritdoc/>
    public Image Decode(ReadOnlyMemory<byte> data, DecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ReadOnlySpan<byte> span = data.Span;
        BmpHeader header = BmpHeader.Read(span);
        options.EnsureWithinLimits(header.Width, header.Height, header.OutputFormat, "BMP");
        var image = new Image(header.Width, header.Height, header.OutputFormat);
        if (header.PixelOffset > span.Length)
        {
            // Cut before the pixels (possibly inside the palette, so even the colours are unknown): nothing to hand over.
            throw new ImageFormatException($"The BMP pixel data should start at byte {header.PixelOffset}, past the end of the {span.Length}-byte file: the file is truncated.");
        }

        ReadOnlySpan<byte> pixels = span[(int)header.PixelOffset..];
        if (header.Compression is BmpHeader.Rle8 or BmpHeader.Rle4)
        {
            DecodeRle(header, pixels, image);
        }
        else
        {
            DecodeRows(header, pixels, image);
        }

        return image;
    }

    private static void DecodeRows(BmpHeader header, ReadOnlySpan<byte> pixels, Image image)
    {
        long stride = (((long)header.Width * header.BitsPerPixel) + 31) / 32 * 4;
        long rowBytes = (((long)header.Width * header.BitsPerPixel) + 7) / 8;
        long needed = stride * (header.Height - 1) + rowBytes;

        // A file cut short still holds its first rows (the bottom ones, for the usual bottom-up BMP): decode those,
        // then refuse the image with them.
        int rows = pixels.Length >= needed ? header.Height : pixels.Length < rowBytes ? 0 : (int)((pixels.Length - rowBytes) / stride) + 1;
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<byte> source = pixels.Slice((int)(row * stride), (int)Math.Min(stride, pixels.Length - (row * stride)));
            int y = header.TopDown ? row : header.Height - 1 - row;
            Span<byte> target = image.GetRowBytes(y);
            switch (header.BitsPerPixel)
            {
                case 1 or 2 or 4 or 8:
                    ExpandIndices(header, source, target);
                    break;
                case 24:
                    for (int x = 0, s = 0, t = 0; x < header.Width; x++, s += 3, t += 3)
                    {
                        target[t] = source[s + 2];
                        target[t + 1] = source[s + 1];
                        target[t + 2] = source[s];
                    }

                    break;
                case 32 when header.Compression == BmpHeader.Rgb:
                    for (int x = 0, s = 0, t = 0; x < header.Width; x++, s += 4, t += 3)
                    {
                        target[t] = source[s + 2];
                        target[t + 1] = source[s + 1];
                        target[t + 2] = source[s];
                    }

                    break;
                default:
                    ExpandBitFields(header, source, target);
                    break;
            }
        }

        if (rows < header.Height)
        {
            throw Truncated(header, image, rows, $"its pixels need {needed} bytes but only {pixels.Length} are present");
        }
    }

    /// <summary>The refusal of a BMP that ends after <paramref name="rows"/> complete rows (in file order).</summary>
    private static TruncatedImageException Truncated(BmpHeader header, Image image, int rows, string detail)
    {
        var region = new Rectangle(0, header.TopDown ? 0 : header.Height - rows, header.Width, rows);
        return new TruncatedImageException("BMP", dataEnded: true, image, rows, header.Height, region, detail);
    }

    private static void ExpandIndices(BmpHeader header, ReadOnlySpan<byte> source, Span<byte> target)
    {
        int bits = header.BitsPerPixel;
        int mask = (1 << bits) - 1;
        bool gray = header.OutputFormat == PixelFormat.Gray8;
        ReadOnlySpan<byte> palette = header.Palette;
        for (int x = 0; x < header.Width; x++)
        {
            int bit = x * bits;
            int index = (source[bit >> 3] >> (8 - bits - (bit & 7))) & mask;
            WritePaletteEntry(palette, index, gray, target, x);
        }
    }

    private static void WritePaletteEntry(ReadOnlySpan<byte> palette, int index, bool gray, Span<byte> target, int x)
    {
        // Palette entries are stored R, G, B (converted from the file's B, G, R); short palettes pad with black.
        if (gray)
        {
            target[x] = palette[index * 3];
        }
        else
        {
            palette.Slice(index * 3, 3).CopyTo(target[(x * 3)..]);
        }
    }

    private static void ExpandBitFields(BmpHeader header, ReadOnlySpan<byte> source, Span<byte> target)
    {
        int bytes = header.BitsPerPixel / 8;
        bool alpha = header.OutputFormat == PixelFormat.Rgba32;
        int outBpp = alpha ? 4 : 3;
        for (int x = 0; x < header.Width; x++)
        {
            uint value = bytes == 2
                ? BinaryPrimitives.ReadUInt16LittleEndian(source[(x * 2)..])
                : BinaryPrimitives.ReadUInt32LittleEndian(source[(x * 4)..]);
            int t = x * outBpp;
            target[t] = Channel(value, header.RedMask);
            target[t + 1] = Channel(value, header.GreenMask);
            target[t + 2] = Channel(value, header.BlueMask);
            if (alpha)
            {
                target[t + 3] = Channel(value, header.AlphaMask);
            }
        }
    }

    /// <summary>
    /// Extracts the bits under <paramref name="mask"/> and scales them to 8 bits: <c>v × 255 / max</c> truncated
    /// for narrower channels (what PIL does for 5-5-5 and 5-6-5), the top 8 bits for wider ones.
    /// </summary>
    private static byte Channel(uint value, uint mask)
    {
        if (mask == 0)
        {
            return 0;
        }

        int shift = BitOperations.TrailingZeroCount(mask);
        uint field = mask >> shift;
        int bits = 32 - BitOperations.LeadingZeroCount(field);
        uint v = (value & mask) >> shift;
        return bits >= 8 ? (byte)(v >> (bits - 8)) : (byte)(v * 255 / field);
    }

    private static void DecodeRle(BmpHeader header, ReadOnlySpan<byte> data, Image image)
    {
        if (header.TopDown)
        {
            throw new ImageFormatException("The BMP file is run-length encoded and top-down, which the format does not allow.");
        }

        bool four = header.Compression == BmpHeader.Rle4;
        bool gray = header.OutputFormat == PixelFormat.Gray8;
        byte[] palette = header.Palette;
        int width = header.Width, height = header.Height;
        int x = 0, row = 0, i = 0;

        // Every pixel starts as index 0; the stream may skip pixels with deltas or end early.
        for (int y = 0; y < height; y++)
        {
            Span<byte> target = image.GetRowBytes(y);
            for (int px = 0; px < width; px++)
            {
                WritePaletteEntry(palette, 0, gray, target, px);
            }
        }

        void Put(Image img, int value)
        {
            if (x < width && row < height)
            {
                WritePaletteEntry(palette, value, gray, img.GetRowBytes(height - 1 - row), x);
            }

            x++;
        }

        while (row < height)
        {
            if (i + 2 > data.Length)
            {
                throw Truncated(header, image, Math.Min(row, height), "the run-length data ends before its end-of-bitmap marker");
            }

            int count = data[i], value = data[i + 1];
            i += 2;
            if (count > 0)
            {
                for (int k = 0; k < count && x < width; k++)
                {
                    Put(image, four ? ((k & 1) == 0 ? value >> 4 : value & 15) : value);
                }

                continue;
            }

            switch (value)
            {
                case 0:
                    x = 0;
                    row++;
                    break;
                case 1:
                    return;
                case 2:
                    if (i + 2 > data.Length)
                    {
                        throw Truncated(header, image, Math.Min(row, height), "the run-length data ends inside a delta");
                    }

                    x += data[i];
                    row += data[i + 1];
                    i += 2;
                    break;
                default:
                    {
                        int bytes = four ? (value + 1) / 2 : value;
                        if (i + bytes > data.Length)
                        {
                            throw Truncated(header, image, Math.Min(row, height), "the run-length data ends inside a literal run");
                        }

                        for (int k = 0; k < value && x < width; k++)
                        {
                            Put(image, four ? ((k & 1) == 0 ? data[i + (k >> 1)] >> 4 : data[i + (k >> 1)] & 15) : data[i + k]);
                        }

                        i += bytes + (bytes & 1);
                        break;
                    }
            }
        }
    }
}
