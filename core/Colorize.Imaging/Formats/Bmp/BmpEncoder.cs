using System.Buffers.Binary;
using Colorize.Abstractions;

namespace Colorize.Imaging.Formats.Bmp;

/// <summary>
/// Encodes BMP, bottom-up and uncompressed: gray images as 8-bit with a gray palette, colour as 24-bit, and
/// images with alpha as 32-bit with a BITMAPV4HEADER and an alpha mask (what PIL, browsers and Windows read as
/// transparency). 16-bit images are rounded to 8 bits.
/// </summary>
public sealed class BmpEncoder : IImageEncoder
{
    /// <summary>Whether to keep alpha (32-bit) when the image has it. Default true; false writes 24-bit.</summary>
    public bool KeepAlpha { get; init; } = true;

    /// <inheritdoc/>
    public ImageFormat Format => ImageFormat.Bmp;

    /// <inheritdoc/>
    public void Encode(Image image, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(stream);
        PixelFormat source = image.PixelFormat;
        (PixelFormat work, int bpp) = source.IsGray() ? (PixelFormat.Gray8, 8)
            : source.HasAlpha() && KeepAlpha ? (PixelFormat.Bgra32, 32)
            : (PixelFormat.Rgb24, 24);
        int headerSize = bpp == 32 ? 108 : 40;
        int paletteBytes = bpp == 8 ? 1024 : 0;
        long stride = (((long)image.Width * bpp) + 31) / 32 * 4;
        long pixelBytes = stride * image.Height;
        long offset = 14 + headerSize + paletteBytes;
        if (offset + pixelBytes > uint.MaxValue)
        {
            throw new ImageFormatException($"A {image.Width}x{image.Height} image is too large for a BMP file (4 GiB at most).");
        }

        byte[] head = new byte[offset];
        head[0] = (byte)'B';
        head[1] = (byte)'M';
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(2), (uint)(offset + pixelBytes));
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(10), (uint)offset);
        Span<byte> dib = head.AsSpan(14, headerSize);
        BinaryPrimitives.WriteInt32LittleEndian(dib, headerSize);
        BinaryPrimitives.WriteInt32LittleEndian(dib[4..], image.Width);
        BinaryPrimitives.WriteInt32LittleEndian(dib[8..], image.Height);
        BinaryPrimitives.WriteUInt16LittleEndian(dib[12..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(dib[14..], (ushort)bpp);
        BinaryPrimitives.WriteUInt32LittleEndian(dib[16..], bpp == 32 ? 3u : 0u);
        BinaryPrimitives.WriteUInt32LittleEndian(dib[20..], (uint)pixelBytes);
        BinaryPrimitives.WriteInt32LittleEndian(dib[24..], 2835); // 72 dpi
        BinaryPrimitives.WriteInt32LittleEndian(dib[28..], 2835);
        BinaryPrimitives.WriteUInt32LittleEndian(dib[32..], bpp == 8 ? 256u : 0u);
        if (bpp == 32)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(dib[40..], 0x00FF0000);
            BinaryPrimitives.WriteUInt32LittleEndian(dib[44..], 0x0000FF00);
            BinaryPrimitives.WriteUInt32LittleEndian(dib[48..], 0x000000FF);
            BinaryPrimitives.WriteUInt32LittleEndian(dib[52..], 0xFF000000);
            BinaryPrimitives.WriteUInt32LittleEndian(dib[56..], 0x73524742); // "sRGB"
        }

        for (int i = 0; i < paletteBytes / 4; i++)
        {
            head[14 + headerSize + (i * 4)] = head[14 + headerSize + (i * 4) + 1] = head[14 + headerSize + (i * 4) + 2] = (byte)i;
        }

        stream.Write(head);
        byte[] row = new byte[stride];
        byte[] scratch = new byte[image.Width * 8];
        for (int y = image.Height - 1; y >= 0; y--)
        {
            PixelConverter.ConvertRow(source, image.GetRowBytes(y), work, row, scratch);
            if (bpp == 24)
            {
                // Rgb24 → the file's B, G, R order.
                for (int x = 0; x < image.Width; x++)
                {
                    (row[x * 3], row[(x * 3) + 2]) = (row[(x * 3) + 2], row[x * 3]);
                }
            }

            stream.Write(row);
        }
    }
}
