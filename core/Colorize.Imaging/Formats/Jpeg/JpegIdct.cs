using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>
/// The inverse DCT of libjpeg's "islow" method (jidctint.c, the default of djpeg and libjpeg-turbo): a
/// separable 8-point Loeffler–Ligtenberg–Moschytz transform in 13-bit fixed point, columns first with two extra
/// bits of precision kept between the passes. Same integer arithmetic, same rounding, so the output is
/// bit-identical to libjpeg-turbo's for every well-formed file. Out-of-range results are clamped to 0..255 by
/// saturation, as libjpeg-turbo's SIMD code does.
/// </summary>
internal static class JpegIdct
{
    private const int ConstBits = 13;
    private const int Pass1Bits = 2;
    private const int Pass1Shift = ConstBits - Pass1Bits;
    private const int Pass2Shift = ConstBits + Pass1Bits + 3;

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

    /// <summary>Whether the AVX2 path runs on this machine.</summary>
    public static bool IsAccelerated => Avx2.IsSupported;

    /// <summary>
    /// Dequantises and inverse-transforms one block of 64 coefficients (natural order) into an 8×8 block of
    /// samples at <paramref name="output"/>, rows <paramref name="stride"/> bytes apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transform(ref short coefficients, ref int quantization, ref byte output, int stride)
    {
        if (Avx2.IsSupported)
        {
            TransformAvx2(ref coefficients, ref quantization, ref output, stride);
        }
        else
        {
            TransformScalar(ref coefficients, ref quantization, ref output, stride);
        }
    }

    /// <summary>Fills an 8×8 block for a block whose only non-zero coefficient is DC (the common case for chroma).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TransformDcOnly(int dequantizedDc, ref byte output, int stride)
    {
        // Pass 1 yields dc << PASS1_BITS everywhere; pass 2 descales by PASS1_BITS + 3.
        int value = (dequantizedDc * 4 + (1 << (Pass1Bits + 3 - 1))) >> (Pass1Bits + 3);
        byte sample = (byte)Math.Clamp(value + 128, 0, 255);
        ulong row = sample * 0x0101010101010101UL;
        for (int y = 0; y < 8; y++)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref output, y * stride), row);
        }
    }

    /// <summary>The portable version: jidctint.c's loops, one column and one row at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformScalar(ref short coefficients, ref int quantization, ref byte output, int stride)
    {
        Span<int> workspace = stackalloc int[64];
        for (int column = 0; column < 8; column++)
        {
            ref short input = ref Unsafe.Add(ref coefficients, column);
            ref int quant = ref Unsafe.Add(ref quantization, column);
            if (Unsafe.Add(ref input, 8) == 0 && Unsafe.Add(ref input, 16) == 0 && Unsafe.Add(ref input, 24) == 0 &&
                Unsafe.Add(ref input, 32) == 0 && Unsafe.Add(ref input, 40) == 0 && Unsafe.Add(ref input, 48) == 0 &&
                Unsafe.Add(ref input, 56) == 0)
            {
                // All AC terms zero: the column is flat (exactly what the full computation would give).
                int dc = input * quant << Pass1Bits;
                for (int row = 0; row < 8; row++)
                {
                    workspace[(row * 8) + column] = dc;
                }

                continue;
            }

            Idct1D(
                input * quant,
                Unsafe.Add(ref input, 8) * Unsafe.Add(ref quant, 8),
                Unsafe.Add(ref input, 16) * Unsafe.Add(ref quant, 16),
                Unsafe.Add(ref input, 24) * Unsafe.Add(ref quant, 24),
                Unsafe.Add(ref input, 32) * Unsafe.Add(ref quant, 32),
                Unsafe.Add(ref input, 40) * Unsafe.Add(ref quant, 40),
                Unsafe.Add(ref input, 48) * Unsafe.Add(ref quant, 48),
                Unsafe.Add(ref input, 56) * Unsafe.Add(ref quant, 56),
                Pass1Shift,
                1 << (Pass1Shift - 1),
                out int o0, out int o1, out int o2, out int o3, out int o4, out int o5, out int o6, out int o7);
            workspace[column] = o0;
            workspace[8 + column] = o1;
            workspace[16 + column] = o2;
            workspace[24 + column] = o3;
            workspace[32 + column] = o4;
            workspace[40 + column] = o5;
            workspace[48 + column] = o6;
            workspace[56 + column] = o7;
        }

        // The +128 level shift is folded into the rounding bias of the final descale.
        const int Bias = (1 << (Pass2Shift - 1)) + (128 << Pass2Shift);
        for (int row = 0; row < 8; row++)
        {
            Span<int> w = workspace.Slice(row * 8, 8);
            Idct1D(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], Pass2Shift, Bias,
                out int o0, out int o1, out int o2, out int o3, out int o4, out int o5, out int o6, out int o7);
            ref byte line = ref Unsafe.Add(ref output, row * stride);
            line = Clamp(o0);
            Unsafe.Add(ref line, 1) = Clamp(o1);
            Unsafe.Add(ref line, 2) = Clamp(o2);
            Unsafe.Add(ref line, 3) = Clamp(o3);
            Unsafe.Add(ref line, 4) = Clamp(o4);
            Unsafe.Add(ref line, 5) = Clamp(o5);
            Unsafe.Add(ref line, 6) = Clamp(o6);
            Unsafe.Add(ref line, 7) = Clamp(o7);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Clamp(int value) => (byte)Math.Clamp(value, 0, 255);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Idct1D(
        int i0, int i1, int i2, int i3, int i4, int i5, int i6, int i7, int shift, int bias,
        out int o0, out int o1, out int o2, out int o3, out int o4, out int o5, out int o6, out int o7)
    {
        // Even part.
        int z1 = (i2 + i6) * Fix0541196100;
        int tmp2 = z1 + (i6 * -Fix1847759065);
        int tmp3 = z1 + (i2 * Fix0765366865);
        int tmp0 = (i0 + i4) << ConstBits;
        int tmp1 = (i0 - i4) << ConstBits;
        int tmp10 = tmp0 + tmp3;
        int tmp13 = tmp0 - tmp3;
        int tmp11 = tmp1 + tmp2;
        int tmp12 = tmp1 - tmp2;

        // Odd part.
        int t0 = i7;
        int t1 = i5;
        int t2 = i3;
        int t3 = i1;
        z1 = t0 + t3;
        int z2 = t1 + t2;
        int z3 = t0 + t2;
        int z4 = t1 + t3;
        int z5 = (z3 + z4) * Fix1175875602;
        t0 *= Fix0298631336;
        t1 *= Fix2053119869;
        t2 *= Fix3072711026;
        t3 *= Fix1501321110;
        z1 *= -Fix0899976223;
        z2 *= -Fix2562915447;
        z3 = (z3 * -Fix1961570560) + z5;
        z4 = (z4 * -Fix0390180644) + z5;
        t0 += z1 + z3;
        t1 += z2 + z4;
        t2 += z2 + z3;
        t3 += z1 + z4;

        o0 = (tmp10 + t3 + bias) >> shift;
        o7 = (tmp10 - t3 + bias) >> shift;
        o1 = (tmp11 + t2 + bias) >> shift;
        o6 = (tmp11 - t2 + bias) >> shift;
        o2 = (tmp12 + t1 + bias) >> shift;
        o5 = (tmp12 - t1 + bias) >> shift;
        o3 = (tmp13 + t0 + bias) >> shift;
        o4 = (tmp13 - t0 + bias) >> shift;
    }

    /// <summary>
    /// The AVX2 version: eight 32-bit lanes carry eight columns through pass 1, a transpose turns rows into
    /// lanes for pass 2, and a second transpose plus saturating packs produce the rows of bytes. Integer
    /// arithmetic identical to <see cref="TransformScalar"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformAvx2(ref short coefficients, ref int quantization, ref byte output, int stride)
    {
        Vector256<int> r0 = Dequantize(ref coefficients, ref quantization, 0);
        Vector256<int> r1 = Dequantize(ref coefficients, ref quantization, 8);
        Vector256<int> r2 = Dequantize(ref coefficients, ref quantization, 16);
        Vector256<int> r3 = Dequantize(ref coefficients, ref quantization, 24);
        Vector256<int> r4 = Dequantize(ref coefficients, ref quantization, 32);
        Vector256<int> r5 = Dequantize(ref coefficients, ref quantization, 40);
        Vector256<int> r6 = Dequantize(ref coefficients, ref quantization, 48);
        Vector256<int> r7 = Dequantize(ref coefficients, ref quantization, 56);

        Idct1D(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, Pass1Shift,
            Vector256.Create(1 << (Pass1Shift - 1)));
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        Idct1D(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, Pass2Shift,
            Vector256.Create((1 << (Pass2Shift - 1)) + (128 << Pass2Shift)));
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);

        // Saturating packs clamp to 0..255. Within each 128-bit half the packs interleave four-byte groups of
        // the rows; the permute puts each row's eight bytes together.
        Vector256<int> order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        Vector256<byte> rows0123 = Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(r0, r1), Avx2.PackSignedSaturate(r2, r3));
        Vector256<byte> rows4567 = Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(r4, r5), Avx2.PackSignedSaturate(r6, r7));
        Vector256<ulong> lo = Avx2.PermuteVar8x32(rows0123.AsInt32(), order).AsUInt64();
        Vector256<ulong> hi = Avx2.PermuteVar8x32(rows4567.AsInt32(), order).AsUInt64();
        Unsafe.WriteUnaligned(ref output, lo.GetElement(0));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref output, stride), lo.GetElement(1));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref output, 2 * stride), lo.GetElement(2));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref output, 3 * stride), lo.GetElement(3));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref output, 4 * stride), hi.GetElement(0));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref output, 5 * stride), hi.GetElement(1));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref output, 6 * stride), hi.GetElement(2));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref output, 7 * stride), hi.GetElement(3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dequantize(ref short coefficients, ref int quantization, int offset)
    {
        Vector128<short> row = Vector128.LoadUnsafe(ref coefficients, (nuint)offset);
        return Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(row), Vector256.LoadUnsafe(ref quantization, (nuint)offset));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Idct1D(
        ref Vector256<int> v0, ref Vector256<int> v1, ref Vector256<int> v2, ref Vector256<int> v3,
        ref Vector256<int> v4, ref Vector256<int> v5, ref Vector256<int> v6, ref Vector256<int> v7,
        [ConstantExpected] byte shift, Vector256<int> bias)
    {
        Vector256<int> z1 = Avx2.MultiplyLow(v2 + v6, Vector256.Create(Fix0541196100));
        Vector256<int> tmp2 = z1 + Avx2.MultiplyLow(v6, Vector256.Create(-Fix1847759065));
        Vector256<int> tmp3 = z1 + Avx2.MultiplyLow(v2, Vector256.Create(Fix0765366865));
        Vector256<int> tmp0 = Avx2.ShiftLeftLogical(v0 + v4, ConstBits);
        Vector256<int> tmp1 = Avx2.ShiftLeftLogical(v0 - v4, ConstBits);
        Vector256<int> tmp10 = tmp0 + tmp3 + bias;
        Vector256<int> tmp13 = tmp0 - tmp3 + bias;
        Vector256<int> tmp11 = tmp1 + tmp2 + bias;
        Vector256<int> tmp12 = tmp1 - tmp2 + bias;

        Vector256<int> t0 = v7;
        Vector256<int> t1 = v5;
        Vector256<int> t2 = v3;
        Vector256<int> t3 = v1;
        z1 = t0 + t3;
        Vector256<int> z2 = t1 + t2;
        Vector256<int> z3 = t0 + t2;
        Vector256<int> z4 = t1 + t3;
        Vector256<int> z5 = Avx2.MultiplyLow(z3 + z4, Vector256.Create(Fix1175875602));
        t0 = Avx2.MultiplyLow(t0, Vector256.Create(Fix0298631336));
        t1 = Avx2.MultiplyLow(t1, Vector256.Create(Fix2053119869));
        t2 = Avx2.MultiplyLow(t2, Vector256.Create(Fix3072711026));
        t3 = Avx2.MultiplyLow(t3, Vector256.Create(Fix1501321110));
        z1 = Avx2.MultiplyLow(z1, Vector256.Create(-Fix0899976223));
        z2 = Avx2.MultiplyLow(z2, Vector256.Create(-Fix2562915447));
        z3 = Avx2.MultiplyLow(z3, Vector256.Create(-Fix1961570560)) + z5;
        z4 = Avx2.MultiplyLow(z4, Vector256.Create(-Fix0390180644)) + z5;
        t0 += z1 + z3;
        t1 += z2 + z4;
        t2 += z2 + z3;
        t3 += z1 + z4;

        v0 = Avx2.ShiftRightArithmetic(tmp10 + t3, shift);
        v7 = Avx2.ShiftRightArithmetic(tmp10 - t3, shift);
        v1 = Avx2.ShiftRightArithmetic(tmp11 + t2, shift);
        v6 = Avx2.ShiftRightArithmetic(tmp11 - t2, shift);
        v2 = Avx2.ShiftRightArithmetic(tmp12 + t1, shift);
        v5 = Avx2.ShiftRightArithmetic(tmp12 - t1, shift);
        v3 = Avx2.ShiftRightArithmetic(tmp13 + t0, shift);
        v4 = Avx2.ShiftRightArithmetic(tmp13 - t0, shift);
    }

    /// <summary>Transposes an 8×8 matrix of 32-bit values held as eight row vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose(
        ref Vector256<int> r0, ref Vector256<int> r1, ref Vector256<int> r2, ref Vector256<int> r3,
        ref Vector256<int> r4, ref Vector256<int> r5, ref Vector256<int> r6, ref Vector256<int> r7)
    {
        Vector256<long> t0 = Avx2.UnpackLow(r0, r1).AsInt64();
        Vector256<long> t1 = Avx2.UnpackHigh(r0, r1).AsInt64();
        Vector256<long> t2 = Avx2.UnpackLow(r2, r3).AsInt64();
        Vector256<long> t3 = Avx2.UnpackHigh(r2, r3).AsInt64();
        Vector256<long> t4 = Avx2.UnpackLow(r4, r5).AsInt64();
        Vector256<long> t5 = Avx2.UnpackHigh(r4, r5).AsInt64();
        Vector256<long> t6 = Avx2.UnpackLow(r6, r7).AsInt64();
        Vector256<long> t7 = Avx2.UnpackHigh(r6, r7).AsInt64();

        Vector256<int> u0 = Avx2.UnpackLow(t0, t2).AsInt32();
        Vector256<int> u1 = Avx2.UnpackHigh(t0, t2).AsInt32();
        Vector256<int> u2 = Avx2.UnpackLow(t1, t3).AsInt32();
        Vector256<int> u3 = Avx2.UnpackHigh(t1, t3).AsInt32();
        Vector256<int> u4 = Avx2.UnpackLow(t4, t6).AsInt32();
        Vector256<int> u5 = Avx2.UnpackHigh(t4, t6).AsInt32();
        Vector256<int> u6 = Avx2.UnpackLow(t5, t7).AsInt32();
        Vector256<int> u7 = Avx2.UnpackHigh(t5, t7).AsInt32();

        r0 = Avx2.Permute2x128(u0, u4, 0x20);
        r4 = Avx2.Permute2x128(u0, u4, 0x31);
        r1 = Avx2.Permute2x128(u1, u5, 0x20);
        r5 = Avx2.Permute2x128(u1, u5, 0x31);
        r2 = Avx2.Permute2x128(u2, u6, 0x20);
        r6 = Avx2.Permute2x128(u2, u6, 0x31);
        r3 = Avx2.Permute2x128(u3, u7, 0x20);
        r7 = Avx2.Permute2x128(u3, u7, 0x31);
    }
}
