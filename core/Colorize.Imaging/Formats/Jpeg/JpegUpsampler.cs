using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>How one component's samples are brought to the full image resolution (libjpeg's jdsample.c choices).</summary>
internal enum JpegUpsampleMethod
{
    /// <summary>Already full size.</summary>
    None,

    /// <summary>2:1 horizontally, triangle filter ("fancy").</summary>
    H2V1Fancy,

    /// <summary>2:1 vertically, triangle filter.</summary>
    H1V2Fancy,

    /// <summary>2:1 both ways, triangle filter.</summary>
    H2V2Fancy,

    /// <summary>Integral factors: each sample replicated (libjpeg's int_upsample, also its choice for 2:1 of a component at most two samples wide).</summary>
    Replicate,

    /// <summary>Non-integral factors, which libjpeg refuses: nearest sample.</summary>
    Nearest,
}

/// <summary>
/// Chroma upsampling with the exact arithmetic of libjpeg-turbo's jdsample.c: the "fancy" triangle filter
/// (3/4 nearer sample + 1/4 further one, with the alternating rounding bias libjpeg uses) and plain replication.
/// Edges replicate the first/last sample, as libjpeg's special cases amount to.
/// </summary>
internal static class JpegUpsampler
{
    /// <summary>Extra elements the scratch buffers need past the row length, for whole-vector loads and stores.</summary>
    public const int Padding = 64;

    /// <summary>
    /// h2v1_fancy_upsample: one input row of <paramref name="width"/> (≥ 2) samples to 2 × width outputs.
    /// <paramref name="scratch"/> needs width + <see cref="Padding"/> elements; <paramref name="output"/> needs
    /// 2 × width + <see cref="Padding"/> bytes (the SIMD path writes whole vectors past the end).
    /// </summary>
    public static void H2V1Fancy(ReadOnlySpan<byte> input, int width, Span<ushort> scratch, Span<byte> output)
    {
        // Widen into scratch[1..width] with the edge samples replicated at both ends; then the edge outputs need
        // no special case: libjpeg's first output is in[0] = (3·in[0] + in[0] + 1) >> 2, and likewise at the end.
        Widen(input[..width], scratch);
        Triangle(scratch, width, 1, 2, 2, output);
    }

    /// <summary>
    /// h2v2_fancy_upsample: vertical 3:1 column sums of the nearer and further input rows, then the horizontal
    /// triangle filter on the sums. Buffer sizes as for <see cref="H2V1Fancy"/>.
    /// </summary>
    public static void H2V2Fancy(ReadOnlySpan<byte> near, ReadOnlySpan<byte> far, int width, Span<ushort> scratch, Span<byte> output)
    {
        ColumnSums(near[..width], far[..width], scratch);
        Triangle(scratch, width, 8, 7, 4, output);
    }

    /// <summary>scratch[1 + i] = input[i]; scratch[0] and scratch[width + 1] repeat the edge samples.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Widen(ReadOnlySpan<byte> input, Span<ushort> scratch)
    {
        int width = input.Length;
        int i = 0;
        if (Avx2.IsSupported && scratch.Length >= width + Padding)
        {
            ref byte source = ref MemoryMarshal.GetReference(input);
            ref ushort destination = ref MemoryMarshal.GetReference(scratch);
            for (; i + 16 <= width; i += 16)
            {
                Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref source, (nuint)i)).AsUInt16()
                    .StoreUnsafe(ref destination, (nuint)(i + 1));
            }
        }

        for (; i < width; i++)
        {
            scratch[i + 1] = input[i];
        }

        scratch[0] = scratch[1];
        scratch[width + 1] = scratch[width];
    }

    /// <summary>scratch[1 + i] = 3 · near[i] + far[i], edges repeated as in <see cref="Widen"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnSums(ReadOnlySpan<byte> near, ReadOnlySpan<byte> far, Span<ushort> scratch)
    {
        int width = near.Length;
        int i = 0;
        if (Avx2.IsSupported && scratch.Length >= width + Padding)
        {
            ref byte nearRef = ref MemoryMarshal.GetReference(near);
            ref byte farRef = ref MemoryMarshal.GetReference(far);
            ref ushort destination = ref MemoryMarshal.GetReference(scratch);
            for (; i + 16 <= width; i += 16)
            {
                Vector256<ushort> n = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref nearRef, (nuint)i)).AsUInt16();
                Vector256<ushort> f = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref farRef, (nuint)i)).AsUInt16();
                (n + n + n + f).StoreUnsafe(ref destination, (nuint)(i + 1));
            }
        }

        for (; i < width; i++)
        {
            scratch[i + 1] = (ushort)((near[i] * 3) + far[i]);
        }

        scratch[0] = scratch[1];
        scratch[width + 1] = scratch[width];
    }

    /// <summary>
    /// The horizontal triangle filter on edge-padded values v (v[i] at scratch[1 + i]):
    /// out[2i] = (3·v[i] + v[i−1] + evenBias) >> shift, out[2i+1] = (3·v[i] + v[i+1] + oddBias) >> shift.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Triangle(Span<ushort> scratch, int width, int evenBias, int oddBias, [System.Diagnostics.CodeAnalysis.ConstantExpected] byte shift, Span<byte> output)
    {
        int i = 0;
        if (Avx2.IsSupported && scratch.Length >= width + Padding && output.Length >= (2 * width) + Padding)
        {
            ref ushort values = ref MemoryMarshal.GetReference(scratch);
            ref byte destination = ref MemoryMarshal.GetReference(output);
            Vector256<ushort> even = Vector256.Create((ushort)evenBias);
            Vector256<ushort> odd = Vector256.Create((ushort)oddBias);

            // Whole vectors, also over the tail: lanes past the width compute garbage that lands past 2 × width.
            for (; i < width; i += 16)
            {
                Vector256<ushort> current = Vector256.LoadUnsafe(ref values, (nuint)(i + 1));
                Vector256<ushort> previous = Vector256.LoadUnsafe(ref values, (nuint)i);
                Vector256<ushort> next = Vector256.LoadUnsafe(ref values, (nuint)(i + 2));
                Vector256<ushort> triple = current + current + current;
                Vector256<ushort> evens = Avx2.ShiftRightLogical(triple + previous + even, shift);
                Vector256<ushort> odds = Avx2.ShiftRightLogical(triple + next + odd, shift);

                // Unpacks and packs both work within 128-bit halves, so together they keep the order:
                // e0 o0 ... e7 o7 | e8 o8 ... e15 o15.
                Vector256<short> low = Avx2.UnpackLow(evens, odds).AsInt16();
                Vector256<short> high = Avx2.UnpackHigh(evens, odds).AsInt16();
                Avx2.PackUnsignedSaturate(low, high).StoreUnsafe(ref destination, (nuint)(2 * i));
            }

            return;
        }

        for (; i < width; i++)
        {
            int triple = scratch[i + 1] * 3;
            output[2 * i] = (byte)((triple + scratch[i] + evenBias) >> shift);
            output[(2 * i) + 1] = (byte)((triple + scratch[i + 2] + oddBias) >> shift);
        }
    }

    /// <summary>h1v2_fancy_upsample: 3/4 of the nearer row plus 1/4 of the further row.</summary>
    public static void H1V2Fancy(ReadOnlySpan<byte> near, ReadOnlySpan<byte> far, int width, int bias, Span<byte> output)
    {
        near = near[..width];
        far = far[..width];
        output = output[..width];
        for (int i = 0; i < output.Length; i++)
        {
            output[i] = (byte)(((near[i] * 3) + far[i] + bias) >> 2);
        }
    }

    /// <summary>int_upsample horizontally: each of <paramref name="width"/> samples repeated <paramref name="factor"/> times.</summary>
    public static void Replicate(ReadOnlySpan<byte> input, int width, int factor, Span<byte> output)
    {
        input = input[..width];
        output = output[..(width * factor)];
        if (factor == 2)
        {
            for (int i = 0; i < input.Length; i++)
            {
                output[2 * i] = input[i];
                output[(2 * i) + 1] = input[i];
            }

            return;
        }

        for (int i = 0; i < input.Length; i++)
        {
            output.Slice(i * factor, factor).Fill(input[i]);
        }
    }

    /// <summary>Nearest-sample resampling for factor ratios libjpeg does not support (output x takes input x × h / hmax).</summary>
    public static void Nearest(ReadOnlySpan<byte> input, int factor, int maxFactor, Span<byte> output, int outputWidth)
    {
        for (int x = 0; x < outputWidth; x++)
        {
            output[x] = input[x * factor / maxFactor];
        }
    }
}
