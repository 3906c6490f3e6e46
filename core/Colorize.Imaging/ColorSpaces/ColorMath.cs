using System.Numerics;
using System.Runtime.CompilerServices;

namespace Colorize.Imaging.ColorSpaces;

/// <summary>
/// Vectorised elementary functions the colour conversions need: cube root and the two sRGB powers.
/// </summary>
/// <remarks>
/// <para>
/// Written on <see cref="Vector{T}"/> so one code path runs 8 lanes on AVX2 and 4 on Arm64 NEON. Each function has a
/// scalar twin that performs the same operations in the same order, so a row's tail (the pixels left over after the
/// last full vector) gets bit-identical results whether or not it happened to land in a vector — which keeps results
/// independent of how rows are split between threads.
/// </para>
/// <para>
/// Cube root: an exponent-splitting initial guess (bits / 3 plus a bias, accurate to about 3 %), one Halley step
/// y ← y·(y³ + 2x)/(2y³ + x) (which cubes the relative error, to ~1e-5), then one Newton step whose residual is
/// computed with fused multiply-adds (which squares it, to far below float precision). The result is within about one
/// float ulp of the true cube root for 1e-30 ≤ x ≤ 1e30 (tests check it against <see cref="Math.Cbrt"/>).
/// </para>
/// </remarks>
internal static class ColorMath
{
    // bits(x^(1/3)) ≈ bits(x)/3 + (2/3)·127·2^23; the bias is lowered slightly (as in Kahan's cbrt) to centre the guess's error.
    private const int CbrtBias = 709_921_077;
    private const float OneThird = 1f / 3f;

    /// <summary>Cube root of positive, finite, normal lanes. Other lanes give unspecified (but finite or NaN, never trapping) results.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> CbrtPositive(Vector<float> x)
    {
        // Integer division by 3 has no SIMD instruction; going through float loses only low bits of the guess.
        Vector<int> bits = Vector.AsVectorInt32(x);
        Vector<int> guess = Vector.ConvertToInt32(Vector.ConvertToSingle(bits) * new Vector<float>(OneThird)) + new Vector<int>(CbrtBias);
        Vector<float> y = HalleyStep(Vector.AsVectorSingle(guess), x);

        // One Newton step y − (y³ − x)/(3y²) with the residual y³ − x computed almost exactly through FMA
        // (y·y = y2 + e exactly, so y³ = y2·y + e·y): the float rounding in a plain Halley step would cap the
        // accuracy at ~3 ulp, this reaches ~0.5 ulp.
        Vector<float> y2 = y * y;
        Vector<float> e = Vector.FusedMultiplyAdd(y, y, -y2);
        Vector<float> residual = Vector.FusedMultiplyAdd(y2, y, -x) + (e * y);
        return y - (residual / (y2 * new Vector<float>(3f)));
    }

    /// <summary>Scalar twin of <see cref="CbrtPositive(Vector{float})"/>: the same operations, so the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float CbrtPositive(float x)
    {
        int bits = BitConverter.SingleToInt32Bits(x);
        int guess = (int)((float)bits * OneThird) + CbrtBias;
        float y = HalleyStep(BitConverter.Int32BitsToSingle(guess), x);
        float y2 = y * y;
        float e = MathF.FusedMultiplyAdd(y, y, -y2);
        float residual = MathF.FusedMultiplyAdd(y2, y, -x) + (e * y);
        return y - (residual / (y2 * 3f));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> HalleyStep(Vector<float> y, Vector<float> x)
    {
        // Divide before multiplying by y: y·(y³ + 2x) would overflow near 1e29 and go subnormal near 1e-30.
        Vector<float> y3 = y * y * y;
        return y * ((y3 + x + x) / (y3 + y3 + x));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HalleyStep(float y, float x)
    {
        float y3 = y * y * y;
        return y * ((y3 + x + x) / (y3 + y3 + x));
    }

    /// <summary>
    /// x^(1/2.4) for positive normal lanes, as x^(1/4)·x^(1/6) = √√x · ∛√x: two exact square roots and one cube root,
    /// which is both faster and more accurate than exp(log(x)/2.4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> PowOneOver2Point4(Vector<float> x)
    {
        Vector<float> s = Vector.SquareRoot(x);
        return Vector.SquareRoot(s) * CbrtPositive(s);
    }

    /// <summary>Scalar twin of <see cref="PowOneOver2Point4(Vector{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float PowOneOver2Point4(float x)
    {
        float s = MathF.Sqrt(x);
        return MathF.Sqrt(s) * CbrtPositive(s);
    }

    /// <summary>Replaces lanes below <paramref name="lo"/>, above <paramref name="hi"/>, or NaN, by the bound (NaN becomes <paramref name="lo"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> ClampNaNToLow(Vector<float> v, Vector<float> lo, Vector<float> hi)
    {
        // Comparisons are false for NaN, so NaN falls to lo; Vector.Min/Max's NaN handling differs between ISAs.
        v = Vector.ConditionalSelect(Vector.GreaterThan(v, lo), v, lo);
        return Vector.ConditionalSelect(Vector.LessThan(v, hi), v, hi);
    }

    /// <summary>Scalar twin of <see cref="ClampNaNToLow(Vector{float}, Vector{float}, Vector{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ClampNaNToLow(float v, float lo, float hi)
    {
        v = v > lo ? v : lo;
        return v < hi ? v : hi;
    }
}
