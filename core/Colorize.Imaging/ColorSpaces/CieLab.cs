using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Colorize.Imaging.ColorSpaces;

/// <summary>
/// CIE L*a*b* (D65, 2° observer) ↔ XYZ and sRGB, reproducing <c>skimage.color.rgb2lab</c>/<c>lab2rgb</c>.
/// </summary>
/// <remarks>
/// <para>
/// Same constants and branch tests as skimage 0.19: the white point (0.95047, 1, 1.08883); f(t) = ∛t for
/// t &gt; 0.008856, else 7.787·t + 16/116; the inverse cubes values above 0.2068966 and otherwise computes
/// (f − 16/116)/7.787; a Lab colour whose f(Z) would be negative has it set to 0 first (skimage warns and does the
/// same); <see cref="ToSrgb(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float})"/>
/// clips each sRGB channel to 0…1, which is the gamut clamp.
/// </para>
/// <para>
/// The span methods compute in float with SIMD; against skimage's float64 results they stay within about 2e-5 in
/// L, a, b and 1e-6 in sRGB (the tests assert 1e-4). The scalar <see cref="double"/> methods follow skimage's
/// formulas in double precision.
/// </para>
/// <para>For the colorization pipeline's interleaved 8/16-bit images use <see cref="LabConverter"/>.</para>
/// </remarks>
public static class CieLab
{
    /// <summary>X of the D65 white point for the 2° observer, as skimage tabulates it (Y = 1).</summary>
    public const double WhiteX = 0.95047;

    /// <summary>Y of the white point.</summary>
    public const double WhiteY = 1.0;

    /// <summary>Z of the D65 white point for the 2° observer, as skimage tabulates it.</summary>
    public const double WhiteZ = 1.08883;

    /// <summary>Normalised XYZ values above this take the cube root in f(t).</summary>
    public const double Epsilon = 0.008856;

    /// <summary>Slope of f(t)'s linear segment.</summary>
    public const double LinearSlope = 7.787;

    /// <summary>f values above this are cubed by the inverse (skimage's constant, close to 6/29).</summary>
    public const double InverseThreshold = 0.2068966;

    /// <summary>Converts one sRGB colour (companded, 0…1) to Lab in double precision, exactly as skimage's <c>rgb2lab</c>.</summary>
    /// <param name="red">Red, 0…1.</param>
    /// <param name="green">Green, 0…1.</param>
    /// <param name="blue">Blue, 0…1.</param>
    /// <returns>L (0…100 for in-range input), a, b.</returns>
    public static (double L, double A, double B) FromSrgb(double red, double green, double blue)
    {
        var (x, y, z) = CieXyz.FromLinearRgb(SrgbTransfer.ToLinear(red), SrgbTransfer.ToLinear(green), SrgbTransfer.ToLinear(blue));
        return FromXyz(x, y, z);
    }

    /// <summary>Converts one Lab colour to sRGB (companded, clipped to 0…1) in double precision, exactly as skimage's <c>lab2rgb</c>.</summary>
    /// <param name="l">L.</param>
    /// <param name="a">a.</param>
    /// <param name="b">b.</param>
    /// <returns>Red, green, blue in 0…1.</returns>
    public static (double R, double G, double B) ToSrgb(double l, double a, double b)
    {
        var (x, y, z) = ToXyz(l, a, b);
        var (r, g, bl) = CieXyz.ToLinearRgb(x, y, z);
        return (Math.Clamp(SrgbTransfer.FromLinear(r), 0, 1), Math.Clamp(SrgbTransfer.FromLinear(g), 0, 1), Math.Clamp(SrgbTransfer.FromLinear(bl), 0, 1));
    }

    /// <summary>Converts one XYZ colour (Y = 1 for white) to Lab in double precision.</summary>
    /// <param name="x">X.</param>
    /// <param name="y">Y.</param>
    /// <param name="z">Z.</param>
    /// <returns>L, a, b.</returns>
    public static (double L, double A, double B) FromXyz(double x, double y, double z)
    {
        double fx = F(x / WhiteX), fy = F(y / WhiteY), fz = F(z / WhiteZ);
        return ((116 * fy) - 16, 500 * (fx - fy), 200 * (fy - fz));

        static double F(double t) => t > Epsilon ? Math.Cbrt(t) : (LinearSlope * t) + (16.0 / 116);
    }

    /// <summary>Converts one Lab colour to XYZ in double precision (a negative f(Z) is set to 0 first, as skimage does).</summary>
    /// <param name="l">L.</param>
    /// <param name="a">a.</param>
    /// <param name="b">b.</param>
    /// <returns>X, Y, Z (Y = 1 for white).</returns>
    public static (double X, double Y, double Z) ToXyz(double l, double a, double b)
    {
        double fy = (l + 16) / 116;
        double fx = (a / 500) + fy;
        double fz = fy - (b / 200);
        if (fz < 0)
        {
            fz = 0;
        }

        return (FInv(fx) * WhiteX, FInv(fy) * WhiteY, FInv(fz) * WhiteZ);

        static double FInv(double f) => f > InverseThreshold ? f * f * f : (f - (16.0 / 116)) / LinearSlope;
    }

    /// <summary>Converts planes of companded sRGB (0…1) to planes of Lab (SIMD).</summary>
    /// <param name="red">Red.</param>
    /// <param name="green">Green, as long as <paramref name="red"/>.</param>
    /// <param name="blue">Blue, as long as <paramref name="red"/>.</param>
    /// <param name="l">Receives L.</param>
    /// <param name="a">Receives a.</param>
    /// <param name="b">Receives b.</param>
    /// <exception cref="ArgumentException">A plane is shorter than <paramref name="red"/>.</exception>
    public static void FromSrgb(ReadOnlySpan<float> red, ReadOnlySpan<float> green, ReadOnlySpan<float> blue, Span<float> l, Span<float> a, Span<float> b)
    {
        PlaneChecks.SameLength(red.Length, green, blue, l, a, b);
        // Decode into the output planes, then convert in place: no scratch memory.
        SrgbTransfer.ToLinear(red, l);
        SrgbTransfer.ToLinear(green, a);
        SrgbTransfer.ToLinear(blue, b);
        LabKernels.LinearRgbToLab(ref MemoryMarshal.GetReference(l), ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b),
            ref MemoryMarshal.GetReference(l), ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), red.Length);
    }

    /// <summary>Converts planes of Lab to planes of companded sRGB clipped to 0…1 (SIMD), as skimage's <c>lab2rgb</c>.</summary>
    /// <param name="l">L.</param>
    /// <param name="a">a, as long as <paramref name="l"/>.</param>
    /// <param name="b">b, as long as <paramref name="l"/>.</param>
    /// <param name="red">Receives red.</param>
    /// <param name="green">Receives green.</param>
    /// <param name="blue">Receives blue.</param>
    /// <exception cref="ArgumentException">A plane is shorter than <paramref name="l"/>.</exception>
    public static void ToSrgb(ReadOnlySpan<float> l, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> red, Span<float> green, Span<float> blue)
    {
        PlaneChecks.SameLength(l.Length, a, b, red, green, blue);
        LabKernels.LabToLinearRgb(ref MemoryMarshal.GetReference(l), ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), 1f,
            ref MemoryMarshal.GetReference(red), ref MemoryMarshal.GetReference(green), ref MemoryMarshal.GetReference(blue), l.Length);
        SrgbTransfer.FromLinearClipped(red, red);
        SrgbTransfer.FromLinearClipped(green, green);
        SrgbTransfer.FromLinearClipped(blue, blue);
    }

    /// <summary>Converts planes of XYZ (Y = 1 for white) to planes of Lab (SIMD).</summary>
    /// <param name="x">X.</param>
    /// <param name="y">Y, as long as <paramref name="x"/>.</param>
    /// <param name="z">Z, as long as <paramref name="x"/>.</param>
    /// <param name="l">Receives L.</param>
    /// <param name="a">Receives a.</param>
    /// <param name="b">Receives b.</param>
    /// <exception cref="ArgumentException">A plane is shorter than <paramref name="x"/>.</exception>
    public static void FromXyz(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> z, Span<float> l, Span<float> a, Span<float> b)
    {
        PlaneChecks.SameLength(x.Length, y, z, l, a, b);
        LabKernels.XyzToLab(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), ref MemoryMarshal.GetReference(z),
            ref MemoryMarshal.GetReference(l), ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), x.Length);
    }

    /// <summary>Converts planes of Lab to planes of XYZ (SIMD), setting a negative f(Z) to 0 first as skimage does.</summary>
    /// <param name="l">L.</param>
    /// <param name="a">a, as long as <paramref name="l"/>.</param>
    /// <param name="b">b, as long as <paramref name="l"/>.</param>
    /// <param name="x">Receives X.</param>
    /// <param name="y">Receives Y.</param>
    /// <param name="z">Receives Z.</param>
    /// <exception cref="ArgumentException">A plane is shorter than <paramref name="l"/>.</exception>
    public static void ToXyz(ReadOnlySpan<float> l, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> x, Span<float> y, Span<float> z)
    {
        PlaneChecks.SameLength(l.Length, a, b, x, y, z);
        LabKernels.LabToXyz(ref MemoryMarshal.GetReference(l), ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b),
            ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), ref MemoryMarshal.GetReference(z), l.Length);
    }
}

/// <summary>
/// The Lab kernels on raw references, shared by the plane APIs and the interleaved fast paths. Every kernel reads a
/// lane group completely before writing it, so outputs may alias inputs.
/// </summary>
internal static class LabKernels
{
    private const float Eps = (float)CieLab.Epsilon;
    private const float Slope = (float)CieLab.LinearSlope;
    private const float Offset = 16f / 116f;
    private const float InvThreshold = (float)CieLab.InverseThreshold;

    // Linear RGB straight to XYZ divided by the white point: one matrix, with the division folded in (in double).
    private static readonly Matrix3 s_rgbToNormXyz = new(CieXyz.FromRgbMatrix, 1 / CieLab.WhiteX, 1 / CieLab.WhiteY, 1 / CieLab.WhiteZ);
    private static readonly Matrix3 s_normXyzToRgb = Matrix3.WithColumnScale(CieXyz.ToRgbMatrix, CieLab.WhiteX, CieLab.WhiteY, CieLab.WhiteZ);
    private static readonly Matrix3 s_whiteDiag = new([1, 0, 0, 0, 1, 0, 0, 0, 1], 1 / CieLab.WhiteX, 1 / CieLab.WhiteY, 1 / CieLab.WhiteZ);
    private static readonly Matrix3 s_whiteDiagInv = new([1, 0, 0, 0, 1, 0, 0, 0, 1], CieLab.WhiteX, CieLab.WhiteY, CieLab.WhiteZ);

    /// <summary>Y (relative luminance) of linear sRGB: the middle row of skimage's matrix (the white point's Y is 1).</summary>
    internal static float LuminanceR => (float)CieXyz.FromRgbMatrix[3];

    /// <inheritdoc cref="LuminanceR"/>
    internal static float LuminanceG => (float)CieXyz.FromRgbMatrix[4];

    /// <inheritdoc cref="LuminanceR"/>
    internal static float LuminanceB => (float)CieXyz.FromRgbMatrix[5];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> F(Vector<float> t)
    {
        var eps = new Vector<float>(Eps);
        // The cube root only sees lanes above epsilon; the others take the linear branch.
        Vector<float> cube = ColorMath.CbrtPositive(Vector.MaxNative(t, eps));
        Vector<float> lin = (t * new Vector<float>(Slope)) + new Vector<float>(Offset);
        return Vector.ConditionalSelect(Vector.GreaterThan(t, eps), cube, lin);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float F(float t) => t > Eps ? ColorMath.CbrtPositive(t) : (t * Slope) + Offset;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> FInv(Vector<float> f)
    {
        Vector<float> cube = f * f * f;
        Vector<float> lin = (f - new Vector<float>(Offset)) * new Vector<float>(1f / Slope);
        return Vector.ConditionalSelect(Vector.GreaterThan(f, new Vector<float>(InvThreshold)), cube, lin);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float FInv(float f) => f > InvThreshold ? f * f * f : (f - Offset) * (1f / Slope);

    /// <summary>Linear sRGB → Lab for <paramref name="count"/> pixels.</summary>
    public static void LinearRgbToLab(ref float r, ref float g, ref float b, ref float lOut, ref float aOut, ref float bOut, int count) =>
        ToLab(s_rgbToNormXyz, ref r, ref g, ref b, ref lOut, ref aOut, ref bOut, count);

    /// <summary>XYZ → Lab for <paramref name="count"/> pixels.</summary>
    public static void XyzToLab(ref float x, ref float y, ref float z, ref float lOut, ref float aOut, ref float bOut, int count) =>
        ToLab(s_whiteDiag, ref x, ref y, ref z, ref lOut, ref aOut, ref bOut, count);

    private static void ToLab(in Matrix3 m, ref float c0, ref float c1, ref float c2, ref float lOut, ref float aOut, ref float bOut, int count)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v0 = Vector.LoadUnsafe(ref c0, (nuint)i);
                var v1 = Vector.LoadUnsafe(ref c1, (nuint)i);
                var v2 = Vector.LoadUnsafe(ref c2, (nuint)i);
                Vector<float> fx = F(m.Row0(v0, v1, v2));
                Vector<float> fy = F(m.Row1(v0, v1, v2));
                Vector<float> fz = F(m.Row2(v0, v1, v2));
                Vector.StoreUnsafe((fy * new Vector<float>(116f)) - new Vector<float>(16f), ref lOut, (nuint)i);
                Vector.StoreUnsafe((fx - fy) * new Vector<float>(500f), ref aOut, (nuint)i);
                Vector.StoreUnsafe((fy - fz) * new Vector<float>(200f), ref bOut, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            float v0 = Unsafe.Add(ref c0, i), v1 = Unsafe.Add(ref c1, i), v2 = Unsafe.Add(ref c2, i);
            float fx = F(m.Row0(v0, v1, v2)), fy = F(m.Row1(v0, v1, v2)), fz = F(m.Row2(v0, v1, v2));
            Unsafe.Add(ref lOut, i) = (fy * 116f) - 16f;
            Unsafe.Add(ref aOut, i) = (fx - fy) * 500f;
            Unsafe.Add(ref bOut, i) = (fy - fz) * 200f;
        }
    }

    /// <summary>Linear sRGB → L only (one cube root per pixel instead of three).</summary>
    public static void LinearRgbToL(ref float r, ref float g, ref float b, ref float lOut, int count)
    {
        float wr = LuminanceR, wg = LuminanceG, wb = LuminanceB;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> y = (Vector.LoadUnsafe(ref r, (nuint)i) * new Vector<float>(wr))
                    + (Vector.LoadUnsafe(ref g, (nuint)i) * new Vector<float>(wg))
                    + (Vector.LoadUnsafe(ref b, (nuint)i) * new Vector<float>(wb));
                Vector.StoreUnsafe((F(y) * new Vector<float>(116f)) - new Vector<float>(16f), ref lOut, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            float y = (Unsafe.Add(ref r, i) * wr) + (Unsafe.Add(ref g, i) * wg) + (Unsafe.Add(ref b, i) * wb);
            Unsafe.Add(ref lOut, i) = (F(y) * 116f) - 16f;
        }
    }

    /// <summary>
    /// Lab → linear sRGB (unclipped) for <paramref name="count"/> pixels; a and b are multiplied by
    /// <paramref name="chromaScale"/> first (1 leaves them as they are).
    /// </summary>
    public static void LabToLinearRgb(ref float l, ref float a, ref float b, float chromaScale, ref float rOut, ref float gOut, ref float bOut, int count) =>
        FromLab(s_normXyzToRgb, ref l, ref a, ref b, chromaScale, ref rOut, ref gOut, ref bOut, count);

    /// <summary>L → relative luminance Y (linear, unclipped) for <paramref name="count"/> pixels; a and b do not affect Y.</summary>
    public static void LToLuminance(ref float l, ref float yOut, int count)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> fy = (Vector.LoadUnsafe(ref l, (nuint)i) + new Vector<float>(16f)) * new Vector<float>(1f / 116f);
                Vector.StoreUnsafe(FInv(fy), ref yOut, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref yOut, i) = FInv((Unsafe.Add(ref l, i) + 16f) * (1f / 116f));
        }
    }

    /// <summary>Lab → XYZ for <paramref name="count"/> pixels.</summary>
    public static void LabToXyz(ref float l, ref float a, ref float b, ref float xOut, ref float yOut, ref float zOut, int count) =>
        FromLab(s_whiteDiagInv, ref l, ref a, ref b, 1f, ref xOut, ref yOut, ref zOut, count);

    private static void FromLab(in Matrix3 m, ref float l, ref float a, ref float b, float chromaScale, ref float o0, ref float o1, ref float o2, int count)
    {
        float sa = chromaScale / 500f, sb = chromaScale / 200f;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> fy = (Vector.LoadUnsafe(ref l, (nuint)i) + new Vector<float>(16f)) * new Vector<float>(1f / 116f);
                Vector<float> fx = (Vector.LoadUnsafe(ref a, (nuint)i) * new Vector<float>(sa)) + fy;
                Vector<float> fz = fy - (Vector.LoadUnsafe(ref b, (nuint)i) * new Vector<float>(sb));
                fz = Vector.ConditionalSelect(Vector.LessThan(fz, Vector<float>.Zero), Vector<float>.Zero, fz);
                Vector<float> x = FInv(fx), y = FInv(fy), z = FInv(fz);
                Vector.StoreUnsafe(m.Row0(x, y, z), ref o0, (nuint)i);
                Vector.StoreUnsafe(m.Row1(x, y, z), ref o1, (nuint)i);
                Vector.StoreUnsafe(m.Row2(x, y, z), ref o2, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            float fy = (Unsafe.Add(ref l, i) + 16f) * (1f / 116f);
            float fx = (Unsafe.Add(ref a, i) * sa) + fy;
            float fz = fy - (Unsafe.Add(ref b, i) * sb);
            fz = fz < 0f ? 0f : fz;
            float x = FInv(fx), y = FInv(fy), z = FInv(fz);
            Unsafe.Add(ref o0, i) = m.Row0(x, y, z);
            Unsafe.Add(ref o1, i) = m.Row1(x, y, z);
            Unsafe.Add(ref o2, i) = m.Row2(x, y, z);
        }
    }
}
