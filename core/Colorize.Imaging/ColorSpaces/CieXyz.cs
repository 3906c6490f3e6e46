using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Colorize.Imaging.ColorSpaces;

/// <summary>
/// Linear sRGB ↔ CIE XYZ (D65), with the matrix <c>skimage.color</c> uses.
/// </summary>
/// <remarks>
/// The forward matrix is skimage's <c>xyz_from_rgb</c> (the sRGB specification's rounded coefficients, rows summing to
/// (0.950456, 1.000000, 1.088754)); the inverse is its exact double-precision inverse, as skimage computes it with
/// <c>linalg.inv</c>. XYZ is on the scale where the white of Y is 1.
/// </remarks>
public static class CieXyz
{
    /// <summary>Row-major linear-sRGB → XYZ matrix (skimage's <c>xyz_from_rgb</c>).</summary>
    internal static readonly double[] FromRgbMatrix =
    [
        0.412453, 0.357580, 0.180423,
        0.212671, 0.715160, 0.072169,
        0.019334, 0.119193, 0.950227,
    ];

    /// <summary>Row-major XYZ → linear-sRGB matrix, the double-precision inverse of <see cref="FromRgbMatrix"/>.</summary>
    internal static readonly double[] ToRgbMatrix = Invert3x3(FromRgbMatrix);

    /// <summary>Converts one linear-sRGB colour to XYZ in double precision.</summary>
    /// <param name="red">Linear red.</param>
    /// <param name="green">Linear green.</param>
    /// <param name="blue">Linear blue.</param>
    /// <returns>X, Y, Z with Y = 1 for white.</returns>
    public static (double X, double Y, double Z) FromLinearRgb(double red, double green, double blue)
    {
        double[] m = FromRgbMatrix;
        return ((m[0] * red) + (m[1] * green) + (m[2] * blue),
                (m[3] * red) + (m[4] * green) + (m[5] * blue),
                (m[6] * red) + (m[7] * green) + (m[8] * blue));
    }

    /// <summary>Converts one XYZ colour to linear sRGB in double precision, without clipping.</summary>
    /// <param name="x">X.</param>
    /// <param name="y">Y.</param>
    /// <param name="z">Z.</param>
    /// <returns>Linear red, green, blue (may fall outside 0…1 for colours outside the sRGB gamut).</returns>
    public static (double R, double G, double B) ToLinearRgb(double x, double y, double z)
    {
        double[] m = ToRgbMatrix;
        return ((m[0] * x) + (m[1] * y) + (m[2] * z),
                (m[3] * x) + (m[4] * y) + (m[5] * z),
                (m[6] * x) + (m[7] * y) + (m[8] * z));
    }

    /// <summary>Converts planes of linear sRGB to planes of XYZ (SIMD).</summary>
    /// <param name="red">Linear red.</param>
    /// <param name="green">Linear green, as long as <paramref name="red"/>.</param>
    /// <param name="blue">Linear blue, as long as <paramref name="red"/>.</param>
    /// <param name="x">Receives X.</param>
    /// <param name="y">Receives Y.</param>
    /// <param name="z">Receives Z.</param>
    /// <exception cref="ArgumentException">A plane is shorter than <paramref name="red"/>.</exception>
    public static void FromLinearRgb(ReadOnlySpan<float> red, ReadOnlySpan<float> green, ReadOnlySpan<float> blue, Span<float> x, Span<float> y, Span<float> z)
    {
        PlaneChecks.SameLength(red.Length, green, blue, x, y, z);
        Transform(FromRgbMatrix, red, green, blue, x, y, z);
    }

    /// <summary>Converts planes of XYZ to planes of linear sRGB (SIMD), without clipping.</summary>
    /// <param name="x">X.</param>
    /// <param name="y">Y, as long as <paramref name="x"/>.</param>
    /// <param name="z">Z, as long as <paramref name="x"/>.</param>
    /// <param name="red">Receives linear red.</param>
    /// <param name="green">Receives linear green.</param>
    /// <param name="blue">Receives linear blue.</param>
    /// <exception cref="ArgumentException">A plane is shorter than <paramref name="x"/>.</exception>
    public static void ToLinearRgb(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> z, Span<float> red, Span<float> green, Span<float> blue)
    {
        PlaneChecks.SameLength(x.Length, y, z, red, green, blue);
        Transform(ToRgbMatrix, x, y, z, red, green, blue);
    }

    private static void Transform(double[] matrix, ReadOnlySpan<float> in0, ReadOnlySpan<float> in1, ReadOnlySpan<float> in2, Span<float> out0, Span<float> out1, Span<float> out2)
    {
        var m = new Matrix3(matrix, 1, 1, 1);
        ref float i0 = ref MemoryMarshal.GetReference(in0);
        ref float i1 = ref MemoryMarshal.GetReference(in1);
        ref float i2 = ref MemoryMarshal.GetReference(in2);
        ref float o0 = ref MemoryMarshal.GetReference(out0);
        ref float o1 = ref MemoryMarshal.GetReference(out1);
        ref float o2 = ref MemoryMarshal.GetReference(out2);
        int n = in0.Length;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var a = Vector.LoadUnsafe(ref i0, (nuint)i);
                var b = Vector.LoadUnsafe(ref i1, (nuint)i);
                var c = Vector.LoadUnsafe(ref i2, (nuint)i);
                // Compute all three outputs before storing: the caller may pass the input planes as outputs.
                var r0 = m.Row0(a, b, c);
                var r1 = m.Row1(a, b, c);
                var r2 = m.Row2(a, b, c);
                Vector.StoreUnsafe(r0, ref o0, (nuint)i);
                Vector.StoreUnsafe(r1, ref o1, (nuint)i);
                Vector.StoreUnsafe(r2, ref o2, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float a = Unsafe.Add(ref i0, i), b = Unsafe.Add(ref i1, i), c = Unsafe.Add(ref i2, i);
            Unsafe.Add(ref o0, i) = m.Row0(a, b, c);
            Unsafe.Add(ref o1, i) = m.Row1(a, b, c);
            Unsafe.Add(ref o2, i) = m.Row2(a, b, c);
        }
    }

    private static double[] Invert3x3(double[] m)
    {
        // Cofactor expansion; for this well-conditioned matrix it agrees with LAPACK's LU inverse to ~1e-16.
        double a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5], g = m[6], h = m[7], k = m[8];
        double c00 = (e * k) - (f * h), c01 = (c * h) - (b * k), c02 = (b * f) - (c * e);
        double c10 = (f * g) - (d * k), c11 = (a * k) - (c * g), c12 = (c * d) - (a * f);
        double c20 = (d * h) - (e * g), c21 = (b * g) - (a * h), c22 = (a * e) - (b * d);
        double det = (a * c00) + (b * c10) + (c * c20);
        return [c00 / det, c01 / det, c02 / det, c10 / det, c11 / det, c12 / det, c20 / det, c21 / det, c22 / det];
    }
}

/// <summary>A 3×3 matrix as float lanes, optionally with its rows scaled (to fold in a white point) and its columns scaled.</summary>
internal readonly struct Matrix3
{
    private readonly float _m00, _m01, _m02, _m10, _m11, _m12, _m20, _m21, _m22;

    /// <summary>Takes a row-major double matrix and multiplies row i by <paramref name="rowScale0"/>… (computed in double, then rounded once).</summary>
    public Matrix3(double[] m, double rowScale0, double rowScale1, double rowScale2)
    {
        _m00 = (float)(m[0] * rowScale0); _m01 = (float)(m[1] * rowScale0); _m02 = (float)(m[2] * rowScale0);
        _m10 = (float)(m[3] * rowScale1); _m11 = (float)(m[4] * rowScale1); _m12 = (float)(m[5] * rowScale1);
        _m20 = (float)(m[6] * rowScale2); _m21 = (float)(m[7] * rowScale2); _m22 = (float)(m[8] * rowScale2);
    }

    /// <summary>Takes a row-major double matrix and multiplies column j by the given scales (computed in double, then rounded once).</summary>
    public static Matrix3 WithColumnScale(double[] m, double s0, double s1, double s2) =>
        new([m[0] * s0, m[1] * s1, m[2] * s2, m[3] * s0, m[4] * s1, m[5] * s2, m[6] * s0, m[7] * s1, m[8] * s2], 1, 1, 1);

    public Vector<float> Row0(Vector<float> a, Vector<float> b, Vector<float> c) => (a * new Vector<float>(_m00)) + (b * new Vector<float>(_m01)) + (c * new Vector<float>(_m02));

    public Vector<float> Row1(Vector<float> a, Vector<float> b, Vector<float> c) => (a * new Vector<float>(_m10)) + (b * new Vector<float>(_m11)) + (c * new Vector<float>(_m12));

    public Vector<float> Row2(Vector<float> a, Vector<float> b, Vector<float> c) => (a * new Vector<float>(_m20)) + (b * new Vector<float>(_m21)) + (c * new Vector<float>(_m22));

    public float Row0(float a, float b, float c) => (a * _m00) + (b * _m01) + (c * _m02);

    public float Row1(float a, float b, float c) => (a * _m10) + (b * _m11) + (c * _m12);

    public float Row2(float a, float b, float c) => (a * _m20) + (b * _m21) + (c * _m22);
}

/// <summary>Argument checks shared by the plane-based APIs.</summary>
internal static class PlaneChecks
{
    public static void SameLength(int length, ReadOnlySpan<float> p1, ReadOnlySpan<float> p2, Span<float> o0, Span<float> o1, Span<float> o2)
    {
        if (p1.Length < length || p2.Length < length || o0.Length < length || o1.Length < length || o2.Length < length)
        {
            throw new ArgumentException($"Every plane must hold at least {length} values (the length of the first input plane).");
        }
    }
}
