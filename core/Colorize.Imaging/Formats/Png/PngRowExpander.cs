using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Colorize.Imaging.Formats.Png;

/// <summary>Turns one unfiltered PNG scanline into a row of the output pixel format.</summary>
internal static class PngRowExpander
{
    public static void Expand(PngState state, ReadOnlySpan<byte> raw, Span<byte> output, int width)
    {
        int depth = state.BitDepth;
        switch (state.ColorType)
        {
            case PngColorTypeCode.Gray when depth == 16:
                if (state.HasTransparency)
                {
                    GrayToRgba64(raw, output, width, state.TransparentGray);
                }
                else
                {
                    BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(raw[..(width * 2)]), MemoryMarshal.Cast<byte, ushort>(output));
                }

                break;
            case PngColorTypeCode.Gray:
                ExpandGray(raw, output, width, depth, state);
                break;
            case PngColorTypeCode.Palette:
                ExpandPalette(raw, output, width, depth, state);
                break;
            case PngColorTypeCode.Rgb when depth == 16:
                if (state.HasTransparency)
                {
                    RgbToRgba64(raw, output, width, state);
                }
                else
                {
                    BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(raw[..(width * 6)]), MemoryMarshal.Cast<byte, ushort>(output));
                }

                break;
            case PngColorTypeCode.Rgb:
                if (state.HasTransparency)
                {
                    RgbToRgba32(raw, output, width, state);
                }
                else
                {
                    raw[..(width * 3)].CopyTo(output);
                }

                break;
            case PngColorTypeCode.GrayAlpha when depth == 16:
                {
                    Span<ushort> o = MemoryMarshal.Cast<byte, ushort>(output);
                    for (int i = 0, j = 0; i < width; i++, j += 4)
                    {
                        ushort g = BinaryPrimitives.ReadUInt16BigEndian(raw[j..]);
                        o[i * 4] = o[(i * 4) + 1] = o[(i * 4) + 2] = g;
                        o[(i * 4) + 3] = BinaryPrimitives.ReadUInt16BigEndian(raw[(j + 2)..]);
                    }

                    break;
                }

            case PngColorTypeCode.GrayAlpha:
                for (int i = 0, j = 0; i < width; i++, j += 2)
                {
                    byte g = raw[j];
                    output[i * 4] = output[(i * 4) + 1] = output[(i * 4) + 2] = g;
                    output[(i * 4) + 3] = raw[j + 1];
                }

                break;
            case PngColorTypeCode.RgbAlpha when depth == 16:
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(raw[..(width * 8)]), MemoryMarshal.Cast<byte, ushort>(output));
                break;
            default:
                raw[..(width * 4)].CopyTo(output);
                break;
        }
    }

    private static void ExpandGray(ReadOnlySpan<byte> raw, Span<byte> output, int width, int depth, PngState state)
    {
        // Low bit depths scale to 0–255 by replicating bits (×255, ×85, ×17), as PIL and libpng do.
        int scale = depth switch { 1 => 255, 2 => 85, 4 => 17, _ => 1 };
        int transparent = state.HasTransparency ? state.TransparentGray : -1;
        for (int x = 0; x < width; x++)
        {
            int sample = Sample(raw, x, depth);
            byte value = (byte)(sample * scale);
            if (state.HasTransparency)
            {
                int o = x * 4;
                output[o] = output[o + 1] = output[o + 2] = value;
                output[o + 3] = sample == transparent ? (byte)0 : (byte)255;
            }
            else
            {
                output[x] = value;
            }
        }
    }

    private static void ExpandPalette(ReadOnlySpan<byte> raw, Span<byte> output, int width, int depth, PngState state)
    {
        byte[] palette = state.Palette;
        int outBpp = state.HasTransparency ? 4 : 3;
        for (int x = 0; x < width; x++)
        {
            int index = depth == 8 ? raw[x] : Sample(raw, x, depth);
            // Indices past the PLTE entries read the opaque black that fills the rest of the table.
            palette.AsSpan(index * 4, outBpp).CopyTo(output[(x * outBpp)..]);
        }
    }

    private static int Sample(ReadOnlySpan<byte> raw, int x, int depth)
    {
        if (depth == 8)
        {
            return raw[x];
        }

        int bit = x * depth;
        int shift = 8 - depth - (bit & 7);
        return (raw[bit >> 3] >> shift) & ((1 << depth) - 1);
    }

    private static void GrayToRgba64(ReadOnlySpan<byte> raw, Span<byte> output, int width, ushort transparent)
    {
        Span<ushort> o = MemoryMarshal.Cast<byte, ushort>(output);
        for (int x = 0; x < width; x++)
        {
            ushort g = BinaryPrimitives.ReadUInt16BigEndian(raw[(x * 2)..]);
            o[x * 4] = o[(x * 4) + 1] = o[(x * 4) + 2] = g;
            o[(x * 4) + 3] = g == transparent ? (ushort)0 : ushort.MaxValue;
        }
    }

    private static void RgbToRgba64(ReadOnlySpan<byte> raw, Span<byte> output, int width, PngState state)
    {
        Span<ushort> o = MemoryMarshal.Cast<byte, ushort>(output);
        for (int x = 0; x < width; x++)
        {
            ushort r = BinaryPrimitives.ReadUInt16BigEndian(raw[(x * 6)..]);
            ushort g = BinaryPrimitives.ReadUInt16BigEndian(raw[((x * 6) + 2)..]);
            ushort b = BinaryPrimitives.ReadUInt16BigEndian(raw[((x * 6) + 4)..]);
            o[x * 4] = r;
            o[(x * 4) + 1] = g;
            o[(x * 4) + 2] = b;
            o[(x * 4) + 3] = r == state.TransparentRed && g == state.TransparentGreen && b == state.TransparentBlue ? (ushort)0 : ushort.MaxValue;
        }
    }

    private static void RgbToRgba32(ReadOnlySpan<byte> raw, Span<byte> output, int width, PngState state)
    {
        for (int x = 0; x < width; x++)
        {
            byte r = raw[x * 3], g = raw[(x * 3) + 1], b = raw[(x * 3) + 2];
            output[x * 4] = r;
            output[(x * 4) + 1] = g;
            output[(x * 4) + 2] = b;
            output[(x * 4) + 3] = r == state.TransparentRed && g == state.TransparentGreen && b == state.TransparentBlue ? (byte)0 : (byte)255;
        }
    }
}
