using System.Buffers.Binary;
using Colorize.Abstractions;

namespace Colorize.Imaging.Formats.Bmp;

/// <summary>The BMP file and DIB headers, masks and palette, validated.</summary>
internal sealed class BmpHeader
{
    public const uint Rgb = 0;
    public const uint Rle8 = 1;
    public const uint Rle4 = 2;
    public const uint BitFields = 3;
    public const uint AlphaBitFields = 6;

    public int Width { get; private init; }

    public int Height { get; private init; }

    public bool TopDown { get; private init; }

    public int BitsPerPixel { get; private init; }

    public uint Compression { get; private init; }

    public uint PixelOffset { get; private init; }

    public uint RedMask { get; private set; }

    public uint GreenMask { get; private set; }

    public uint BlueMask { get; private set; }

    public uint AlphaMask { get; private set; }

    /// <summary>256 entries of R, G, B; entries the file does not define are black.</summary>
    public byte[] Palette { get; } = new byte[256 * 3];

    public PixelFormat OutputFormat { get; private set; }

    public static BmpHeader Read(ReadOnlySpan<byte> data)
    {
        if (data.Length < 26 || data[0] != 'B' || data[1] != 'M')
        {
            throw new ImageFormatException("The data does not start with a BMP header.");
        }

        uint pixelOffset = BinaryPrimitives.ReadUInt32LittleEndian(data[10..]);
        uint dibSize = BinaryPrimitives.ReadUInt32LittleEndian(data[14..]);
        if (dibSize is not (12 or 40 or 52 or 56 or 64 or 108 or 124))
        {
            throw new ImageFormatException($"The BMP info header is {dibSize} bytes long, which no BMP version uses.");
        }

        if (data.Length < 14 + dibSize)
        {
            throw new ImageFormatException("The BMP file is truncated inside its header.");
        }

        ReadOnlySpan<byte> dib = data.Slice(14, (int)dibSize);
        long width, height;
        int bpp;
        uint compression = Rgb;
        uint colorsUsed = 0;
        if (dibSize == 12)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(dib[4..]);
            height = BinaryPrimitives.ReadInt16LittleEndian(dib[6..]);
            bpp = BinaryPrimitives.ReadUInt16LittleEndian(dib[10..]);
        }
        else
        {
            width = BinaryPrimitives.ReadInt32LittleEndian(dib[4..]);
            height = BinaryPrimitives.ReadInt32LittleEndian(dib[8..]);
            bpp = BinaryPrimitives.ReadUInt16LittleEndian(dib[14..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(dib[16..]);
            colorsUsed = BinaryPrimitives.ReadUInt32LittleEndian(dib[32..]);
        }

        bool topDown = height < 0;
        height = Math.Abs(height);
        if (width <= 0 || height <= 0)
        {
            throw new ImageFormatException($"The BMP header gives an invalid size of {width}x{height} pixels.");
        }

        bool supported = (bpp, compression) switch
        {
            (1 or 4 or 8 or 24 or 32, Rgb) => true,
            (16, Rgb) => true,
            (8, Rle8) or (4, Rle4) => true,
            (16 or 32, BitFields or AlphaBitFields) => true,
            _ => false,
        };
        if (!supported)
        {
            throw new ImageFormatException(compression is 4 or 5
                ? "The BMP file embeds a JPEG or PNG stream, which this decoder does not read."
                : $"The BMP file uses {bpp} bits per pixel with compression {compression}, which is not a valid or supported combination.");
        }

        var header = new BmpHeader
        {
            Width = (int)width,
            Height = (int)height,
            TopDown = topDown,
            BitsPerPixel = bpp,
            Compression = compression,
            PixelOffset = pixelOffset,
        };

        int afterHeader = 14 + (int)dibSize;
        if (compression is BitFields or AlphaBitFields)
        {
            ReadOnlySpan<byte> masks;
            if (dibSize >= 52)
            {
                masks = dib[40..];
            }
            else
            {
                int count = compression == AlphaBitFields ? 16 : 12;
                if (data.Length < afterHeader + count)
                {
                    throw new ImageFormatException("The BMP file is truncated inside its colour masks.");
                }

                masks = data.Slice(afterHeader, count);
                afterHeader += count;
            }

            header.RedMask = BinaryPrimitives.ReadUInt32LittleEndian(masks);
            header.GreenMask = BinaryPrimitives.ReadUInt32LittleEndian(masks[4..]);
            header.BlueMask = BinaryPrimitives.ReadUInt32LittleEndian(masks[8..]);
            if (masks.Length >= 16 && (dibSize >= 56 || compression == AlphaBitFields))
            {
                header.AlphaMask = BinaryPrimitives.ReadUInt32LittleEndian(masks[12..]);
            }
        }
        else if (bpp == 16)
        {
            (header.RedMask, header.GreenMask, header.BlueMask) = (0x7C00, 0x03E0, 0x001F);
        }

        if (bpp <= 8)
        {
            int entrySize = dibSize == 12 ? 3 : 4;
            long entries = colorsUsed == 0 || colorsUsed > (1u << bpp) ? 1L << bpp : colorsUsed;
            entries = Math.Min(entries, Math.Max(0, (data.Length - afterHeader) / entrySize));
            bool gray = true;
            for (int i = 0; i < entries; i++)
            {
                ReadOnlySpan<byte> e = data.Slice(afterHeader + (i * entrySize), 3);
                header.Palette[i * 3] = e[2];
                header.Palette[(i * 3) + 1] = e[1];
                header.Palette[(i * 3) + 2] = e[0];
                gray &= e[0] == e[1] && e[1] == e[2];
            }

            header.OutputFormat = gray ? PixelFormat.Gray8 : PixelFormat.Rgb24;
        }
        else
        {
            header.OutputFormat = header.AlphaMask != 0 ? PixelFormat.Rgba32 : PixelFormat.Rgb24;
        }

        return header;
    }
}
