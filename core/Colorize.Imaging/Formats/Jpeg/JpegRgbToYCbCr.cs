using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>RGB to YCbCr with libjpeg's fixed-point arithmetic (jccolor.c: 16 fractional bits, same rounding).</summary>
internal static class JpegRgbToYCbCr
{
    private const int ScaleBits = 16;
    private const int OneHalf = 1 << (ScaleBits - 1);
    private const int ChromaOffset = 128 << ScaleBits;

    private const int YFromR = 19595;  // FIX(0.29900)
    private const int YFromG = 38470;  // FIX(0.58700)
    private const int YFromB = 7471;   // FIX(0.11400)
    private const int CbFromR = 11059; // FIX(0.16874), subtracted
    private const int CbFromG = 21709; // FIX(0.33126), subtracted
    private const int CFromHalf = 32768; // FIX(0.5): B's weight in Cb and R's in Cr
    private const int CrFromG = 27439; // FIX(0.41869), subtracted
    private const int CrFromB = 5329;  // FIX(0.08131), subtracted

    /// <summary>The Y of one pixel (also libjpeg's rgb_gray_convert).</summary>
    public static byte Luma(int r, int g, int b) => (byte)(((YFromR * r) + (YFromG * g) + (YFromB * b) + OneHalf) >> ScaleBits);

    /// <summary>pshufb masks gathering channel c of 16 pixels from source vector s of 48 RGB bytes: [s × 3 + c].</summary>
    private static readonly Vector128<byte>[] DeinterleaveMasks = BuildDeinterleaveMasks();

    private static Vector128<byte>[] BuildDeinterleaveMasks()
    {
        var masks = new Vector128<byte>[9];
        Span<byte> mask = stackalloc byte[16];
        for (int source = 0; source < 3; source++)
        {
            for (int channel = 0; channel < 3; channel++)
            {
                for (int j = 0; j < 16; j++)
                {
                    int position = (3 * j) + channel - (16 * source);
                    mask[j] = position is >= 0 and < 16 ? (byte)position : (byte)0x80;
                }

                masks[(source * 3) + channel] = Vector128.Create((ReadOnlySpan<byte>)mask);
            }
        }

        return masks;
    }

    /// <summary>Converts <paramref name="width"/> interleaved RGB pixels into three planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Convert(ReadOnlySpan<byte> rgb, Span<byte> y, Span<byte> cb, Span<byte> cr, int width)
    {
        rgb = rgb[..(3 * width)];
        y = y[..width];
        cb = cb[..width];
        cr = cr[..width];
        int start = Avx2.IsSupported ? ConvertAvx2(rgb, y, cb, cr) : 0;
        for (int x = start; x < y.Length; x++)
        {
            int r = rgb[3 * x];
            int g = rgb[(3 * x) + 1];
            int b = rgb[(3 * x) + 2];
            y[x] = (byte)(((YFromR * r) + (YFromG * g) + (YFromB * b) + OneHalf) >> ScaleBits);

            // ONE_HALF - 1 rather than ONE_HALF: libjpeg keeps the maximum at 255 this way.
            cb[x] = (byte)(((-CbFromR * r) - (CbFromG * g) + (CFromHalf * b) + ChromaOffset + OneHalf - 1) >> ScaleBits);
            cr[x] = (byte)(((CFromHalf * r) - (CrFromG * g) - (CrFromB * b) + ChromaOffset + OneHalf - 1) >> ScaleBits);
        }
    }

    /// <summary>
    /// 16 pixels at a time: pshufb de-interleaves, pmaddwd forms the same 32-bit sums as the scalar code with
    /// the weights split into 16-bit halves (G's 0.587 as 0.337 + 0.250; the 0.5 weights as two halves), so the
    /// results are identical. Returns how many pixels it converted.
    /// </summary>
    private static int ConvertAvx2(ReadOnlySpan<byte> rgb, Span<byte> y, Span<byte> cb, Span<byte> cr)
    {
        Vector128<byte>[] m = DeinterleaveMasks;
        Vector256<short> yRg = Pair(YFromR, YFromG - 16384);
        Vector256<short> yBg = Pair(YFromB, 16384);
        Vector256<short> cbRg = Pair(-CbFromR, -CbFromG);
        Vector256<short> halfHalf = Pair(16384, 16384);
        Vector256<short> crGb = Pair(-CrFromG, -CrFromB);
        Vector256<int> lumaBias = Vector256.Create(OneHalf);
        Vector256<int> chromaBias = Vector256.Create(ChromaOffset + OneHalf - 1);
        ref byte source = ref MemoryMarshal.GetReference(rgb);
        int width = y.Length;
        int x = 0;
        for (; x + 16 <= width; x += 16)
        {
            Vector128<byte> v0 = Vector128.LoadUnsafe(ref source, (nuint)(3 * x));
            Vector128<byte> v1 = Vector128.LoadUnsafe(ref source, (nuint)((3 * x) + 16));
            Vector128<byte> v2 = Vector128.LoadUnsafe(ref source, (nuint)((3 * x) + 32));
            Vector256<short> r = Avx2.ConvertToVector256Int16(Ssse3.Shuffle(v0, m[0]) | Ssse3.Shuffle(v1, m[3]) | Ssse3.Shuffle(v2, m[6]));
            Vector256<short> g = Avx2.ConvertToVector256Int16(Ssse3.Shuffle(v0, m[1]) | Ssse3.Shuffle(v1, m[4]) | Ssse3.Shuffle(v2, m[7]));
            Vector256<short> b = Avx2.ConvertToVector256Int16(Ssse3.Shuffle(v0, m[2]) | Ssse3.Shuffle(v1, m[5]) | Ssse3.Shuffle(v2, m[8]));

            Vector256<short> rgLow = Avx2.UnpackLow(r, g), rgHigh = Avx2.UnpackHigh(r, g);
            Vector256<short> bgLow = Avx2.UnpackLow(b, g), bgHigh = Avx2.UnpackHigh(b, g);
            Vector256<short> bbLow = Avx2.UnpackLow(b, b), bbHigh = Avx2.UnpackHigh(b, b);
            Vector256<short> rrLow = Avx2.UnpackLow(r, r), rrHigh = Avx2.UnpackHigh(r, r);
            Vector256<short> gbLow = Avx2.UnpackLow(g, b), gbHigh = Avx2.UnpackHigh(g, b);

            Store(y, x, Sum(rgLow, yRg, bgLow, yBg, lumaBias), Sum(rgHigh, yRg, bgHigh, yBg, lumaBias));
            Store(cb, x, Sum(rgLow, cbRg, bbLow, halfHalf, chromaBias), Sum(rgHigh, cbRg, bbHigh, halfHalf, chromaBias));
            Store(cr, x, Sum(rrLow, halfHalf, gbLow, crGb, chromaBias), Sum(rrHigh, halfHalf, gbHigh, crGb, chromaBias));
        }

        return x;
    }

    private static Vector256<short> Pair(int low, int high) => Vector256.Create(unchecked((int)((ushort)low | ((uint)(ushort)high << 16)))).AsInt16();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Sum(Vector256<short> a, Vector256<short> wa, Vector256<short> b, Vector256<short> wb, Vector256<int> bias) =>
        Avx2.ShiftRightArithmetic(Avx2.MultiplyAddAdjacent(a, wa) + Avx2.MultiplyAddAdjacent(b, wb) + bias, ScaleBits);

    /// <summary>Eight + eight 32-bit results (in unpack order) to sixteen bytes at <paramref name="destination"/>[x].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Span<byte> destination, int x, Vector256<int> low, Vector256<int> high)
    {
        Vector256<short> words = Avx2.PackSignedSaturate(low, high);
        Vector256<byte> bytes = Avx2.PackUnsignedSaturate(words, words);
        Vector128<byte> ordered = Avx2.Permute4x64(bytes.AsInt64(), 0b11_01_10_00).AsByte().GetLower();
        ordered.StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)x);
    }
}
