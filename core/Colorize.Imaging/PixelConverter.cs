using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Colorize.Abstractions;

namespace Colorize.Imaging;

/// <summary>
/// Row-by-row pixel format conversion (rules documented on <see cref="Image.CopyTo"/>). A few frequent pairs
/// have direct loops; everything else goes through an RGBA intermediate row: <see cref="Rgba32"/> when both
/// sides are 8-bit, so 8-bit results are exactly what an 8-bit pipeline gives, and <see cref="Rgba64"/> when
/// either side is 16-bit, so no precision is lost before the final rounding.
/// </summary>
internal static class PixelConverter
{
    public static void Convert(PixelBuffer source, PixelBuffer destination)
    {
        PixelFormat from = source.Format;
        PixelFormat to = destination.Format;
        int height = source.Height;
        if (from == to)
        {
            for (int y = 0; y < height; y++)
            {
                source.GetRow(y).CopyTo(destination.GetRow(y));
            }

            return;
        }

        byte[] scratch = ArrayPool<byte>.Shared.Rent(source.Width * 8);
        try
        {
            for (int y = 0; y < height; y++)
            {
                ConvertRow(from, source.GetRow(y), to, destination.GetRow(y), scratch);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Converts one row; <paramref name="scratch"/> must hold 8 bytes per pixel.</summary>
    public static void ConvertRow(PixelFormat from, ReadOnlySpan<byte> source, PixelFormat to, Span<byte> destination, Span<byte> scratch)
    {
        int width = source.Length / from.BytesPerPixel();
        if (from == to)
        {
            source.CopyTo(destination);
            return;
        }

        if ((from, to) is (PixelFormat.Rgba32, PixelFormat.Bgra32) or (PixelFormat.Bgra32, PixelFormat.Rgba32))
        {
            SwapRedBlue(MemoryMarshal.Cast<byte, uint>(source), MemoryMarshal.Cast<byte, uint>(destination));
            return;
        }

        if (from.BytesPerChannel() == 1 && to.BytesPerChannel() == 1)
        {
            Span<Rgba32> mid = MemoryMarshal.Cast<byte, Rgba32>(scratch)[..width];
            ToRgba32(from, source, mid);
            FromRgba32(mid, to, destination);
        }
        else
        {
            Span<Rgba64> mid = MemoryMarshal.Cast<byte, Rgba64>(scratch)[..width];
            ToRgba64(from, source, mid);
            FromRgba64(mid, to, destination);
        }
    }

    /// <summary>16 → 8 bits, rounded to nearest: the 8-bit value whose ×257 expansion is closest.</summary>
    public static byte To8(ushort value) => (byte)((value * 255u + 32767u) / 65535u);

    /// <summary>8 → 16 bits: 0 → 0, 255 → 65535, exact inverse of <see cref="To8"/>.</summary>
    public static ushort To16(byte value) => (ushort)(value * 257);

    private static byte Luma8(byte r, byte g, byte b) => (byte)((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16);

    private static ushort Luma16(ushort r, ushort g, ushort b) => (ushort)((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16);

    private static void SwapRedBlue(ReadOnlySpan<uint> source, Span<uint> destination)
    {
        // Little-endian view of R,G,B,A bytes is 0xAABBGGRR: swapping bytes 0 and 2 turns RGBA into BGRA and back.
        if (!BitConverter.IsLittleEndian)
        {
            for (int i = 0; i < source.Length; i++)
            {
                uint v = BinaryPrimitives.ReverseEndianness(source[i]);
                v = (v & 0xFF00FF00u) | ((v >> 16) & 0xFFu) | ((v & 0xFFu) << 16);
                destination[i] = BinaryPrimitives.ReverseEndianness(v);
            }

            return;
        }

        for (int i = 0; i < source.Length; i++)
        {
            uint v = source[i];
            destination[i] = (v & 0xFF00FF00u) | ((v >> 16) & 0xFFu) | ((v & 0xFFu) << 16);
        }
    }

    private static void ToRgba32(PixelFormat from, ReadOnlySpan<byte> s, Span<Rgba32> d)
    {
        switch (from)
        {
            case PixelFormat.Gray8:
                for (int i = 0; i < d.Length; i++)
                {
                    byte v = s[i];
                    d[i] = new Rgba32(v, v, v, 255);
                }

                break;
            case PixelFormat.Rgb24:
                for (int i = 0, j = 0; i < d.Length; i++, j += 3)
                {
                    d[i] = new Rgba32(s[j], s[j + 1], s[j + 2], 255);
                }

                break;
            case PixelFormat.Rgba32:
                MemoryMarshal.Cast<byte, Rgba32>(s)[..d.Length].CopyTo(d);
                break;
            case PixelFormat.Bgra32:
                for (int i = 0, j = 0; i < d.Length; i++, j += 4)
                {
                    d[i] = new Rgba32(s[j + 2], s[j + 1], s[j], s[j + 3]);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(from), from, "Not an 8-bit format.");
        }
    }

    private static void FromRgba32(ReadOnlySpan<Rgba32> s, PixelFormat to, Span<byte> d)
    {
        switch (to)
        {
            case PixelFormat.Gray8:
                for (int i = 0; i < s.Length; i++)
                {
                    Rgba32 p = s[i];
                    d[i] = Luma8(p.R, p.G, p.B);
                }

                break;
            case PixelFormat.Rgb24:
                for (int i = 0, j = 0; i < s.Length; i++, j += 3)
                {
                    Rgba32 p = s[i];
                    d[j] = p.R;
                    d[j + 1] = p.G;
                    d[j + 2] = p.B;
                }

                break;
            case PixelFormat.Rgba32:
                s.CopyTo(MemoryMarshal.Cast<byte, Rgba32>(d));
                break;
            case PixelFormat.Bgra32:
                for (int i = 0, j = 0; i < s.Length; i++, j += 4)
                {
                    Rgba32 p = s[i];
                    d[j] = p.B;
                    d[j + 1] = p.G;
                    d[j + 2] = p.R;
                    d[j + 3] = p.A;
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(to), to, "Not an 8-bit format.");
        }
    }

    private static void ToRgba64(PixelFormat from, ReadOnlySpan<byte> s, Span<Rgba64> d)
    {
        switch (from)
        {
            case PixelFormat.Gray8:
                for (int i = 0; i < d.Length; i++)
                {
                    ushort v = To16(s[i]);
                    d[i] = new Rgba64(v, v, v, 65535);
                }

                break;
            case PixelFormat.Rgb24:
                for (int i = 0, j = 0; i < d.Length; i++, j += 3)
                {
                    d[i] = new Rgba64(To16(s[j]), To16(s[j + 1]), To16(s[j + 2]), 65535);
                }

                break;
            case PixelFormat.Rgba32:
                for (int i = 0, j = 0; i < d.Length; i++, j += 4)
                {
                    d[i] = new Rgba64(To16(s[j]), To16(s[j + 1]), To16(s[j + 2]), To16(s[j + 3]));
                }

                break;
            case PixelFormat.Bgra32:
                for (int i = 0, j = 0; i < d.Length; i++, j += 4)
                {
                    d[i] = new Rgba64(To16(s[j + 2]), To16(s[j + 1]), To16(s[j]), To16(s[j + 3]));
                }

                break;
            case PixelFormat.Gray16:
                {
                    ReadOnlySpan<ushort> g = MemoryMarshal.Cast<byte, ushort>(s);
                    for (int i = 0; i < d.Length; i++)
                    {
                        ushort v = g[i];
                        d[i] = new Rgba64(v, v, v, 65535);
                    }

                    break;
                }

            case PixelFormat.Rgb48:
                {
                    ReadOnlySpan<Rgb48> rgb = MemoryMarshal.Cast<byte, Rgb48>(s);
                    for (int i = 0; i < d.Length; i++)
                    {
                        Rgb48 p = rgb[i];
                        d[i] = new Rgba64(p.R, p.G, p.B, 65535);
                    }

                    break;
                }

            case PixelFormat.Rgba64:
                MemoryMarshal.Cast<byte, Rgba64>(s)[..d.Length].CopyTo(d);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(from), from, "Undefined pixel format.");
        }
    }

    private static void FromRgba64(ReadOnlySpan<Rgba64> s, PixelFormat to, Span<byte> d)
    {
        switch (to)
        {
            case PixelFormat.Gray8:
                for (int i = 0; i < s.Length; i++)
                {
                    Rgba64 p = s[i];
                    d[i] = To8(Luma16(p.R, p.G, p.B));
                }

                break;
            case PixelFormat.Rgb24:
                for (int i = 0, j = 0; i < s.Length; i++, j += 3)
                {
                    Rgba64 p = s[i];
                    d[j] = To8(p.R);
                    d[j + 1] = To8(p.G);
                    d[j + 2] = To8(p.B);
                }

                break;
            case PixelFormat.Rgba32:
                for (int i = 0, j = 0; i < s.Length; i++, j += 4)
                {
                    Rgba64 p = s[i];
                    d[j] = To8(p.R);
                    d[j + 1] = To8(p.G);
                    d[j + 2] = To8(p.B);
                    d[j + 3] = To8(p.A);
                }

                break;
            case PixelFormat.Bgra32:
                for (int i = 0, j = 0; i < s.Length; i++, j += 4)
                {
                    Rgba64 p = s[i];
                    d[j] = To8(p.B);
                    d[j + 1] = To8(p.G);
                    d[j + 2] = To8(p.R);
                    d[j + 3] = To8(p.A);
                }

                break;
            case PixelFormat.Gray16:
                {
                    Span<ushort> g = MemoryMarshal.Cast<byte, ushort>(d);
                    for (int i = 0; i < s.Length; i++)
                    {
                        Rgba64 p = s[i];
                        g[i] = Luma16(p.R, p.G, p.B);
                    }

                    break;
                }

            case PixelFormat.Rgb48:
                {
                    Span<Rgb48> rgb = MemoryMarshal.Cast<byte, Rgb48>(d);
                    for (int i = 0; i < s.Length; i++)
                    {
                        Rgba64 p = s[i];
                        rgb[i] = new Rgb48(p.R, p.G, p.B);
                    }

                    break;
                }

            case PixelFormat.Rgba64:
                s.CopyTo(MemoryMarshal.Cast<byte, Rgba64>(d));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(to), to, "Undefined pixel format.");
        }
    }
}
