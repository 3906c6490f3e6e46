using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Colorize.Imaging.Formats.Png;

/// <summary>
/// PNG scanline filters and their inverses (spec section 9). <c>bpp</c> is the filter unit: bytes per complete
/// pixel, at least 1. A missing previous row (first row of an image or pass) is all zeros.
/// </summary>
internal static class PngFilters
{
    /// <summary>Undoes <paramref name="filter"/> on <paramref name="row"/> in place.</summary>
    /// <exception cref="ImageFormatException">The filter type is not 0–4.</exception>
    public static void Unfilter(byte filter, Span<byte> row, ReadOnlySpan<byte> previous, int bpp)
    {
        switch ((PngFilterType)filter)
        {
            case PngFilterType.None:
                break;
            case PngFilterType.Sub:
                for (int i = bpp; i < row.Length; i++)
                {
                    row[i] += row[i - bpp];
                }

                break;
            case PngFilterType.Up:
                AddUp(row, previous);
                break;
            case PngFilterType.Average:
                for (int i = 0; i < bpp; i++)
                {
                    row[i] += (byte)(previous[i] >> 1);
                }

                for (int i = bpp; i < row.Length; i++)
                {
                    row[i] += (byte)((row[i - bpp] + previous[i]) >> 1);
                }

                break;
            case PngFilterType.Paeth:
                UnfilterPaeth(row, previous, bpp);
                break;
            default:
                throw new ImageFormatException($"The PNG image data uses scanline filter type {filter}; only types 0 to 4 exist.");
        }
    }

    /// <summary>Applies <paramref name="filter"/> to <paramref name="raw"/>, writing the filtered bytes to <paramref name="output"/>.</summary>
    public static void Filter(PngFilterType filter, ReadOnlySpan<byte> raw, ReadOnlySpan<byte> previous, int bpp, Span<byte> output)
    {
        switch (filter)
        {
            case PngFilterType.None:
                raw.CopyTo(output);
                break;
            case PngFilterType.Sub:
                raw[..bpp].CopyTo(output);
                for (int i = bpp; i < raw.Length; i++)
                {
                    output[i] = (byte)(raw[i] - raw[i - bpp]);
                }

                break;
            case PngFilterType.Up:
                for (int i = 0; i < raw.Length; i++)
                {
                    output[i] = (byte)(raw[i] - previous[i]);
                }

                break;
            case PngFilterType.Average:
                for (int i = 0; i < bpp; i++)
                {
                    output[i] = (byte)(raw[i] - (previous[i] >> 1));
                }

                for (int i = bpp; i < raw.Length; i++)
                {
                    output[i] = (byte)(raw[i] - ((raw[i - bpp] + previous[i]) >> 1));
                }

                break;
            case PngFilterType.Paeth:
                for (int i = 0; i < bpp; i++)
                {
                    output[i] = (byte)(raw[i] - previous[i]);
                }

                for (int i = bpp; i < raw.Length; i++)
                {
                    output[i] = (byte)(raw[i] - Paeth(raw[i - bpp], previous[i], previous[i - bpp]));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unknown filter.");
        }
    }

    /// <summary>The usual adaptive heuristic's cost: the sum of the filtered bytes read as signed values, in absolute value.</summary>
    public static long SumOfAbsolute(ReadOnlySpan<byte> filtered)
    {
        long sum = 0;
        ReadOnlySpan<sbyte> signed = MemoryMarshal.Cast<byte, sbyte>(filtered);
        int i = 0;
        if (Vector.IsHardwareAccelerated && signed.Length >= Vector<sbyte>.Count)
        {
            var accumulator = Vector<int>.Zero;
            for (; i <= signed.Length - Vector<sbyte>.Count; i += Vector<sbyte>.Count)
            {
                Vector<sbyte> v = Vector.Abs(new Vector<sbyte>(signed[i..]));
                // |-128| wraps to -128 as sbyte; widening as bytes keeps it at 128, which is right.
                Vector.Widen(Vector.AsVectorByte(v), out Vector<ushort> low, out Vector<ushort> high);
                Vector.Widen(low + high, out Vector<uint> a, out Vector<uint> b);
                accumulator += Vector.AsVectorInt32(a + b);
            }

            sum = Vector.Sum(accumulator);
        }

        for (; i < signed.Length; i++)
        {
            sum += Math.Abs((int)signed[i]);
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Paeth(byte left, byte above, byte upperLeft)
    {
        int p = left + above - upperLeft;
        int pa = Math.Abs(p - left);
        int pb = Math.Abs(p - above);
        int pc = Math.Abs(p - upperLeft);
        if (pa <= pb && pa <= pc)
        {
            return left;
        }

        return pb <= pc ? above : upperLeft;
    }

    private static void AddUp(Span<byte> row, ReadOnlySpan<byte> previous)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= row.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                (new Vector<byte>(row[i..]) + new Vector<byte>(previous[i..])).CopyTo(row[i..]);
            }
        }

        for (; i < row.Length; i++)
        {
            row[i] += previous[i];
        }
    }

    private static void UnfilterPaeth(Span<byte> row, ReadOnlySpan<byte> previous, int bpp)
    {
        for (int i = 0; i < bpp; i++)
        {
            row[i] += previous[i];
        }

        // Branch-light Paeth: the predictor's choice depends only on the three neighbours.
        ref byte r = ref MemoryMarshal.GetReference(row);
        ref byte p = ref MemoryMarshal.GetReference(previous);
        for (int i = bpp; i < row.Length; i++)
        {
            int a = Unsafe.Add(ref r, i - bpp);
            int b = Unsafe.Add(ref p, i);
            int c = Unsafe.Add(ref p, i - bpp);
            int pa = Math.Abs(b - c);
            int pb = Math.Abs(a - c);
            int pc = Math.Abs(a + b - c - c);
            int predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            Unsafe.Add(ref r, i) += (byte)predictor;
        }
    }
}
