using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
    /// <remarks>
    /// Filtering has no dependency between bytes (each reads the unfiltered row), so every filter runs a vector at a
    /// time after its first pixel; this was most of an adaptive encode's time when it tried all five one byte at a time.
    /// </remarks>
    public static void Filter(PngFilterType filter, ReadOnlySpan<byte> raw, ReadOnlySpan<byte> previous, int bpp, Span<byte> output)
    {
        switch (filter)
        {
            case PngFilterType.None:
                raw.CopyTo(output);
                break;
            case PngFilterType.Sub:
                raw[..Math.Min(bpp, raw.Length)].CopyTo(output);
                FilterSub(raw, bpp, output);
                break;
            case PngFilterType.Up:
                FilterUp(raw, previous, output);
                break;
            case PngFilterType.Average:
                for (int i = 0; i < bpp && i < raw.Length; i++)
                {
                    output[i] = (byte)(raw[i] - (previous[i] >> 1));
                }

                FilterAverage(raw, previous, bpp, output);
                break;
            case PngFilterType.Paeth:
                for (int i = 0; i < bpp && i < raw.Length; i++)
                {
                    output[i] = (byte)(raw[i] - previous[i]);
                }

                FilterPaeth(raw, previous, bpp, output);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unknown filter.");
        }
    }

    private static void FilterSub(ReadOnlySpan<byte> raw, int bpp, Span<byte> output)
    {
        int i = bpp;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= raw.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                (new Vector<byte>(raw[i..]) - new Vector<byte>(raw[(i - bpp)..])).CopyTo(output[i..]);
            }
        }

        for (; i < raw.Length; i++)
        {
            output[i] = (byte)(raw[i] - raw[i - bpp]);
        }
    }

    private static void FilterUp(ReadOnlySpan<byte> raw, ReadOnlySpan<byte> previous, Span<byte> output)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= raw.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                (new Vector<byte>(raw[i..]) - new Vector<byte>(previous[i..])).CopyTo(output[i..]);
            }
        }

        for (; i < raw.Length; i++)
        {
            output[i] = (byte)(raw[i] - previous[i]);
        }
    }

    private static void FilterAverage(ReadOnlySpan<byte> raw, ReadOnlySpan<byte> previous, int bpp, Span<byte> output)
    {
        int i = bpp;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= raw.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                var a = new Vector<byte>(raw[(i - bpp)..]);
                var b = new Vector<byte>(previous[i..]);
                // floor((a + b) / 2) without leaving 8 bits.
                var mean = (a & b) + Vector.ShiftRightLogical(a ^ b, 1);
                (new Vector<byte>(raw[i..]) - mean).CopyTo(output[i..]);
            }
        }

        for (; i < raw.Length; i++)
        {
            output[i] = (byte)(raw[i] - ((raw[i - bpp] + previous[i]) >> 1));
        }
    }

    private static void FilterPaeth(ReadOnlySpan<byte> raw, ReadOnlySpan<byte> previous, int bpp, Span<byte> output)
    {
        int i = bpp;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= raw.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                Vector.Widen(new Vector<byte>(raw[(i - bpp)..]), out Vector<ushort> a0, out Vector<ushort> a1);
                Vector.Widen(new Vector<byte>(previous[i..]), out Vector<ushort> b0, out Vector<ushort> b1);
                Vector.Widen(new Vector<byte>(previous[(i - bpp)..]), out Vector<ushort> c0, out Vector<ushort> c1);
                var predictor = Vector.Narrow(
                    PaethPredictor(Vector.AsVectorInt16(a0), Vector.AsVectorInt16(b0), Vector.AsVectorInt16(c0)),
                    PaethPredictor(Vector.AsVectorInt16(a1), Vector.AsVectorInt16(b1), Vector.AsVectorInt16(c1)));
                (new Vector<byte>(raw[i..]) - predictor).CopyTo(output[i..]);
            }
        }

        for (; i < raw.Length; i++)
        {
            output[i] = (byte)(raw[i] - Paeth(raw[i - bpp], previous[i], previous[i - bpp]));
        }
    }

    /// <summary><see cref="Paeth"/> on 16-bit lanes holding bytes: the same comparisons in the same order.</summary>
    private static Vector<ushort> PaethPredictor(Vector<short> a, Vector<short> b, Vector<short> c)
    {
        Vector<short> pa = Vector.Abs(b - c);
        Vector<short> pb = Vector.Abs(a - c);
        Vector<short> pc = Vector.Abs(a + b - c - c);
        Vector<short> useA = Vector.LessThanOrEqual(pa, pb) & Vector.LessThanOrEqual(pa, pc);
        Vector<short> useB = Vector.LessThanOrEqual(pb, pc);
        return Vector.AsVectorUInt16(Vector.ConditionalSelect(useA, a, Vector.ConditionalSelect(useB, b, c)));
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

        if (bpp == 1)
        {
            UnfilterPaethOneByte(row, previous);
        }
        else if (bpp is 3 or 4 && Vector128.IsHardwareAccelerated && row.Length >= 2 * bpp + 4)
        {
            UnfilterPaethVector(row, previous, bpp);
        }
        else
        {
            UnfilterPaethScalar(row, previous, bpp, bpp);
        }
    }

    /// <summary>Gray 8-bit and palette rows: the left and upper-left values stay in registers between bytes.</summary>
    private static void UnfilterPaethOneByte(Span<byte> row, ReadOnlySpan<byte> previous)
    {
        ref byte r = ref MemoryMarshal.GetReference(row);
        ref byte p = ref MemoryMarshal.GetReference(previous);
        int a = r, c = p;
        for (int i = 1; i < row.Length; i++)
        {
            int b = Unsafe.Add(ref p, i);
            // Branch-free: on noisy photos the predictor choice is random and branches mispredict half the time.
            // (v >> 31) is -1 for negative v, 0 otherwise; masks select between candidates.
            int pa = Abs(b - c);
            int pb = Abs(a - c);
            int pc = Abs(a + b - c - c);
            int pickC = (pc - pb) >> 31;                 // pc < pb
            int nearerOfBc = (b & ~pickC) | (c & pickC);
            int minBc = pb + ((pc - pb) & pickC);
            int pickBc = (minBc - pa) >> 31;             // min(pb, pc) < pa
            int predictor = (a & ~pickBc) | (nearerOfBc & pickBc);
            a = (Unsafe.Add(ref r, i) + predictor) & 0xFF;
            Unsafe.Add(ref r, i) = (byte)a;
            c = b;
        }
    }

    /// <summary>RGB and RGBA rows: one whole pixel per step, channels side by side in 16-bit lanes.</summary>
    private static void UnfilterPaethVector(Span<byte> row, ReadOnlySpan<byte> previous, int bpp)
    {
        ref byte r = ref MemoryMarshal.GetReference(row);
        ref byte p = ref MemoryMarshal.GetReference(previous);
        Vector128<short> a = Load4(ref r, 0);
        Vector128<short> c = Load4(ref p, 0);
        // Each step reads 4 bytes; for 3-byte pixels the last pixel is left to the scalar tail so no read runs past the row.
        int end = row.Length - 4;
        int i = bpp;
        for (; i <= end; i += bpp)
        {
            Vector128<short> b = Load4(ref p, i);
            Vector128<short> x = Load4(ref r, i);
            Vector128<short> pa = Vector128.Abs(b - c);
            Vector128<short> pb = Vector128.Abs(a - c);
            Vector128<short> pc = Vector128.Abs(a + b - c - c);
            Vector128<short> useA = Vector128.LessThanOrEqual(pa, pb) & Vector128.LessThanOrEqual(pa, pc);
            Vector128<short> useB = Vector128.LessThanOrEqual(pb, pc);
            Vector128<short> predictor = Vector128.ConditionalSelect(useA, a, Vector128.ConditionalSelect(useB, b, c));
            a = (x + predictor) & Vector128.Create((short)0xFF);
            uint packed = Vector128.Narrow(a, a).AsUInt32().ToScalar();
            if (bpp == 4)
            {
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref r, i), packed);
            }
            else
            {
                Unsafe.Add(ref r, i) = (byte)packed;
                Unsafe.Add(ref r, i + 1) = (byte)(packed >> 8);
                Unsafe.Add(ref r, i + 2) = (byte)(packed >> 16);
            }

            c = b;
        }

        UnfilterPaethScalar(row, previous, bpp, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Abs(int value)
    {
        int sign = value >> 31;
        return (value ^ sign) - sign;
    }

    private static Vector128<short> Load4(ref byte source, int offset)
    {
        uint bytes = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref source, offset));
        return Vector128.WidenLower(Vector128.CreateScalarUnsafe(bytes).AsByte()).AsInt16();
    }

    private static void UnfilterPaethScalar(Span<byte> row, ReadOnlySpan<byte> previous, int bpp, int start)
    {
        for (int i = start; i < row.Length; i++)
        {
            row[i] += Paeth(row[i - bpp], previous[i], previous[i - bpp]);
        }
    }
}
