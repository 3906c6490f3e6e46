using System.Buffers.Binary;
using Colorize.Abstractions;

namespace Colorize.Imaging.Formats.Png;

/// <summary>What the chunks before the pixels say: header fields, palette, transparency, where the IDATs are.</summary>
internal sealed class PngState
{
    public int Width { get; private set; }

    public int Height { get; private set; }

    public int BitDepth { get; private set; }

    public PngColorTypeCode ColorType { get; private set; }

    public bool Interlaced { get; private set; }

    /// <summary>Palette entries as R, G, B, A (alpha 255 unless tRNS says otherwise); 256 entries, unused ones opaque black.</summary>
    public byte[] Palette { get; } = CreateBlackPalette();

    public int PaletteLength { get; private set; }

    /// <summary>Whether a tRNS chunk makes the image carry alpha.</summary>
    public bool HasTransparency { get; private set; }

    /// <summary>The transparent gray or RGB sample values (as stored, at the image's bit depth).</summary>
    public ushort TransparentGray { get; private set; }

    public ushort TransparentRed { get; private set; }

    public ushort TransparentGreen { get; private set; }

    public ushort TransparentBlue { get; private set; }

    public List<(int Offset, int Length)> ImageData { get; } = [];

    /// <summary>Whether the IEND chunk was reached (the file is not cut short).</summary>
    public bool SawEnd { get; set; }

    public int Channels => ColorType switch
    {
        PngColorTypeCode.Gray or PngColorTypeCode.Palette => 1,
        PngColorTypeCode.GrayAlpha => 2,
        PngColorTypeCode.Rgb => 3,
        _ => 4,
    };

    public int BitsPerPixel => Channels * BitDepth;

    public PixelFormat OutputFormat
    {
        get
        {
            bool wide = BitDepth == 16;
            return ColorType switch
            {
                PngColorTypeCode.Gray when HasTransparency => wide ? PixelFormat.Rgba64 : PixelFormat.Rgba32,
                PngColorTypeCode.Gray => wide ? PixelFormat.Gray16 : PixelFormat.Gray8,
                PngColorTypeCode.Rgb when HasTransparency => wide ? PixelFormat.Rgba64 : PixelFormat.Rgba32,
                PngColorTypeCode.Rgb => wide ? PixelFormat.Rgb48 : PixelFormat.Rgb24,
                PngColorTypeCode.Palette => HasTransparency ? PixelFormat.Rgba32 : PixelFormat.Rgb24,
                _ => wide ? PixelFormat.Rgba64 : PixelFormat.Rgba32,
            };
        }
    }

    public void ReadHeader(ReadOnlySpan<byte> body)
    {
        if (body.Length != 13)
        {
            throw new ImageFormatException($"The PNG header (IHDR) is {body.Length} bytes long; it must be 13.");
        }

        uint width = BinaryPrimitives.ReadUInt32BigEndian(body);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
        {
            throw new ImageFormatException($"The PNG header gives an invalid size of {width}x{height} pixels.");
        }

        Width = (int)width;
        Height = (int)height;
        BitDepth = body[8];
        ColorType = (PngColorTypeCode)body[9];
        bool valid = ColorType switch
        {
            PngColorTypeCode.Gray => BitDepth is 1 or 2 or 4 or 8 or 16,
            PngColorTypeCode.Palette => BitDepth is 1 or 2 or 4 or 8,
            PngColorTypeCode.Rgb or PngColorTypeCode.GrayAlpha or PngColorTypeCode.RgbAlpha => BitDepth is 8 or 16,
            _ => false,
        };
        if (!valid)
        {
            throw new ImageFormatException($"The PNG header names colour type {body[9]} with bit depth {body[8]}, which is not a valid combination.");
        }

        if (body[10] != 0 || body[11] != 0)
        {
            throw new ImageFormatException($"The PNG header names compression method {body[10]} and filter method {body[11]}; only 0 exists.");
        }

        if (body[12] > 1)
        {
            throw new ImageFormatException($"The PNG header names interlace method {body[12]}; only 0 (none) and 1 (Adam7) exist.");
        }

        Interlaced = body[12] == 1;
    }

    public void ReadPalette(ReadOnlySpan<byte> body)
    {
        if (body.Length % 3 != 0 || body.Length == 0 || body.Length > 768)
        {
            throw new ImageFormatException($"The PNG palette (PLTE) is {body.Length} bytes long; it must hold 1 to 256 RGB entries.");
        }

        PaletteLength = body.Length / 3;
        for (int i = 0; i < PaletteLength; i++)
        {
            Palette[i * 4] = body[i * 3];
            Palette[(i * 4) + 1] = body[(i * 3) + 1];
            Palette[(i * 4) + 2] = body[(i * 3) + 2];
        }
    }

    public void ReadTransparency(ReadOnlySpan<byte> body)
    {
        switch (ColorType)
        {
            case PngColorTypeCode.Palette:
                // Extra entries beyond the palette are ignored, as libpng does.
                for (int i = 0; i < Math.Min(body.Length, 256); i++)
                {
                    Palette[(i * 4) + 3] = body[i];
                }

                HasTransparency = true;
                break;
            case PngColorTypeCode.Gray when body.Length >= 2:
                TransparentGray = BinaryPrimitives.ReadUInt16BigEndian(body);
                HasTransparency = true;
                break;
            case PngColorTypeCode.Rgb when body.Length >= 6:
                TransparentRed = BinaryPrimitives.ReadUInt16BigEndian(body);
                TransparentGreen = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
                TransparentBlue = BinaryPrimitives.ReadUInt16BigEndian(body[4..]);
                HasTransparency = true;
                break;
            default:
                // tRNS on an image that has alpha already, or too short: meaningless; ignore it like libpng.
                break;
        }
    }

    private static byte[] CreateBlackPalette()
    {
        var palette = new byte[256 * 4];
        for (int i = 3; i < palette.Length; i += 4)
        {
            palette[i] = 255;
        }

        return palette;
    }
}
