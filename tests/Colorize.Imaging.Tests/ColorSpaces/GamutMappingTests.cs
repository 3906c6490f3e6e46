using Colorize.Imaging.ColorSpaces;
using Xunit.Abstractions;

namespace Colorize.Imaging.Tests.ColorSpaces;

/// <summary>
/// <see cref="GamutMapping.PreserveLightness"/> against <see cref="GamutMapping.Clip"/>: out-of-gamut Lab colours keep
/// their L (re-measured with the library's own ToLab) instead of shifting as per-channel clipping makes them, and
/// in-gamut colours come out bit for bit the same in both modes.
/// </summary>
public sealed class GamutMappingTests(ITestOutputHelper output)
{
    /// <summary>A grid of strongly coloured Lab values: L 10…95, every 15° of hue, chroma 60…150.</summary>
    private static (float[] L, float[] A, float[] B) SaturatedGrid()
    {
        var (l, a, b) = (new List<float>(), new List<float>(), new List<float>());
        for (int li = 10; li <= 95; li += 5)
        {
            for (int h = 0; h < 360; h += 15)
            {
                foreach (float c in new[] { 60f, 90f, 120f, 150f })
                {
                    l.Add(li);
                    a.Add(c * MathF.Cos(h * MathF.PI / 180f));
                    b.Add(c * MathF.Sin(h * MathF.PI / 180f));
                }
            }
        }

        return (l.ToArray(), a.ToArray(), b.ToArray());
    }

    /// <summary>Whether sRGB can show the Lab colour, in double precision, with <paramref name="margin"/> to spare (linear units).</summary>
    private static bool InGamut(double l, double a, double b, double margin)
    {
        var (x, y, z) = CieLab.ToXyz(l, a, b);
        var (r, g, bl) = CieXyz.ToLinearRgb(x, y, z);
        return r >= margin && r <= 1 - margin && g >= margin && g <= 1 - margin && bl >= margin && bl <= 1 - margin;
    }

    private static float[] MeasuredL(byte[] pixels, int n, InterleavedLayout layout)
    {
        var l = new float[n];
        LabConverter.ToLab(pixels, n, 1, pixels.Length, layout, l, [], [], n);
        return l;
    }

    private static byte[] Render(float[] l, float[] a, float[] b, InterleavedLayout layout, GamutMapping mapping, float chromaScale = 1f)
    {
        int n = l.Length;
        var pixels = new byte[n * layout.BytesPerPixel()];
        LabConverter.FromLab(l, a, b, n, 1, n, pixels, pixels.Length, layout, chromaScale, 1, mapping);
        return pixels;
    }

    [Theory]
    [InlineData(InterleavedLayout.Rgb24, 0.5)]
    [InlineData(InterleavedLayout.Bgra32, 0.5)]
    [InlineData(InterleavedLayout.Rgb48, 0.02)]
    public void OutOfGamut_PreserveLightness_KeepsL_ClipDoesNot(InterleavedLayout layout, double tolerance)
    {
        var (l, a, b) = SaturatedGrid();
        int n = l.Length;
        int outside = Enumerable.Range(0, n).Count(i => !InGamut(l[i], a[i], b[i], 0));
        Assert.True(outside > n / 2, $"the grid should be mostly out of gamut, {outside} of {n} are");

        float[] kept = MeasuredL(Render(l, a, b, layout, GamutMapping.PreserveLightness), n, layout);
        float[] clipped = MeasuredL(Render(l, a, b, layout, GamutMapping.Clip), n, layout);

        double worstKept = 0, worstClipped = 0;
        int shifted = 0;
        for (int i = 0; i < n; i++)
        {
            worstKept = Math.Max(worstKept, Math.Abs(kept[i] - l[i]));
            worstClipped = Math.Max(worstClipped, Math.Abs(clipped[i] - l[i]));
            if (Math.Abs(clipped[i] - l[i]) > 1)
            {
                shifted++;
            }
        }

        output.WriteLine($"{layout}: {outside}/{n} out of gamut; max |ΔL| kept {worstKept:F4}, clipped {worstClipped:F2} ({shifted} shifted by > 1)");
        Assert.True(worstKept <= tolerance, $"PreserveLightness moved L by {worstKept} (tolerance {tolerance})");
        Assert.True(shifted > outside / 4, $"clipping should shift L for many out-of-gamut colours; it did for {shifted} of {outside}");
    }

    [Fact]
    public void OutOfGamut_PreserveLightness_KeepsHueAndOnlyLowersChroma()
    {
        var (l, a, b) = SaturatedGrid();
        int n = l.Length;
        byte[] kept = Render(l, a, b, InterleavedLayout.Rgb48, GamutMapping.PreserveLightness);
        var (ml, ma, mb) = (new float[n], new float[n], new float[n]);
        LabConverter.ToLab(kept, n, 1, kept.Length, InterleavedLayout.Rgb48, ml, ma, mb, n);
        for (int i = 0; i < n; i++)
        {
            double inC = Math.Sqrt((a[i] * a[i]) + (b[i] * b[i])), outC = Math.Sqrt((ma[i] * ma[i]) + (mb[i] * mb[i]));
            Assert.True(outC <= inC + 0.1, $"#{i}: chroma grew from {inC} to {outC}");
            if (outC > 10)
            {
                double dh = Math.Abs(Math.IEEERemainder(Math.Atan2(mb[i], ma[i]) - Math.Atan2(b[i], a[i]), 2 * Math.PI)) * 180 / Math.PI;
                Assert.True(dh < 1, $"#{i} (L {l[i]}, a {a[i]}, b {b[i]}): hue moved by {dh}°");
            }

            if (InGamut(l[i], a[i], b[i], 0))
            {
                continue;
            }

            // Bisection keeps the largest factor found in gamut: within 1/1024 of the boundary, so well above 90 % of
            // the way there even after 16-bit rounding.
            double boundaryFactor = 0;
            for (double lo = 0, hi = 1, k = 0; k < 30; k++)
            {
                double mid = (lo + hi) / 2;
                if (InGamut(l[i], a[i] * mid, b[i] * mid, 0))
                {
                    lo = mid;
                }
                else
                {
                    hi = mid;
                }

                boundaryFactor = lo;
            }

            Assert.True(outC >= (boundaryFactor * inC) - 1, $"#{i}: chroma {outC} but the gamut allows {boundaryFactor * inC}");
        }
    }

    [Theory]
    [InlineData(InterleavedLayout.Rgb24)]
    [InlineData(InterleavedLayout.Bgra32)]
    [InlineData(InterleavedLayout.Rgb48)]
    [InlineData(InterleavedLayout.Gray8)]
    public void InGamutPixels_AreByteIdenticalInBothModes(InterleavedLayout layout)
    {
        // Every 8-bit colour's Lab (a 64³ subsample plus the extremes) is in gamut by construction; then a mix with
        // saturated ones, where only the pixels sRGB can show (with a margin against float noise) must agree.
        var rgb = new List<byte>();
        for (int r = 0; r < 256; r += 4)
        {
            for (int g = 0; g < 256; g += 4)
            {
                for (int bl = 0; bl < 256; bl += 4)
                {
                    rgb.AddRange([(byte)r, (byte)g, (byte)bl]);
                }
            }
        }

        rgb.AddRange([255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
        int n = rgb.Count / 3;
        var (l, a, b) = (new float[n], new float[n], new float[n]);
        LabConverter.ToLab(rgb.ToArray(), n, 1, rgb.Count, InterleavedLayout.Rgb24, l, a, b, n);
        Assert.Equal(Render(l, a, b, layout, GamutMapping.Clip), Render(l, a, b, layout, GamutMapping.PreserveLightness));

        var (sl, sa, sb) = SaturatedGrid();
        byte[] clip = Render(sl, sa, sb, layout, GamutMapping.Clip), keep = Render(sl, sa, sb, layout, GamutMapping.PreserveLightness);
        int bpp = layout.BytesPerPixel(), inside = 0;
        for (int i = 0; i < sl.Length; i++)
        {
            if (InGamut(sl[i], sa[i], sb[i], 1e-3))
            {
                inside++;
                Assert.Equal(clip.AsSpan(i * bpp, bpp).ToArray(), keep.AsSpan(i * bpp, bpp).ToArray());
            }
        }

        Assert.True(inside > 50, $"only {inside} in-gamut colours in the mix");
    }

    [Fact]
    public void ChromaScale_IsAppliedBeforeTheGamutMapping()
    {
        // Strength 2 pushes moderate colours out of gamut; the mapping must see the scaled colour and keep its L.
        var (l, a, b) = SaturatedGrid();
        var (ha, hb) = (a.Select(v => v * 0.5f).ToArray(), b.Select(v => v * 0.5f).ToArray());
        int n = l.Length;
        float[] kept = MeasuredL(Render(l, ha, hb, InterleavedLayout.Rgb24, GamutMapping.PreserveLightness, chromaScale: 2f), n, InterleavedLayout.Rgb24);
        Assert.All(Enumerable.Range(0, n), i => Assert.InRange(Math.Abs(kept[i] - l[i]), 0, 0.5));
        Assert.NotEqual(Render(l, ha, hb, InterleavedLayout.Rgb24, GamutMapping.Clip, 2f), Render(l, ha, hb, InterleavedLayout.Rgb24, GamutMapping.PreserveLightness, 2f));
    }

    [Fact]
    public void NonFiniteAndOutOfRangeL_StayValid_AndUnknownMappingThrows()
    {
        float[] l = [float.NaN, float.PositiveInfinity, 1e30f, -1e30f, 50, 120, -20];
        float[] a = [0, 0, 1e30f, float.NegativeInfinity, float.NaN, 80, 80];
        float[] b = [0, 0, -1e30f, 0, 0, 0, 0];
        byte[] rgb = Render(l, a, b, InterleavedLayout.Rgb24, GamutMapping.PreserveLightness);
        Assert.Equal(0, rgb[0]);
        Assert.Equal([255, 255, 255], rgb[15..18]); // L above 100 has no colour at all: grey clipped to white.
        Assert.Equal([0, 0, 0], rgb[18..21]);
        var plane = new float[10];
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            LabConverter.FromLab(plane, plane, plane, 10, 1, 10, new byte[30], 30, InterleavedLayout.Rgb24, 1f, 1, (GamutMapping)7));
    }
}
