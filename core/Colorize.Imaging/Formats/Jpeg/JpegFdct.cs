using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>
/// The forward DCT of libjpeg's "islow" method (jfdctint.c, cjpeg's default) followed by libjpeg's rounding
/// quantisation, so quantised coefficients are identical to libjpeg-turbo's for the same samples and tables.
/// </summary>
internal static class JpegFdct
{
    private const int ConstBits = 13;
    private const int Pass1Bits = 2;

    private const int Fix0298631336 = 2446;
    private const int Fix0390180644 = 3196;
    private const int Fix0541196100 = 4433;
    private const int Fix0765366865 = 6270;
    private const int Fix0899976223 = 7373;
    private const int Fix1175875602 = 9633;
    private const int Fix1501321110 = 12299;
    private const int Fix1847759065 = 15137;
    private const int Fix1961570560 = 16069;
    private const int Fix2053119869 = 16819;
    private const int Fix2562915447 = 20995;
    private const int Fix3072711026 = 25172;

    /// <summary>
    /// Transforms the 8×8 samples at <paramref name="samples"/> (rows <paramref name="stride"/> apart) and
    /// quantises them: coefficient = sign(x) · ((|x| + d/2) / d) with d = 8 · quantiser (islow output is scaled
    /// by 8), truncating division, as libjpeg's <c>quantize</c> does. Output in natural order.
    /// </summary>
    /// <param name="samples">The top-left sample.</param>
    /// <param name="stride">Bytes between rows.</param>
    /// <param name="divisors">8 × quantiser for each of the 64 positions, natural order.</param>
    /// <param name="reciprocals">1 / divisor, as float, natural order.</param>
    /// <param name="output">64 quantised coefficients, natural order.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformAndQuantize(ref byte samples, int stride, int[] divisors, float[] reciprocals, Span<short> output)
    {
        if (Avx2.IsSupported)
        {
            TransformAndQuantizeAvx2(ref samples, stride, divisors, reciprocals, output);
            return;
        }

        Span<int> block = stackalloc int[64];
        Transform(ref samples, stride, block);
        for (int i = 0; i < 64; i++)
        {
            int value = block[i];
            int divisor = divisors[i];
            int magnitude = ((value < 0 ? -value : value) + (divisor >> 1)) / divisor;
            output[i] = (short)(value < 0 ? -magnitude : magnitude);
        }
    }

    /// <summary>jpeg_fdct_islow on level-shifted samples: rows first, then columns; output scaled up by 8.</summary>
    public static void Transform(ref byte samples, int stride, Span<int> block)
    {
        for (int row = 0; row < 8; row++)
        {
            ref byte line = ref Unsafe.Add(ref samples, row * stride);
            Span<int> d = block.Slice(row * 8, 8);
            Fdct1D(
                line - 128, Unsafe.Add(ref line, 1) - 128, Unsafe.Add(ref line, 2) - 128, Unsafe.Add(ref line, 3) - 128,
                Unsafe.Add(ref line, 4) - 128, Unsafe.Add(ref line, 5) - 128, Unsafe.Add(ref line, 6) - 128, Unsafe.Add(ref line, 7) - 128,
                isFirstPass: true,
                out d[0], out d[1], out d[2], out d[3], out d[4], out d[5], out d[6], out d[7]);
        }

        for (int column = 0; column < 8; column++)
        {
            Fdct1D(
                block[column], block[8 + column], block[16 + column], block[24 + column],
                block[32 + column], block[40 + column], block[48 + column], block[56 + column],
                isFirstPass: false,
                out int o0, out int o1, out int o2, out int o3, out int o4, out int o5, out int o6, out int o7);
            block[column] = o0;
            block[8 + column] = o1;
            block[16 + column] = o2;
            block[24 + column] = o3;
            block[32 + column] = o4;
            block[40 + column] = o5;
            block[48 + column] = o6;
            block[56 + column] = o7;
        }
    }

    private static int Descale(int value, int shift) => (value + (1 << (shift - 1))) >> shift;

    private static void Fdct1D(
        int d0, int d1, int d2, int d3, int d4, int d5, int d6, int d7, bool isFirstPass,
        out int o0, out int o1, out int o2, out int o3, out int o4, out int o5, out int o6, out int o7)
    {
        int tmp0 = d0 + d7;
        int tmp7 = d0 - d7;
        int tmp1 = d1 + d6;
        int tmp6 = d1 - d6;
        int tmp2 = d2 + d5;
        int tmp5 = d2 - d5;
        int tmp3 = d3 + d4;
        int tmp4 = d3 - d4;

        int tmp10 = tmp0 + tmp3;
        int tmp13 = tmp0 - tmp3;
        int tmp11 = tmp1 + tmp2;
        int tmp12 = tmp1 - tmp2;

        int shift = isFirstPass ? ConstBits - Pass1Bits : ConstBits + Pass1Bits;
        if (isFirstPass)
        {
            o0 = (tmp10 + tmp11) << Pass1Bits;
            o4 = (tmp10 - tmp11) << Pass1Bits;
        }
        else
        {
            o0 = Descale(tmp10 + tmp11, Pass1Bits);
            o4 = Descale(tmp10 - tmp11, Pass1Bits);
        }

        int z1 = (tmp12 + tmp13) * Fix0541196100;
        o2 = Descale(z1 + (tmp13 * Fix0765366865), shift);
        o6 = Descale(z1 + (tmp12 * -Fix1847759065), shift);

        z1 = tmp4 + tmp7;
        int z2 = tmp5 + tmp6;
        int z3 = tmp4 + tmp6;
        int z4 = tmp5 + tmp7;
        int z5 = (z3 + z4) * Fix1175875602;
        tmp4 *= Fix0298631336;
        tmp5 *= Fix2053119869;
        tmp6 *= Fix3072711026;
        tmp7 *= Fix1501321110;
        z1 *= -Fix0899976223;
        z2 *= -Fix2562915447;
        z3 = (z3 * -Fix1961570560) + z5;
        z4 = (z4 * -Fix0390180644) + z5;
        o7 = Descale(tmp4 + z1 + z3, shift);
        o5 = Descale(tmp5 + z2 + z4, shift);
        o3 = Descale(tmp6 + z2 + z3, shift);
        o1 = Descale(tmp7 + z1 + z4, shift);
    }

    /// <summary>
    /// AVX2 version: a transpose puts each row's samples across the vectors so pass 1 works on all rows at
    /// once, a second transpose does the same for the columns, and the quantiser divides exactly with a float
    /// reciprocal (the 0.5 offset keeps the truncation exact: see <see cref="Quantize"/>).
    /// </summary>
    private static void TransformAndQuantizeAvx2(ref byte samples, int stride, int[] divisors, float[] reciprocals, Span<short> output)
    {
        Vector256<int> center = Vector256.Create(128);
        Vector256<int> r0 = LoadRow(ref samples, 0, center);
        Vector256<int> r1 = LoadRow(ref samples, stride, center);
        Vector256<int> r2 = LoadRow(ref samples, 2 * stride, center);
        Vector256<int> r3 = LoadRow(ref samples, 3 * stride, center);
        Vector256<int> r4 = LoadRow(ref samples, 4 * stride, center);
        Vector256<int> r5 = LoadRow(ref samples, 5 * stride, center);
        Vector256<int> r6 = LoadRow(ref samples, 6 * stride, center);
        Vector256<int> r7 = LoadRow(ref samples, 7 * stride, center);

        // Rows → lanes: vector k holds sample k of every row.
        JpegIdct.Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        Fdct1D(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, firstPass: true);

        // Vector k now holds coefficient k of every row; transpose back so vector r is row r, then do columns.
        JpegIdct.Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        Fdct1D(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, firstPass: false);

        // Vector u holds vertical frequency u for the eight horizontal frequencies: natural order already.
        ref short destination = ref output[0];
        ref int divisor = ref divisors[0];
        ref float reciprocal = ref reciprocals[0];
        Quantize(r0, r1, ref divisor, ref reciprocal, 0, ref destination);
        Quantize(r2, r3, ref divisor, ref reciprocal, 16, ref destination);
        Quantize(r4, r5, ref divisor, ref reciprocal, 32, ref destination);
        Quantize(r6, r7, ref divisor, ref reciprocal, 48, ref destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> LoadRow(ref byte samples, int offset, Vector256<int> center) =>
        Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref samples, offset))).AsByte()) - center;

    /// <summary>
    /// floor((|x| + d/2) / d) computed as trunc((|x| + d/2 + 0.5) · (1/d)) in float: the true quotient of the
    /// shifted numerator stays at least 0.5/d away from an integer while the float error is below |x|·2⁻²³ /d,
    /// far smaller for |x| &lt; 2²², so the truncation is exact. The sign is restored with psignd.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quantize(Vector256<int> a, Vector256<int> b, ref int divisors, ref float reciprocals, int offset, ref short destination)
    {
        Vector256<int> qa = QuantizeRow(a, ref divisors, ref reciprocals, offset);
        Vector256<int> qb = QuantizeRow(b, ref divisors, ref reciprocals, offset + 8);
        Vector256<short> packed = Avx2.Permute4x64(Avx2.PackSignedSaturate(qa, qb).AsInt64(), 0b11_01_10_00).AsInt16();
        packed.StoreUnsafe(ref destination, (nuint)offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> QuantizeRow(Vector256<int> value, ref int divisors, ref float reciprocals, int offset)
    {
        Vector256<int> divisor = Vector256.LoadUnsafe(ref divisors, (nuint)offset);
        Vector256<float> reciprocal = Vector256.LoadUnsafe(ref reciprocals, (nuint)offset);
        Vector256<int> numerator = Avx2.Abs(value).AsInt32() + Avx2.ShiftRightLogical(divisor, 1);
        Vector256<float> quotient = (Avx.ConvertToVector256Single(numerator) + Vector256.Create(0.5f)) * reciprocal;
        return Avx2.Sign(Avx.ConvertToVector256Int32WithTruncation(quotient), value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fdct1D(
        ref Vector256<int> v0, ref Vector256<int> v1, ref Vector256<int> v2, ref Vector256<int> v3,
        ref Vector256<int> v4, ref Vector256<int> v5, ref Vector256<int> v6, ref Vector256<int> v7, bool firstPass)
    {
        Vector256<int> tmp0 = v0 + v7;
        Vector256<int> tmp7 = v0 - v7;
        Vector256<int> tmp1 = v1 + v6;
        Vector256<int> tmp6 = v1 - v6;
        Vector256<int> tmp2 = v2 + v5;
        Vector256<int> tmp5 = v2 - v5;
        Vector256<int> tmp3 = v3 + v4;
        Vector256<int> tmp4 = v3 - v4;

        Vector256<int> tmp10 = tmp0 + tmp3;
        Vector256<int> tmp13 = tmp0 - tmp3;
        Vector256<int> tmp11 = tmp1 + tmp2;
        Vector256<int> tmp12 = tmp1 - tmp2;

        int shiftCount = firstPass ? ConstBits - Pass1Bits : ConstBits + Pass1Bits;
        Vector128<int> shift = Vector128.CreateScalar(shiftCount);
        Vector256<int> rounding = Vector256.Create(1 << (shiftCount - 1));
        if (firstPass)
        {
            v0 = Avx2.ShiftLeftLogical(tmp10 + tmp11, Pass1Bits);
            v4 = Avx2.ShiftLeftLogical(tmp10 - tmp11, Pass1Bits);
        }
        else
        {
            Vector256<int> half = Vector256.Create(1 << (Pass1Bits - 1));
            v0 = Avx2.ShiftRightArithmetic(tmp10 + tmp11 + half, Pass1Bits);
            v4 = Avx2.ShiftRightArithmetic(tmp10 - tmp11 + half, Pass1Bits);
        }

        Vector256<int> z1 = Avx2.MultiplyLow(tmp12 + tmp13, Vector256.Create(Fix0541196100));
        v2 = ShiftRight(z1 + Avx2.MultiplyLow(tmp13, Vector256.Create(Fix0765366865)) + rounding, shift);
        v6 = ShiftRight(z1 + Avx2.MultiplyLow(tmp12, Vector256.Create(-Fix1847759065)) + rounding, shift);

        z1 = tmp4 + tmp7;
        Vector256<int> z2 = tmp5 + tmp6;
        Vector256<int> z3 = tmp4 + tmp6;
        Vector256<int> z4 = tmp5 + tmp7;
        Vector256<int> z5 = Avx2.MultiplyLow(z3 + z4, Vector256.Create(Fix1175875602));
        tmp4 = Avx2.MultiplyLow(tmp4, Vector256.Create(Fix0298631336));
        tmp5 = Avx2.MultiplyLow(tmp5, Vector256.Create(Fix2053119869));
        tmp6 = Avx2.MultiplyLow(tmp6, Vector256.Create(Fix3072711026));
        tmp7 = Avx2.MultiplyLow(tmp7, Vector256.Create(Fix1501321110));
        z1 = Avx2.MultiplyLow(z1, Vector256.Create(-Fix0899976223));
        z2 = Avx2.MultiplyLow(z2, Vector256.Create(-Fix2562915447));
        z3 = Avx2.MultiplyLow(z3, Vector256.Create(-Fix1961570560)) + z5;
        z4 = Avx2.MultiplyLow(z4, Vector256.Create(-Fix0390180644)) + z5;
        v7 = ShiftRight(tmp4 + z1 + z3 + rounding, shift);
        v5 = ShiftRight(tmp5 + z2 + z4 + rounding, shift);
        v3 = ShiftRight(tmp6 + z2 + z3 + rounding, shift);
        v1 = ShiftRight(tmp7 + z1 + z4 + rounding, shift);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ShiftRight(Vector256<int> value, Vector128<int> shift) => Avx2.ShiftRightArithmetic(value, shift);
}
