using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Colorize.Imaging.ColorSpaces;

/// <summary>
/// The sRGB transfer function (IEC 61966-2-1) between companded sRGB values and linear light, both on a 0…1 scale.
/// </summary>
/// <remarks>
/// Uses exactly the constants and branch tests of <c>skimage.color.rgb2xyz</c>/<c>xyz2rgb</c>: a value above
/// 0.04045 is decoded as ((v + 0.055)/1.055)^2.4, otherwise v/12.92; a linear value above 0.0031308 is encoded as
/// 1.055·v^(1/2.4) − 0.055, otherwise 12.92·v. Integer inputs go through lookup tables built once in double precision.
/// </remarks>
public static class SrgbTransfer
{
    /// <summary>Companded values above this are on the power segment when decoding.</summary>
    public const double DecodeThreshold = 0.04045;

    /// <summary>Linear values above this are on the power segment when encoding.</summary>
    public const double EncodeThreshold = 0.0031308;

    /// <summary>Slope of the linear segment.</summary>
    public const double LinearSlope = 12.92;

    /// <summary>Offset of the power segment.</summary>
    public const double Offset = 0.055;

    /// <summary>The power segment's exponent.</summary>
    public const double Gamma = 2.4;

    private static float[]? s_lut8;
    private static float[]? s_lut16;

    /// <summary>Decodes one companded sRGB value to linear light, in double precision (the reference form).</summary>
    /// <param name="value">Companded value, nominally 0…1.</param>
    /// <returns>Linear light.</returns>
    public static double ToLinear(double value) =>
        value > DecodeThreshold ? Math.Pow((value + Offset) / (1 + Offset), Gamma) : value / LinearSlope;

    /// <summary>Encodes one linear-light value to companded sRGB, in double precision, without clipping.</summary>
    /// <param name="linear">Linear light, nominally 0…1.</param>
    /// <returns>Companded value.</returns>
    public static double FromLinear(double linear) =>
        linear > EncodeThreshold ? ((1 + Offset) * Math.Pow(linear, 1 / Gamma)) - Offset : linear * LinearSlope;

    /// <summary>Linear light for each 8-bit code value (index v ↦ ToLinear(v/255)), built once.</summary>
    internal static ReadOnlySpan<float> Lut8 => s_lut8 ?? BuildLut(ref s_lut8, 256);

    /// <summary>Linear light for each 16-bit code value (index v ↦ ToLinear(v/65535)), built once (256 KiB).</summary>
    internal static ReadOnlySpan<float> Lut16 => s_lut16 ?? BuildLut(ref s_lut16, 65536);

    private static float[] BuildLut(ref float[]? slot, int size)
    {
        var table = new float[size];
        double max = size - 1;
        for (int i = 0; i < size; i++)
        {
            table[i] = (float)ToLinear(i / max);
        }

        // Racing threads build identical tables, so whichever wins is fine.
        Interlocked.CompareExchange(ref slot, table, null);
        return slot;
    }

    /// <summary>Decodes companded sRGB values to linear light (SIMD). Values are not clipped.</summary>
    /// <param name="source">Companded values.</param>
    /// <param name="destination">Linear values; may be the same span as <paramref name="source"/>.</param>
    /// <exception cref="ArgumentException">The destination is shorter than the source.</exception>
    public static void ToLinear(ReadOnlySpan<float> source, Span<float> destination)
    {
        CheckLengths(source, destination);
        ref float src = ref MemoryMarshal.GetReference(source);
        ref float dst = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= source.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.StoreUnsafe(ToLinear(Vector.LoadUnsafe(ref src, (nuint)i)), ref dst, (nuint)i);
            }
        }

        for (; i < source.Length; i++)
        {
            Unsafe.Add(ref dst, i) = ToLinear(Unsafe.Add(ref src, i));
        }
    }

    /// <summary>Encodes linear light to companded sRGB (SIMD), clipping the result to 0…1 as <c>skimage</c> does.</summary>
    /// <param name="source">Linear values.</param>
    /// <param name="destination">Companded values in 0…1; may be the same span as <paramref name="source"/>.</param>
    /// <exception cref="ArgumentException">The destination is shorter than the source.</exception>
    public static void FromLinearClipped(ReadOnlySpan<float> source, Span<float> destination)
    {
        CheckLengths(source, destination);
        ref float src = ref MemoryMarshal.GetReference(source);
        ref float dst = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= source.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.StoreUnsafe(FromLinearClipped(Vector.LoadUnsafe(ref src, (nuint)i)), ref dst, (nuint)i);
            }
        }

        for (; i < source.Length; i++)
        {
            Unsafe.Add(ref dst, i) = FromLinearClipped(Unsafe.Add(ref src, i));
        }
    }

    /// <summary>Decodes one lane group. The power is exp(2.4·ln t), accurate to a few float ulps on 0.0875…1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> ToLinear(Vector<float> v)
    {
        Vector<float> t = (v + new Vector<float>((float)Offset)) * new Vector<float>((float)(1 / (1 + Offset)));
        // Lanes on the linear segment may be ≤ 0 where Log gives NaN/−∞; the select below discards them.
        Vector<float> power = Vector.Exp(Vector.Log(t) * new Vector<float>((float)Gamma));
        Vector<float> linear = v * new Vector<float>((float)(1 / LinearSlope));
        return Vector.ConditionalSelect(Vector.GreaterThan(v, new Vector<float>((float)DecodeThreshold)), power, linear);
    }

    /// <summary>Scalar twin of <see cref="ToLinear(Vector{float})"/> (same formula; last-ulp differences possible).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float ToLinear(float v) =>
        v > (float)DecodeThreshold
            ? MathF.Exp(MathF.Log((v + (float)Offset) * (float)(1 / (1 + Offset))) * (float)Gamma)
            : v * (float)(1 / LinearSlope);

    /// <summary>Encodes and clips one lane group. The linear value is clipped to 0…1 first: encoding is monotonic and maps 0 → 0 and 1 → 1, so this equals clipping afterwards, and keeps huge or NaN inputs away from the power.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> FromLinearClipped(Vector<float> linear)
    {
        Vector<float> x = ColorMath.ClampNaNToLow(linear, Vector<float>.Zero, Vector<float>.One);
        // Lanes at 0 would make the cube root's guess meaningless; they take the linear branch anyway.
        Vector<float> safe = Vector.MaxNative(x, new Vector<float>((float)EncodeThreshold));
        Vector<float> power = (ColorMath.PowOneOver2Point4(safe) * new Vector<float>((float)(1 + Offset))) - new Vector<float>((float)Offset);
        Vector<float> lin = x * new Vector<float>((float)LinearSlope);
        Vector<float> encoded = Vector.ConditionalSelect(Vector.GreaterThan(x, new Vector<float>((float)EncodeThreshold)), power, lin);
        // 1.055·1^(1/2.4) − 0.055 may round a hair above 1.
        return Vector.MinNative(encoded, Vector<float>.One);
    }

    /// <summary>Scalar twin of <see cref="FromLinearClipped(Vector{float})"/>: the same operations, so the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float FromLinearClipped(float linear)
    {
        float x = ColorMath.ClampNaNToLow(linear, 0f, 1f);
        float encoded = x > (float)EncodeThreshold
            ? (ColorMath.PowOneOver2Point4(x) * (float)(1 + Offset)) - (float)Offset
            : x * (float)LinearSlope;
        return MathF.Min(encoded, 1f);
    }

    private static void CheckLengths(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values but the source has {source.Length}.", nameof(destination));
        }
    }
}
