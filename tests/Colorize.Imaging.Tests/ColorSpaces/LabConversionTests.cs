using Colorize.Imaging.ColorSpaces;
using Xunit.Abstractions;

namespace Colorize.Imaging.Tests.ColorSpaces;

/// <summary>
/// sRGB ↔ XYZ ↔ Lab against skimage 0.19's rgb2lab / lab2rgb / rgb2xyz / xyz2lab / lab2xyz / xyz2rgb (float64),
/// through every public path: scalar double, float planes, interleaved 8/16-bit and grey layouts.
/// </summary>
public sealed class LabConversionTests(ITestOutputHelper output)
{
    // skimage computes in float64; we compute in float32 and the fixture stores float32. L, a, b reach ±~200, so
    // 1e-4 absolute is about 6e-7 relative: a few float ulps of headroom over what the tests observe (≈2e-5).
    private const double LabTolerance = 1e-4;

    private static ReferenceFixture Ref => ReferenceFixture.Load("colour.bin.gz");

    [Fact]
    public void ToLab_Rgb24_MatchesSkimage()
    {
        byte[] rgb = Ref.Bytes("rgb8");
        float[] expected = Ref.Floats("lab_of_rgb8");
        int n = rgb.Length / 3;
        var (l, a, b) = (new float[n], new float[n], new float[n]);

        LabConverter.ToLab(rgb, n, 1, rgb.Length, InterleavedLayout.Rgb24, l, a, b, n);

        Report("Rgb24 → Lab", expected, l, a, b);
    }

    [Theory]
    [InlineData(InterleavedLayout.Bgr24)]
    [InlineData(InterleavedLayout.Rgba32)]
    [InlineData(InterleavedLayout.Bgra32)]
    public void ToLab_OtherByteOrders_MatchSkimage(InterleavedLayout layout)
    {
        byte[] rgb = Ref.Bytes("rgb8");
        float[] expected = Ref.Floats("lab_of_rgb8");
        int n = rgb.Length / 3;
        int bpp = layout.BytesPerPixel();
        var pixels = new byte[n * bpp];
        bool bgr = layout is InterleavedLayout.Bgr24 or InterleavedLayout.Bgra32;
        for (int i = 0; i < n; i++)
        {
            pixels[(i * bpp) + (bgr ? 2 : 0)] = rgb[3 * i];
            pixels[(i * bpp) + 1] = rgb[(3 * i) + 1];
            pixels[(i * bpp) + (bgr ? 0 : 2)] = rgb[(3 * i) + 2];
            if (bpp == 4)
            {
                pixels[(i * bpp) + 3] = (byte)(i * 37); // alpha must not matter
            }
        }

        // Lay the same pixels out as a 2-D image with padded rows, to exercise the strides.
        int width = 41, height = (n + width - 1) / width, stride = (width * bpp) + 5, planeStride = width + 3;
        var image = new byte[stride * height];
        for (int i = 0; i < n; i++)
        {
            Array.Copy(pixels, i * bpp, image, ((i / width) * stride) + ((i % width) * bpp), bpp);
        }

        var (l, a, b) = (new float[planeStride * height], new float[planeStride * height], new float[planeStride * height]);
        LabConverter.ToLab(image, width, height, stride, layout, l, a, b, planeStride);

        var (el, ea, eb) = Compare.Planes(expected);
        for (int i = 0; i < n; i++)
        {
            int p = ((i / width) * planeStride) + (i % width);
            Assert.True(Math.Abs(l[p] - el[i]) <= LabTolerance && Math.Abs(a[p] - ea[i]) <= LabTolerance && Math.Abs(b[p] - eb[i]) <= LabTolerance,
                $"{layout} pixel {i}: got ({l[p]}, {a[p]}, {b[p]}), skimage ({el[i]}, {ea[i]}, {eb[i]}).");
        }
    }

    [Fact]
    public void ToLab_LightnessOnly_MatchesSkimage()
    {
        byte[] rgb = Ref.Bytes("rgb8");
        var (expectedL, _, _) = Compare.Planes(Ref.Floats("lab_of_rgb8"));
        int n = rgb.Length / 3;
        var l = new float[n];

        LabConverter.ToLab(rgb, n, 1, rgb.Length, InterleavedLayout.Rgb24, l, default, default, n);

        output.WriteLine($"Rgb24 → L only: max |ΔL| {Compare.MaxAbs(expectedL, l, LabTolerance, "L"):G3}");
    }

    [Fact]
    public void ToLab_Rgb48_MatchesSkimage()
    {
        ushort[] rgb = Ref.UInt16s("rgb16");
        float[] expected = Ref.Floats("lab_of_rgb16");
        int n = rgb.Length / 3;
        var (l, a, b) = (new float[n], new float[n], new float[n]);
        byte[] bytes = new byte[rgb.Length * 2];
        Buffer.BlockCopy(rgb, 0, bytes, 0, bytes.Length);

        LabConverter.ToLab(bytes, n, 1, bytes.Length, InterleavedLayout.Rgb48, l, a, b, n);

        Report("Rgb48 → Lab", expected, l, a, b);
    }

    [Fact]
    public void ToLab_Rgba64_IgnoresAlpha()
    {
        ushort[] rgb = Ref.UInt16s("rgb16");
        float[] expected = Ref.Floats("lab_of_rgb16");
        int n = rgb.Length / 3;
        var rgba = new ushort[n * 4];
        for (int i = 0; i < n; i++)
        {
            rgba[4 * i] = rgb[3 * i];
            rgba[(4 * i) + 1] = rgb[(3 * i) + 1];
            rgba[(4 * i) + 2] = rgb[(3 * i) + 2];
            rgba[(4 * i) + 3] = (ushort)(i * 7919);
        }

        byte[] bytes = new byte[rgba.Length * 2];
        Buffer.BlockCopy(rgba, 0, bytes, 0, bytes.Length);
        var (l, a, b) = (new float[n], new float[n], new float[n]);

        LabConverter.ToLab(bytes, n, 1, bytes.Length, InterleavedLayout.Rgba64, l, a, b, n);

        Report("Rgba64 → Lab", expected, l, a, b);
    }

    [Fact]
    public void ToLab_Gray8_MatchesSkimageForEveryLevel()
    {
        byte[] levels = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var (l, a, b) = (new float[256], new float[256], new float[256]);

        LabConverter.ToLab(levels, 256, 1, 256, InterleavedLayout.Gray8, l, a, b, 256);

        Report("Gray8 → Lab", Ref.Floats("lab_of_gray8"), l, a, b);
    }

    [Fact]
    public void ToLab_Gray16_MatchesSkimage()
    {
        ushort[] levels = Ref.UInt16s("gray16");
        int n = levels.Length;
        byte[] bytes = new byte[n * 2];
        Buffer.BlockCopy(levels, 0, bytes, 0, bytes.Length);
        var (l, a, b) = (new float[n], new float[n], new float[n]);

        LabConverter.ToLab(bytes, n, 1, bytes.Length, InterleavedLayout.Gray16, l, a, b, n);

        Report("Gray16 → Lab", Ref.Floats("lab_of_gray16"), l, a, b);
    }

    [Fact]
    public void FromSrgb_FloatPlanes_MatchesSkimage()
    {
        var (r, g, bl) = Compare.Planes(Ref.Floats("rgbf"));
        int n = r.Length;
        var (l, a, b) = (new float[n], new float[n], new float[n]);

        CieLab.FromSrgb(r, g, bl, l, a, b);

        Report("float sRGB → Lab", Ref.Floats("lab_of_rgbf"), l, a, b);
    }

    [Fact]
    public void FromSrgb_Double_MatchesSkimage()
    {
        float[] rgb = Ref.Floats("rgbf");
        float[] expected = Ref.Floats("lab_of_rgbf");
        double worst = 0;
        for (int i = 0; i < rgb.Length / 3; i++)
        {
            var (l, a, b) = CieLab.FromSrgb(rgb[3 * i], rgb[(3 * i) + 1], rgb[(3 * i) + 2]);
            worst = Math.Max(worst, Math.Max(Math.Abs(l - expected[3 * i]), Math.Max(Math.Abs(a - expected[(3 * i) + 1]), Math.Abs(b - expected[(3 * i) + 2]))));
        }

        // Only the fixture's float32 rounding separates the two double computations.
        Assert.True(worst < 2e-5, $"max error {worst}");
        output.WriteLine($"double sRGB → Lab: max error {worst:G3}");
    }

    [Fact]
    public void XyzPath_MatchesSkimage()
    {
        var (r, g, bl) = Compare.Planes(Ref.Floats("rgbf"));
        int n = r.Length;
        var (lr, lg, lb) = (new float[n], new float[n], new float[n]);
        SrgbTransfer.ToLinear(r, lr);
        SrgbTransfer.ToLinear(g, lg);
        SrgbTransfer.ToLinear(bl, lb);
        var (x, y, z) = (new float[n], new float[n], new float[n]);

        CieXyz.FromLinearRgb(lr, lg, lb, x, y, z);
        var (ex, ey, ez) = Compare.Planes(Ref.Floats("xyz_of_rgbf"));
        double e1 = Math.Max(Compare.MaxAbs(ex, x, 2e-6, "X"), Math.Max(Compare.MaxAbs(ey, y, 2e-6, "Y"), Compare.MaxAbs(ez, z, 2e-6, "Z")));

        // XYZ → Lab from skimage's own XYZ (rounded to float), so this isolates xyz2lab.
        var (l, a, b) = (new float[n], new float[n], new float[n]);
        CieLab.FromXyz(ex, ey, ez, l, a, b);
        var (el, ea, eb) = Compare.Planes(Ref.Floats("lab_of_xyz"));
        double e2 = Math.Max(Compare.MaxAbs(el, l, LabTolerance, "L"), Math.Max(Compare.MaxAbs(ea, a, LabTolerance, "a"), Compare.MaxAbs(eb, b, LabTolerance, "b")));
        output.WriteLine($"sRGB → XYZ max error {e1:G3}; XYZ → Lab max error {e2:G3}");
    }

    [Fact]
    public void ToSrgb_FloatPlanes_MatchesSkimageIncludingGamutClipping()
    {
        var (l, a, b) = Compare.Planes(Ref.Floats("lab"));
        int n = l.Length;
        var (r, g, bl) = (new float[n], new float[n], new float[n]);

        CieLab.ToSrgb(l, a, b, r, g, bl);

        var (er, eg, eb) = Compare.Planes(Ref.Floats("rgb_of_lab"));
        double worst = Math.Max(Compare.MaxAbs(er, r, 1e-5, "R"), Math.Max(Compare.MaxAbs(eg, g, 1e-5, "G"), Compare.MaxAbs(eb, bl, 1e-5, "B")));
        output.WriteLine($"Lab → float sRGB (clipped): max error {worst:G3} on a 0…1 scale");
    }

    [Fact]
    public void ToSrgb_Double_MatchesSkimage()
    {
        float[] lab = Ref.Floats("lab");
        float[] expected = Ref.Floats("rgb_of_lab");
        double worst = 0;
        for (int i = 0; i < lab.Length / 3; i++)
        {
            var (r, g, b) = CieLab.ToSrgb(lab[3 * i], lab[(3 * i) + 1], lab[(3 * i) + 2]);
            worst = Math.Max(worst, Math.Max(Math.Abs(r - expected[3 * i]), Math.Max(Math.Abs(g - expected[(3 * i) + 1]), Math.Abs(b - expected[(3 * i) + 2]))));
        }

        Assert.True(worst < 1e-7, $"max error {worst}");
    }

    [Fact]
    public void ToXyz_AndXyzToSrgb_MatchSkimage()
    {
        var (l, a, b) = Compare.Planes(Ref.Floats("lab"));
        int n = l.Length;
        var (x, y, z) = (new float[n], new float[n], new float[n]);

        CieLab.ToXyz(l, a, b, x, y, z);
        var (ex, ey, ez) = Compare.Planes(Ref.Floats("xyz_of_lab"));
        // XYZ of far-out-of-gamut Lab reaches ~30; compare relative to that scale.
        double e1 = Math.Max(Compare.MaxAbs(ex, x, 1e-5, "X"), Math.Max(Compare.MaxAbs(ey, y, 1e-5, "Y"), Compare.MaxAbs(ez, z, 1e-5, "Z")));

        var (ix, iy, iz) = Compare.Planes(Ref.Floats("xyz_in"));
        var (r, g, bl) = (new float[n], new float[n], new float[n]);
        CieXyz.ToLinearRgb(ix, iy, iz, r, g, bl);
        SrgbTransfer.FromLinearClipped(r, r);
        SrgbTransfer.FromLinearClipped(g, g);
        SrgbTransfer.FromLinearClipped(bl, bl);
        var (er, eg, eb) = Compare.Planes(Ref.Floats("rgb_of_xyz"));
        double e2 = Math.Max(Compare.MaxAbs(er, r, 1e-5, "R"), Math.Max(Compare.MaxAbs(eg, g, 1e-5, "G"), Compare.MaxAbs(eb, bl, 1e-5, "B")));
        output.WriteLine($"Lab → XYZ max error {e1:G3}; XYZ → sRGB max error {e2:G3}");
    }

    [Theory]
    [InlineData(InterleavedLayout.Rgb24)]
    [InlineData(InterleavedLayout.Bgra32)]
    public void FromLab_8Bit_IsSkimageRoundedToNearest(InterleavedLayout layout)
    {
        var (l, a, b) = Compare.Planes(Ref.Floats("lab"));
        float[] expected = Ref.Floats("rgb_of_lab");
        int n = l.Length, bpp = layout.BytesPerPixel();
        var pixels = new byte[n * bpp];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = 0xA5;
        }

        LabConverter.FromLab(l, a, b, n, 1, n, pixels, pixels.Length, layout);

        int worst = 0, offByOne = 0;
        (int ro, int go, int bo) = layout == InterleavedLayout.Bgra32 ? (2, 1, 0) : (0, 1, 2);
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                int want = (int)Math.Floor((expected[(3 * i) + c] * 255.0) + 0.5);
                int got = pixels[(i * bpp) + (c == 0 ? ro : c == 1 ? go : bo)];
                int d = Math.Abs(got - want);
                worst = Math.Max(worst, d);
                offByOne += d == 1 ? 1 : 0;
            }

            if (bpp == 4)
            {
                Assert.Equal(0xA5, pixels[(i * bpp) + 3]);
            }
        }

        // A difference can only come from a value within float error of a rounding boundary.
        Assert.True(worst <= 1 && offByOne <= n * 3 / 1000, $"max difference {worst}, {offByOne} values off by one");
        output.WriteLine($"Lab → {layout}: max difference {worst}, {offByOne} of {3 * n} channel values off by one");
    }

    [Fact]
    public void FromLab_Rgb48_IsSkimageRoundedToNearest()
    {
        var (l, a, b) = Compare.Planes(Ref.Floats("lab"));
        float[] expected = Ref.Floats("rgb_of_lab");
        int n = l.Length;
        var bytes = new byte[n * 6];

        LabConverter.FromLab(l, a, b, n, 1, n, bytes, bytes.Length, InterleavedLayout.Rgb48);

        var got = new ushort[n * 3];
        Buffer.BlockCopy(bytes, 0, got, 0, bytes.Length);
        var want = expected.Select(v => (int)Math.Floor((v * 65535.0) + 0.5)).ToArray();
        int worst = Compare.MaxAbs(want, Compare.Ints(got), 2, "Rgb48");
        output.WriteLine($"Lab → Rgb48: max difference {worst} (of 65535)");
    }

    [Fact]
    public void FromLab_Gray8_IsTheLuminanceOfL()
    {
        float[] l = [0, 1, 8, 25, 50, 75, 99.5f, 100, 120, -3];
        var zeros = new float[l.Length];
        var gray = new byte[l.Length];

        LabConverter.FromLab(l, zeros, zeros, l.Length, 1, l.Length, gray, gray.Length, InterleavedLayout.Gray8);

        for (int i = 0; i < l.Length; i++)
        {
            var (x, y, z) = CieLab.ToXyz(l[i], 0, 0);
            int want = (int)Math.Floor((Math.Clamp(SrgbTransfer.FromLinear(y), 0, 1) * 255) + 0.5);
            Assert.InRange(gray[i], want - 1, want + 1);
        }
    }

    [Fact]
    public void RoundTrip_Rgb24_ReproducesEveryTestedColourExactly()
    {
        // Every 8-bit colour on a grid of step 5 (52³ = 140 608 colours) plus the cube's far faces.
        var values = Enumerable.Range(0, 52).Select(i => (byte)(i * 5)).Append((byte)255).ToArray();
        int n = values.Length * values.Length * values.Length;
        var rgb = new byte[n * 3];
        int k = 0;
        foreach (byte r in values)
        {
            foreach (byte g in values)
            {
                foreach (byte b in values)
                {
                    rgb[k++] = r;
                    rgb[k++] = g;
                    rgb[k++] = b;
                }
            }
        }

        int width = values.Length * values.Length, height = values.Length;
        var (pl, pa, pb) = (new float[n], new float[n], new float[n]);
        LabConverter.ToLab(rgb, width, height, width * 3, InterleavedLayout.Rgb24, pl, pa, pb, width);
        var back = new byte[n * 3];
        LabConverter.FromLab(pl, pa, pb, width, height, width, back, width * 3, InterleavedLayout.Rgb24);

        Assert.Equal(rgb, back);
    }

    [Fact]
    public void RoundTrip_Rgb48_StaysWithinOneCode()
    {
        ushort[] rgb = Ref.UInt16s("rgb16");
        int n = rgb.Length / 3;
        var bytes = new byte[rgb.Length * 2];
        Buffer.BlockCopy(rgb, 0, bytes, 0, bytes.Length);
        var (l, a, b) = (new float[n], new float[n], new float[n]);
        LabConverter.ToLab(bytes, n, 1, bytes.Length, InterleavedLayout.Rgb48, l, a, b, n);
        var back = new byte[bytes.Length];
        LabConverter.FromLab(l, a, b, n, 1, n, back, back.Length, InterleavedLayout.Rgb48);
        var got = new ushort[rgb.Length];
        Buffer.BlockCopy(back, 0, got, 0, back.Length);

        // Float Lab carries ~24 bits, so 16-bit colours come back within a code or two (dark values are steepest).
        int worst = Compare.MaxAbs(Compare.Ints(rgb), Compare.Ints(got), 2, "Rgb48 round trip");
        output.WriteLine($"Rgb48 → Lab → Rgb48: max difference {worst}");
    }

    [Fact]
    public void Results_DoNotDependOnTheThreadCount()
    {
        int width = 523, height = 97;
        var rng = new Random(5);
        var pixels = new byte[width * height * 4];
        rng.NextBytes(pixels);
        float[][] runs = new float[3][];
        byte[][] outs = new byte[3][];
        int[] threads = [1, 2, 5];
        for (int t = 0; t < 3; t++)
        {
            var (l, a, b) = (new float[width * height], new float[width * height], new float[width * height]);
            LabConverter.ToLab(pixels, width, height, width * 4, InterleavedLayout.Bgra32, l, a, b, width, threads[t]);
            runs[t] = [.. l, .. a, .. b];
            outs[t] = new byte[pixels.Length];
            LabConverter.FromLab(l, a, b, width, height, width, outs[t], width * 4, InterleavedLayout.Bgra32, 1.3f, threads[t]);
        }

        Assert.Equal(runs[0], runs[1]);
        Assert.Equal(runs[0], runs[2]);
        Assert.Equal(outs[0], outs[1]);
        Assert.Equal(outs[0], outs[2]);
    }

    [Fact]
    public void FromLab_ChromaScale_ScalesAandB()
    {
        var (l, a, b) = Compare.Planes(Ref.Floats("lab"));
        int n = l.Length;
        var scaled = new byte[n * 3];
        LabConverter.FromLab(l, a, b, n, 1, n, scaled, scaled.Length, InterleavedLayout.Rgb24, chromaScale: 0.5f);
        var (ha, hb) = (a.Select(v => v * 0.5f).ToArray(), b.Select(v => v * 0.5f).ToArray());
        var direct = new byte[n * 3];
        LabConverter.FromLab(l, ha, hb, n, 1, n, direct, direct.Length, InterleavedLayout.Rgb24);

        // Scaling inside the kernel folds 0.5 into 1/500 and 1/200, so a last-ulp difference may flip a rounding.
        Compare.MaxAbs(Compare.Ints(direct), Compare.Ints(scaled), 1, "chroma scale");
    }

    [Fact]
    public void BadArguments_ThrowWithUsefulMessages()
    {
        var pixels = new byte[30];
        var plane = new float[10];
        Assert.Throws<ArgumentException>(() => LabConverter.ToLab(pixels, 10, 2, 30, InterleavedLayout.Rgb24, plane, plane, plane, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => LabConverter.ToLab(pixels, 10, 1, 20, InterleavedLayout.Rgb24, plane, plane, plane, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => LabConverter.ToLab(pixels, 0, 1, 30, InterleavedLayout.Rgb24, plane, plane, plane, 10));
        Assert.Throws<ArgumentException>(() => LabConverter.ToLab(pixels, 10, 1, 30, InterleavedLayout.Rgb24, plane, plane, default, 10));
        Assert.Throws<ArgumentException>(() => LabConverter.FromLab(plane, plane, plane, 10, 1, 10, new byte[29], 30, InterleavedLayout.Rgb24));
        Assert.Throws<ArgumentOutOfRangeException>(() => LabConverter.FromLab(plane, plane, plane, 10, 1, 10, pixels, 30, InterleavedLayout.Rgb24, float.NaN));
        Assert.Throws<ArgumentException>(() => CieLab.FromSrgb(plane, plane, plane.AsSpan(1), plane, plane, plane));
    }

    [Fact]
    public void NonFiniteLab_GivesBlackNotGarbage()
    {
        float[] l = [float.NaN, float.PositiveInfinity, 1e30f, -1e30f, 50];
        float[] a = [0, 0, 1e30f, float.NegativeInfinity, float.NaN];
        float[] b = [0, 0, -1e30f, 0, 0];
        var rgb = new byte[15];

        LabConverter.FromLab(l, a, b, 5, 1, 5, rgb, 15, InterleavedLayout.Rgb24);

        // Whatever the colour, every channel is a valid, clipped value; NaN lanes come out as 0.
        Assert.Equal(0, rgb[0]);
    }

    private void Report(string what, float[] expected, float[] l, float[] a, float[] b)
    {
        var (el, ea, eb) = Compare.Planes(expected);
        double dl = Compare.MaxAbs(el, l, LabTolerance, what + " L");
        double da = Compare.MaxAbs(ea, a, LabTolerance, what + " a");
        double db = Compare.MaxAbs(eb, b, LabTolerance, what + " b");
        output.WriteLine($"{what}: max |ΔL| {dl:G3}, |Δa| {da:G3}, |Δb| {db:G3} over {el.Length} colours");
    }
}
