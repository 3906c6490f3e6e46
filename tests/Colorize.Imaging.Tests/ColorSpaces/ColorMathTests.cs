using System.Numerics;
using Colorize.Imaging.ColorSpaces;
using Xunit.Abstractions;

namespace Colorize.Imaging.Tests.ColorSpaces;

/// <summary>The SIMD cube root and sRGB powers against the runtime's double-precision Math functions.</summary>
public sealed class ColorMathTests(ITestOutputHelper output)
{
    private static IEnumerable<float> LogSweep(double from, double to, int count)
    {
        double step = Math.Log(to / from) / (count - 1);
        for (int i = 0; i < count; i++)
        {
            yield return (float)(from * Math.Exp(i * step));
        }
    }

    [Fact]
    public void CbrtPositive_IsWithinOneUlpFrom1eMinus30To1e30()
    {
        float[] xs = [.. LogSweep(1e-30, 1e30, 60_000), 1f, 8f, 27f, 0.008856f, 1.0000001f, 0.99999994f];
        var got = new float[xs.Length];
        int i = 0;
        for (; i <= xs.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            ColorMath.CbrtPositive(new Vector<float>(xs, i)).CopyTo(got, i);
        }

        for (; i < xs.Length; i++)
        {
            got[i] = ColorMath.CbrtPositive(xs[i]);
        }

        double worstUlps = 0;
        for (int k = 0; k < xs.Length; k++)
        {
            double exact = Math.Cbrt(xs[k]);
            double ulp = MathF.BitIncrement((float)exact) - (float)exact;
            worstUlps = Math.Max(worstUlps, Math.Abs(got[k] - exact) / ulp);
            // The scalar twin gives the same bits as a vector lane.
            if (got[k] != ColorMath.CbrtPositive(xs[k]))
            {
                Assert.Fail($"scalar and vector cube roots differ at {xs[k]}");
            }
        }

        Assert.True(worstUlps <= 1, $"worst error {worstUlps} ulp");
        output.WriteLine($"cbrt: worst error {worstUlps:F2} ulp over {xs.Length} values");
    }

    [Fact]
    public void PowOneOver2Point4_IsWithinThreeUlps()
    {
        float[] xs = [.. LogSweep(0.0031308, 64, 30_000)];
        double worstUlps = 0;
        foreach (float x in xs)
        {
            double exact = Math.Pow(x, 1 / 2.4);
            double ulp = MathF.BitIncrement((float)exact) - (float)exact;
            worstUlps = Math.Max(worstUlps, Math.Abs(ColorMath.PowOneOver2Point4(x) - exact) / ulp);
        }

        Assert.True(worstUlps <= 3, $"worst error {worstUlps} ulp");
        output.WriteLine($"x^(1/2.4): worst error {worstUlps:F2} ulp");
    }

    [Fact]
    public void SrgbToLinear_FloatSpan_MatchesTheDoubleFormula()
    {
        float[] xs = [.. Enumerable.Range(0, 10_001).Select(i => i / 10_000f), -0.5f, 1.5f, 0.04045f, 0.0404501f];
        var lin = new float[xs.Length];
        SrgbTransfer.ToLinear(xs, lin);
        double worst = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            double exact = SrgbTransfer.ToLinear((double)xs[i]);
            worst = Math.Max(worst, Math.Abs(lin[i] - exact) / Math.Max(Math.Abs(exact), 1e-3));
        }

        Assert.True(worst < 1e-6, $"worst relative error {worst}");
        output.WriteLine($"sRGB → linear (float span): worst relative error {worst:G3}");
    }

    [Fact]
    public void LinearToSrgb_FloatSpan_MatchesTheDoubleFormulaAndClips()
    {
        float[] xs = [.. Enumerable.Range(0, 10_001).Select(i => i / 10_000f), -0.5f, 1.5f, 0.0031308f, float.NaN, float.PositiveInfinity, 1e-40f];
        var enc = new float[xs.Length];
        SrgbTransfer.FromLinearClipped(xs, enc);
        double worst = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            double exact = float.IsNaN(xs[i]) ? 0 : Math.Clamp(SrgbTransfer.FromLinear(Math.Clamp((double)xs[i], 0, 1)), 0, 1);
            worst = Math.Max(worst, Math.Abs(enc[i] - exact));
        }

        Assert.True(worst < 5e-7, $"worst error {worst}");
    }

    [Fact]
    public void SrgbEncode8_EqualsTheDoublePrecisionCodeForEveryTestedFloat()
    {
        // Around every step (±3 ulps), on a dense sweep, and at the special values.
        var xs = new List<float> { 0f, -0f, -1f, 1f, 1.0000001f, 2f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, 1e-30f, 0.0031308f };
        for (int k = 1; k <= 255; k++)
        {
            float t = SrgbEncode8.Threshold[k];
            xs.Add(t);
            float down = t, up = t;
            for (int i = 0; i < 3; i++)
            {
                down = MathF.BitDecrement(down);
                up = MathF.BitIncrement(up);
                xs.Add(down);
                xs.Add(up);
            }
        }

        for (int i = 0; i <= 200_000; i++)
        {
            xs.Add(i / 200_000f);
            xs.Add(MathF.Pow(i / 200_000f, 3));
        }

        foreach (float x in xs)
        {
            int want = float.IsNaN(x) ? 0 : SrgbEncode8.ExactCode(x);
            if (SrgbEncode8.Encode(x) != want)
            {
                Assert.Fail($"code of {x:R}: got {SrgbEncode8.Encode(x)}, exact {want}");
            }
        }

        // The thresholds are independent of our own encoder: each is where the double-precision code steps up.
        for (int k = 1; k <= 255; k++)
        {
            Assert.Equal(k, SrgbEncode8.ExactCode(SrgbEncode8.Threshold[k]));
            Assert.Equal(k - 1, SrgbEncode8.ExactCode(MathF.BitDecrement(SrgbEncode8.Threshold[k])));
        }
    }
}
