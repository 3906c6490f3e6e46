using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Colorize.Imaging.ColorSpaces;

/// <summary>
/// Linear light → 8-bit sRGB code, exactly: <c>floor(255·encode(x) + 0.5)</c> with the encoding evaluated in double
/// precision and clipped to 0…1, for every float x — without a power function.
/// </summary>
/// <remarks>
/// The 8-bit code is a step function of x with 255 steps. <see cref="Threshold"/> holds, for each code k, the smallest
/// float that reaches it; a 16 KiB table indexed by the exponent and top 7 mantissa bits of x (x clamped to [0, 1])
/// gives the code at the start of x's bucket, and since no bucket spans two steps (a bucket is 1/128 of its values,
/// which the encoding maps to less than 0.9 codes everywhere), one branch-free comparison with the next threshold
/// finishes.
/// </remarks>
internal static class SrgbEncode8
{
    /// <summary>Table entries: one per value of (float bits &gt;&gt; 16) from 0 up to that of 1.0 (0x3F80).</summary>
    private const int Buckets = 0x3F81;

    private static readonly float[] s_threshold = BuildThresholds();
    private static readonly byte[] s_bucketCode = BuildBuckets();

    /// <summary>Threshold[k] is the smallest float whose code is at least k (k = 1…255); Threshold[256] is +∞.</summary>
    internal static ReadOnlySpan<float> Threshold => s_threshold;

    /// <summary>The exact code of one linear value (NaN and negative values give 0, values ≥ 1 give 255).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Encode(float linear) => EncodeUnit(ColorMath.ClampNaNToLow(linear, 0f, 1f));

    /// <summary>The exact code of a value already in [0, 1] (not NaN), without a branch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte EncodeUnit(float unit)
    {
        int code = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(s_bucketCode), BitConverter.SingleToInt32Bits(unit) >> 16);
        float next = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(s_threshold), code + 1);
        // unit ≥ next exactly when unit − next is +0 or positive, i.e. its sign bit is clear (−∞ when next is +∞).
        return (byte)(code + 1 - (int)((uint)BitConverter.SingleToInt32Bits(unit - next) >> 31));
    }

    /// <summary>Clamps a span to [0, 1] in place (NaN becomes 0), with SIMD, ready for <see cref="EncodeUnit"/>.</summary>
    public static void ClampToUnit(Span<float> values)
    {
        ref float v = ref MemoryMarshal.GetReference(values);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.StoreUnsafe(ColorMath.ClampNaNToLow(Vector.LoadUnsafe(ref v, (nuint)i), Vector<float>.Zero, Vector<float>.One), ref v, (nuint)i);
            }
        }

        for (; i < values.Length; i++)
        {
            Unsafe.Add(ref v, i) = ColorMath.ClampNaNToLow(Unsafe.Add(ref v, i), 0f, 1f);
        }
    }

    /// <summary>The reference: the code of <paramref name="linear"/> computed in double precision.</summary>
    internal static int ExactCode(double linear)
    {
        double encoded = Math.Clamp(SrgbTransfer.FromLinear(Math.Clamp(linear, 0, 1)), 0, 1);
        return (int)Math.Floor((encoded * 255) + 0.5);
    }

    private static float[] BuildThresholds()
    {
        var thresholds = new float[257];
        for (int k = 1; k <= 255; k++)
        {
            // Start from the analytic boundary and walk to the exact smallest float reaching code k.
            double boundary = SrgbTransfer.ToLinear((k - 0.5) / 255);
            float f = (float)boundary;
            while (ExactCode(f) >= k && f > 0)
            {
                f = MathF.BitDecrement(f);
            }

            while (ExactCode(f) < k)
            {
                f = MathF.BitIncrement(f);
            }

            thresholds[k] = f;
        }

        thresholds[256] = float.PositiveInfinity;
        return thresholds;
    }

    private static byte[] BuildBuckets()
    {
        var codes = new byte[Buckets];
        for (int i = 0; i < Buckets; i++)
        {
            float start = BitConverter.Int32BitsToSingle(i << 16);
            codes[i] = (byte)ExactCode(start);
        }

        return codes;
    }
}
