using System.Numerics;
using System.Runtime.CompilerServices;

namespace Colorize.Imaging.ColorSpaces;

/// <summary>
/// <see cref="GamutMapping.PreserveLightness"/>: out-of-gamut pixels get their chroma reduced at constant L, so the
/// later per-channel clip has nothing left to change (and with it the pixel's lightness).
/// </summary>
internal static class GamutMapper
{
    /// <summary>Bisection steps: the chroma factor is then known to 1/1024, well under one 8-bit code of colour.</summary>
    internal const int Steps = 10;

    /// <summary>
    /// Linear values this far outside 0…1 still count as in gamut: float rounding of the matrix puts white a few ulps
    /// above 1, and the clip that follows changes such a pixel's luminance by at most this much (far below one code).
    /// </summary>
    private const float Tolerance = 1e-5f;

    /// <summary>
    /// Replaces, in <paramref name="r"/>, <paramref name="g"/>, <paramref name="bl"/> (linear sRGB that
    /// <see cref="LabKernels.LabToLinearRgb"/> computed from the same L, a, b and scale), every out-of-gamut pixel by the
    /// most chromatic in-gamut colour of the same L and hue found by bisection on the chroma factor. In-gamut pixels are
    /// not touched, so they keep the SIMD result bit for bit.
    /// </summary>
    public static void ReduceChroma(ref float l, ref float a, ref float b, float chromaScale, ref float r, ref float g, ref float bl, int count)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var low = new Vector<float>(-Tolerance);
            var high = new Vector<float>(1f + Tolerance);
            for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
            {
                var vr = Vector.LoadUnsafe(ref r, (nuint)i);
                var vg = Vector.LoadUnsafe(ref g, (nuint)i);
                var vb = Vector.LoadUnsafe(ref bl, (nuint)i);
                var outside = Vector.LessThan(vr, low) | Vector.GreaterThan(vr, high)
                    | Vector.LessThan(vg, low) | Vector.GreaterThan(vg, high)
                    | Vector.LessThan(vb, low) | Vector.GreaterThan(vb, high);
                if (outside == Vector<int>.Zero)
                {
                    continue;
                }

                for (int k = i; k < i + Vector<float>.Count; k++)
                {
                    FixPixel(ref l, ref a, ref b, chromaScale, ref r, ref g, ref bl, k);
                }
            }
        }

        for (; i < count; i++)
        {
            FixPixel(ref l, ref a, ref b, chromaScale, ref r, ref g, ref bl, i);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Inside(float r, float g, float b) =>
        r >= -Tolerance && r <= 1f + Tolerance && g >= -Tolerance && g <= 1f + Tolerance && b >= -Tolerance && b <= 1f + Tolerance;

    private static void FixPixel(ref float l, ref float a, ref float b, float chromaScale, ref float r, ref float g, ref float bl, int i)
    {
        if (Inside(Unsafe.Add(ref r, i), Unsafe.Add(ref g, i), Unsafe.Add(ref bl, i)))
        {
            return;
        }

        ref float lv = ref Unsafe.Add(ref l, i);
        ref float av = ref Unsafe.Add(ref a, i);
        ref float bv = ref Unsafe.Add(ref b, i);

        // Grey (factor 0) is in gamut for every L in 0…100; lo always stays an in-gamut factor. For an L outside
        // 0…100 nothing fits, lo ends at 0, and the clip that follows does what it can.
        float lo = 0f, hi = 1f;
        float tr = 0f, tg = 0f, tb = 0f;
        for (int step = 0; step < Steps; step++)
        {
            float mid = 0.5f * (lo + hi);
            LabKernels.LabToLinearRgb(ref lv, ref av, ref bv, chromaScale * mid, ref tr, ref tg, ref tb, 1);
            if (Inside(tr, tg, tb))
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        LabKernels.LabToLinearRgb(ref lv, ref av, ref bv, chromaScale * lo, ref tr, ref tg, ref tb, 1);
        Unsafe.Add(ref r, i) = tr;
        Unsafe.Add(ref g, i) = tg;
        Unsafe.Add(ref bl, i) = tb;
    }
}
