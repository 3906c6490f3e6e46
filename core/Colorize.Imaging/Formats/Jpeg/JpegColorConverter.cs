using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>
/// Converts rows of component samples to interleaved RGB with libjpeg's fixed-point arithmetic (jdcolor.c:
/// 16 fractional bits, the same rounded constants and tables), so results are bit-identical to djpeg.
/// CMYK is turned into RGB the way djpeg's PPM writer does (Adobe's inverted CMYK: R = C·K/255, rounded).
/// </summary>
internal static class JpegColorConverter
{
    private const int ScaleBits = 16;
    private const int OneHalf = 1 << (ScaleBits - 1);

    /// <summary>FIX(1.40200): Cr's contribution to R.</summary>
    public const int CrToR = 91881;

    /// <summary>FIX(1.77200): Cb's contribution to B.</summary>
    public const int CbToB = 116130;

    /// <summary>FIX(0.71414): Cr's contribution to G (subtracted).</summary>
    public const int CrToG = 46802;

    /// <summary>FIX(0.34414): Cb's contribution to G (subtracted).</summary>
    public const int CbToG = 22554;

    private static readonly int[] RedFromCr = BuildTable(x => (CrToR * x + OneHalf) >> ScaleBits);
    private static readonly int[] BlueFromCb = BuildTable(x => (CbToB * x + OneHalf) >> ScaleBits);
    private static readonly int[] GreenFromCr = BuildTable(x => -CrToG * x);
    private static readonly int[] GreenFromCb = BuildTable(x => (-CbToG * x) + OneHalf);

    private static int[] BuildTable(Func<int, int> entry)
    {
        var table = new int[256];
        for (int i = 0; i < 256; i++)
        {
            table[i] = entry(i - 128);
        }

        return table;
    }

    /// <summary>pshufb masks that interleave 16 R, 16 G and 16 B bytes into 48 bytes of RGB: [output chunk × 3 + channel].</summary>
    private static readonly Vector128<byte>[] InterleaveMasks = BuildInterleaveMasks();

    private static Vector128<byte>[] BuildInterleaveMasks()
    {
        var masks = new Vector128<byte>[9];
        Span<byte> mask = stackalloc byte[16];
        for (int chunk = 0; chunk < 3; chunk++)
        {
            for (int channel = 0; channel < 3; channel++)
            {
                for (int p = 0; p < 16; p++)
                {
                    int j = (16 * chunk) + p;
                    mask[p] = j % 3 == channel ? (byte)(j / 3) : (byte)0x80;
                }

                masks[(chunk * 3) + channel] = Vector128.Create((ReadOnlySpan<byte>)mask);
            }
        }

        return masks;
    }

    /// <summary>ycc_rgb_convert.</summary>
    public static void YCbCrToRgb(ReadOnlySpan<byte> y, ReadOnlySpan<byte> cb, ReadOnlySpan<byte> cr, Span<byte> rgb, int width)
    {
        y = y[..width];
        cb = cb[..width];
        cr = cr[..width];
        rgb = rgb[..(3 * width)];
        int start = 0;
        if (Avx2.IsSupported)
        {
            start = YCbCrToRgbAvx2(
                ref MemoryMarshal.GetReference(y), ref MemoryMarshal.GetReference(cb), ref MemoryMarshal.GetReference(cr),
                ref MemoryMarshal.GetReference(rgb), width);
        }

        int[] redFromCr = RedFromCr;
        int[] blueFromCb = BlueFromCb;
        int[] greenFromCr = GreenFromCr;
        int[] greenFromCb = GreenFromCb;
        for (int i = start; i < y.Length; i++)
        {
            int luma = y[i];
            int blue = cb[i];
            int red = cr[i];
            rgb[3 * i] = ClampToByte(luma + redFromCr[red]);
            rgb[(3 * i) + 1] = ClampToByte(luma + ((greenFromCb[blue] + greenFromCr[red]) >> ScaleBits));
            rgb[(3 * i) + 2] = ClampToByte(luma + blueFromCb[blue]);
        }
    }

    /// <summary>
    /// The same results as the tables, 32 pixels at a time in 16-bit lanes. Cr's 1.402 and Cb's 1.772 are split
    /// as libjpeg-turbo's SIMD code splits them (x + 0.402·x, 2x − 0.228·x, the fractions by pmulhw on doubled
    /// inputs with a rounding step); an exhaustive check over all 256 inputs shows this equals the tables'
    /// (FIX(k)·x + ONE_HALF) >> 16 exactly. G uses pmaddwd on (Cb, Cr) pairs in 32 bits: −0.34414·Cb +
    /// 0.28586·Cr − Cr, exact because 0.71414 = 1 − 0.28586 in the fixed-point constants too. Returns how many
    /// pixels it converted (a multiple of 32).
    /// </summary>
    private static int YCbCrToRgbAvx2(ref byte y, ref byte cb, ref byte cr, ref byte rgb, int width)
    {
        Vector128<byte>[] masks = InterleaveMasks;
        Vector128<byte> m00 = masks[0], m01 = masks[1], m02 = masks[2];
        Vector128<byte> m10 = masks[3], m11 = masks[4], m12 = masks[5];
        Vector128<byte> m20 = masks[6], m21 = masks[7], m22 = masks[8];
        int i = 0;
        for (; i + 32 <= width; i += 32)
        {
            Convert16(ref y, ref cb, ref cr, i, out Vector256<short> r0, out Vector256<short> g0, out Vector256<short> b0);
            Convert16(ref y, ref cb, ref cr, i + 16, out Vector256<short> r1, out Vector256<short> g1, out Vector256<short> b1);
            Vector256<byte> red = PackToBytes(r0, r1);
            Vector256<byte> green = PackToBytes(g0, g1);
            Vector256<byte> blue = PackToBytes(b0, b1);
            ref byte destination = ref Unsafe.Add(ref rgb, 3 * i);
            Interleave(red.GetLower(), green.GetLower(), blue.GetLower(), ref destination, m00, m01, m02, m10, m11, m12, m20, m21, m22);
            Interleave(red.GetUpper(), green.GetUpper(), blue.GetUpper(), ref Unsafe.Add(ref destination, 48), m00, m01, m02, m10, m11, m12, m20, m21, m22);
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(
        Vector128<byte> red, Vector128<byte> green, Vector128<byte> blue, ref byte destination,
        Vector128<byte> m00, Vector128<byte> m01, Vector128<byte> m02,
        Vector128<byte> m10, Vector128<byte> m11, Vector128<byte> m12,
        Vector128<byte> m20, Vector128<byte> m21, Vector128<byte> m22)
    {
        (Ssse3.Shuffle(red, m00) | Ssse3.Shuffle(green, m01) | Ssse3.Shuffle(blue, m02)).StoreUnsafe(ref destination);
        (Ssse3.Shuffle(red, m10) | Ssse3.Shuffle(green, m11) | Ssse3.Shuffle(blue, m12)).StoreUnsafe(ref destination, 16);
        (Ssse3.Shuffle(red, m20) | Ssse3.Shuffle(green, m21) | Ssse3.Shuffle(blue, m22)).StoreUnsafe(ref destination, 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Convert16(ref byte y, ref byte cb, ref byte cr, int offset, out Vector256<short> red, out Vector256<short> green, out Vector256<short> blue)
    {
        Vector256<short> center = Vector256.Create((short)128);
        Vector256<short> one = Vector256.Create((short)1);
        Vector256<short> luma = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref y, (nuint)offset));
        Vector256<short> blueDifference = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref cb, (nuint)offset)) - center;
        Vector256<short> redDifference = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref cr, (nuint)offset)) - center;

        // R − Y = Cr + 0.402·Cr; B − Y = 2·Cb − 0.228·Cb (FIX(0.40200) = 26345, FIX(0.22800) = 14942).
        Vector256<short> redFraction = Avx2.ShiftRightArithmetic(Avx2.MultiplyHigh(redDifference + redDifference, Vector256.Create((short)26345)) + one, 1);
        Vector256<short> blueFraction = Avx2.ShiftRightArithmetic(Avx2.MultiplyHigh(blueDifference + blueDifference, Vector256.Create((short)-14942)) + one, 1);
        red = luma + redFraction + redDifference;
        blue = luma + blueFraction + blueDifference + blueDifference;

        // G − Y = (−0.34414·Cb + 0.28586·Cr + ½) >> 16, then − Cr (FIX(0.28586) = 18734).
        Vector256<short> weights = Vector256.Create(unchecked((int)((ushort)(-CbToG) | ((uint)(65536 - CrToG) << 16)))).AsInt16();
        Vector256<int> half = Vector256.Create(OneHalf);
        Vector256<int> low = Avx2.ShiftRightArithmetic(Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(blueDifference, redDifference), weights) + half, ScaleBits);
        Vector256<int> high = Avx2.ShiftRightArithmetic(Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(blueDifference, redDifference), weights) + half, ScaleBits);
        green = luma + Avx2.PackSignedSaturate(low, high) - redDifference;
    }

    /// <summary>Two vectors of sixteen 16-bit values to 32 bytes, saturating to 0..255, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> PackToBytes(Vector256<short> low, Vector256<short> high) =>
        Avx2.Permute4x64(Avx2.PackUnsignedSaturate(low, high).AsInt64(), 0b11_01_10_00).AsByte();

    /// <summary>Interleaves three planes (RGB stored as separate components).</summary>
    public static void Interleave(ReadOnlySpan<byte> r, ReadOnlySpan<byte> g, ReadOnlySpan<byte> b, Span<byte> rgb, int width)
    {
        r = r[..width];
        g = g[..width];
        b = b[..width];
        rgb = rgb[..(3 * width)];
        for (int i = 0; i < r.Length; i++)
        {
            rgb[3 * i] = r[i];
            rgb[(3 * i) + 1] = g[i];
            rgb[(3 * i) + 2] = b[i];
        }
    }

    /// <summary>Inverted (Adobe) CMYK to RGB as djpeg writes PPM: R = C·K/255 rounded (exactly, in integers).</summary>
    public static void CmykToRgb(ReadOnlySpan<byte> c, ReadOnlySpan<byte> m, ReadOnlySpan<byte> y, ReadOnlySpan<byte> k, Span<byte> rgb, int width)
    {
        c = c[..width];
        m = m[..width];
        y = y[..width];
        k = k[..width];
        rgb = rgb[..(3 * width)];
        for (int i = 0; i < c.Length; i++)
        {
            int black = k[i];
            rgb[3 * i] = MultiplyRound(c[i], black);
            rgb[(3 * i) + 1] = MultiplyRound(m[i], black);
            rgb[(3 * i) + 2] = MultiplyRound(y[i], black);
        }
    }

    /// <summary>ycck_cmyk_convert (C, M, Y = 255 − RGB of the YCbCr triple; K unchanged), then CMYK to RGB.</summary>
    public static void YcckToRgb(ReadOnlySpan<byte> y, ReadOnlySpan<byte> cb, ReadOnlySpan<byte> cr, ReadOnlySpan<byte> k, Span<byte> rgb, int width)
    {
        y = y[..width];
        cb = cb[..width];
        cr = cr[..width];
        k = k[..width];
        rgb = rgb[..(3 * width)];
        int[] redFromCr = RedFromCr;
        int[] blueFromCb = BlueFromCb;
        int[] greenFromCr = GreenFromCr;
        int[] greenFromCb = GreenFromCb;
        for (int i = 0; i < y.Length; i++)
        {
            int luma = y[i];
            int blue = cb[i];
            int red = cr[i];
            int black = k[i];
            int cyan = ClampToByte(255 - (luma + redFromCr[red]));
            int magenta = ClampToByte(255 - (luma + ((greenFromCb[blue] + greenFromCr[red]) >> ScaleBits)));
            int yellow = ClampToByte(255 - (luma + blueFromCb[blue]));
            rgb[3 * i] = MultiplyRound(cyan, black);
            rgb[(3 * i) + 1] = MultiplyRound(magenta, black);
            rgb[(3 * i) + 2] = MultiplyRound(yellow, black);
        }
    }

    /// <summary>round(a·b/255) = floor(a·b/255 + 0.5) = floor((2ab + 255) / 510); no ties exist, so this equals djpeg's double arithmetic.</summary>
    private static byte MultiplyRound(int a, int b) => (byte)(((2 * a * b) + 255) / 510);

    private static byte ClampToByte(int value) => (byte)Math.Clamp(value, 0, 255);
}
