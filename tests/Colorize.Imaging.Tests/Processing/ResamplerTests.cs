using Colorize.Imaging.Processing;
using Xunit.Abstractions;

namespace Colorize.Imaging.Tests.Processing;

/// <summary>
/// Resampling against Pillow 9.4's Image.resize (modes F, L, RGB, RGBa, I) and PyTorch 1.13's bilinear
/// F.interpolate, from fixtures written by reference/color/make_references.py.
/// </summary>
public sealed class ResamplerTests(ITestOutputHelper output)
{
    private const int W = 41, H = 29;

    public static TheoryData<ResampleFilter, int, int> Cases()
    {
        var data = new TheoryData<ResampleFilter, int, int>();
        foreach (var f in Enum.GetValues<ResampleFilter>())
        {
            foreach (var (w, h) in new[] { (17, 11), (5, 4), (67, 35), (60, 13), (41, 50), (20, 29), (1, 1), (2, 3) })
            {
                data.Add(f, w, h);
            }
        }

        return data;
    }

    public static TheoryData<ResampleFilter, int, int> ColourCases()
    {
        var data = new TheoryData<ResampleFilter, int, int>();
        foreach (var f in Enum.GetValues<ResampleFilter>())
        {
            foreach (var (w, h) in new[] { (17, 11), (67, 35), (41, 50) })
            {
                data.Add(f, w, h);
            }
        }

        return data;
    }

    private static ReferenceFixture Ref => ReferenceFixture.Load("resample.bin.gz");

    private static string Tag(ResampleFilter f, int w, int h) => $"{f.ToString().ToLowerInvariant()}_{w}x{h}";

    [Theory]
    [MemberData(nameof(Cases))]
    public void Resize_FloatPlane_MatchesPilFMode(ResampleFilter filter, int width, int height)
    {
        float[] src = Ref.Bytes("src8").Select(v => (float)v).ToArray();
        float[] expected = Ref.Floats("F_" + Tag(filter, width, height));
        var dst = new float[width * height];

        Resizer.Float(src, W, H, dst, width, height, filter);

        // PIL accumulates in double, we in float; values span 0…255, so 2e-4 is < 1e-6 of the range.
        double worst = Compare.MaxAbs(expected, dst, 2e-4, $"F {Tag(filter, width, height)}");
        output.WriteLine($"F {Tag(filter, width, height)}: max |error| {worst:G3} (values 0…255)");
    }

    [Fact]
    public void Resize_FloatPlane_LargeShrinkRatio_MatchesPil()
    {
        float[] src = Ref.Bytes("big8").Select(v => (float)v).ToArray();
        foreach (var filter in Enum.GetValues<ResampleFilter>())
        {
            float[] expected = Ref.Floats("Fbig_" + filter.ToString().ToLowerInvariant());
            var dst = new float[20 * 15];
            Resizer.Float(src, 160, 120, dst, 20, 15, filter);
            double worst = Compare.MaxAbs(expected, dst, 2e-4, $"Fbig {filter}");
            output.WriteLine($"F 160x120 → 20x15 {filter}: max |error| {worst:G3}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Resize_Gray8_EqualsPilLMode(ResampleFilter filter, int width, int height)
    {
        byte[] src = Ref.Bytes("src8");
        var dst = new byte[width * height];

        Resampler.Resize(src, W, H, W, dst, width, height, width, 1, filter);

        Assert.Equal(Ref.Bytes("L_" + Tag(filter, width, height)), dst);
    }

    [Fact]
    public void Resize_Gray8_LargeShrinkRatio_EqualsPil()
    {
        byte[] src = Ref.Bytes("big8");
        foreach (var filter in Enum.GetValues<ResampleFilter>())
        {
            var dst = new byte[20 * 15];
            Resampler.Resize(src, 160, 120, 160, dst, 20, 15, 20, 1, filter);
            Assert.Equal(Ref.Bytes("Lbig_" + filter.ToString().ToLowerInvariant()), dst);
        }
    }

    [Theory]
    [MemberData(nameof(ColourCases))]
    public void Resize_Rgb24_EqualsPilRgbMode(ResampleFilter filter, int width, int height)
    {
        byte[] src = Ref.Bytes("rgb8");
        var dst = new byte[width * height * 3];

        Resampler.Resize(src, W, H, W * 3, dst, width, height, width * 3, 3, filter);

        Assert.Equal(Ref.Bytes("RGB_" + Tag(filter, width, height)), dst);
    }

    [Theory]
    [MemberData(nameof(ColourCases))]
    public void Resize_FourChannels_EqualsPilRgbaPremultipliedMode(ResampleFilter filter, int width, int height)
    {
        byte[] src = Ref.Bytes("rgba8");
        // Padded rows on both sides, to exercise the strides.
        int srcStride = (W * 4) + 7, dstStride = (width * 4) + 3;
        var padded = new byte[srcStride * H];
        for (int y = 0; y < H; y++)
        {
            Array.Copy(src, y * W * 4, padded, y * srcStride, W * 4);
        }

        var dst = new byte[dstStride * height];
        Resampler.Resize(padded, W, H, srcStride, dst, width, height, dstStride, 4, filter);

        byte[] expected = Ref.Bytes("RGBa_" + Tag(filter, width, height));
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(expected.AsSpan(y * width * 4, width * 4), dst.AsSpan(y * dstStride, width * 4));
        }
    }

    [Theory]
    [MemberData(nameof(ColourCases))]
    public void Resize_Gray16_MatchesPilIModeWithinOne(ResampleFilter filter, int width, int height)
    {
        ushort[] src = Ref.UInt16s("src16");
        var dst = new ushort[width * height];

        Resampler.Resize(src, W, H, W, dst, width, height, width, 1, filter);

        // PIL's "I" mode rounds after each pass and accumulates in double; we round once from float.
        int worst = Compare.MaxAbs(Compare.Ints(Ref.UInt16s("I_" + Tag(filter, width, height))), Compare.Ints(dst), 1, "I");
        output.WriteLine($"16-bit {Tag(filter, width, height)}: max difference {worst}");
    }

    [Fact]
    public void Resize_16BitChannelsAreIndependent()
    {
        // Three copies of the same 16-bit plane, interleaved, must resize to three copies of the single-plane result.
        ushort[] plane = Ref.UInt16s("src16");
        var rgb = new ushort[plane.Length * 3];
        for (int i = 0; i < plane.Length; i++)
        {
            rgb[3 * i] = rgb[(3 * i) + 1] = rgb[(3 * i) + 2] = plane[i];
        }

        var single = new ushort[30 * 20];
        var triple = new ushort[30 * 20 * 3];
        Resampler.Resize(plane, W, H, W, single, 30, 20, 30, 1, ResampleFilter.Lanczos3);
        Resampler.Resize(rgb, W, H, W * 3, triple, 30, 20, 90, 3, ResampleFilter.Lanczos3);

        for (int i = 0; i < single.Length; i++)
        {
            Assert.Equal(single[i], triple[3 * i]);
            Assert.Equal(single[i], triple[(3 * i) + 2]);
        }
    }

    public static TheoryData<int, int> TorchSizes() => new() { { 61, 50 }, { 68, 52 }, { 17, 13 }, { 100, 40 }, { 7, 5 }, { 17, 40 }, { 1, 1 }, { 90, 60 } };

    [Theory]
    [MemberData(nameof(TorchSizes))]
    public void ResizeBilinearTorch_MatchesFInterpolate(int width, int height)
    {
        var t = ReferenceFixture.Load("torch_bilinear.bin.gz");
        float[] ab = t.Floats("ab");
        float[] expected = t.Floats($"up_{width}x{height}");
        const int sw = 17, sh = 13;
        var got = new float[2 * width * height];
        for (int c = 0; c < 2; c++)
        {
            Resampler.ResizeBilinearTorch(ab.AsSpan(c * sw * sh, sw * sh), sw, sh, sw, got.AsSpan(c * width * height, width * height), width, height, width);
        }

        // Values span ±110; 2e-5 is ~1e-7 of that (PyTorch may fuse multiply-adds, we do not).
        double worst = Compare.MaxAbs(expected, got, 2e-5, $"torch bilinear {width}x{height}");
        output.WriteLine($"torch bilinear 17x13 → {width}x{height}: max |error| {worst:G3}");
    }

    [Fact]
    public void Results_DoNotDependOnTheThreadCount()
    {
        var rng = new Random(3);
        int sw = 397, sh = 263;
        float[] src = Enumerable.Range(0, sw * sh).Select(_ => (float)rng.NextDouble()).ToArray();
        byte[] src8 = new byte[sw * sh * 3];
        rng.NextBytes(src8);
        foreach (var (dw, dh) in new[] { (101, 67), (911, 577) })
        {
            float[]? first = null;
            byte[]? first8 = null;
            foreach (int threads in new[] { 1, 2, 3, 8 })
            {
                var dst = new float[dw * dh];
                Resampler.Resize(src, sw, sh, sw, dst, dw, dh, dw, ResampleFilter.Lanczos3, threads);
                var dst8 = new byte[dw * dh * 3];
                Resampler.Resize(src8, sw, sh, sw * 3, dst8, dw, dh, dw * 3, 3, ResampleFilter.Bicubic, threads);
                var torch = new float[dw * dh];
                Resampler.ResizeBilinearTorch(src, sw, sh, sw, torch, dw, dh, dw, threads);
                first ??= dst;
                first8 ??= dst8;
                Assert.Equal(first, dst);
                Assert.Equal(first8, dst8);
            }
        }
    }

    [Theory]
    [InlineData(61, 97, 0)]
    [InlineData(17, 11, 1)]
    [InlineData(41, 200, 2)]
    [InlineData(90, 29, 3)]
    [InlineData(41, 29, 4)]
    public void Bands_EqualTheWholeResult(int width, int height, int filterIndex)
    {
        float[] src = Ref.Bytes("src8").Select(v => (float)v).ToArray();
        var filter = (ResampleFilter)(filterIndex % 4);
        var whole = new float[width * height];
        var wholeTorch = new float[width * height];
        Resampler.Resize(src, W, H, W, whole, width, height, width, filter);
        Resampler.ResizeBilinearTorch(src, W, H, W, wholeTorch, width, height, width);

        // Uneven bands, including single rows, with a padded stride.
        int stride = width + 5;
        var band = new float[stride * height];
        var bandTorch = new float[stride * height];
        var banded = new float[width * height];
        var bandedTorch = new float[width * height];
        int row = 0, size = 1;
        while (row < height)
        {
            int count = Math.Min(size, height - row);
            Resampler.Resize(src, W, H, W, band, width, height, stride, row, count, filter);
            Resampler.ResizeBilinearTorch(src, W, H, W, bandTorch, width, height, stride, row, count);
            for (int r = 0; r < count; r++)
            {
                Array.Copy(band, r * stride, banded, (row + r) * width, width);
                Array.Copy(bandTorch, r * stride, bandedTorch, (row + r) * width, width);
            }

            row += count;
            size = (size * 3) + 1;
        }

        Assert.Equal(whole, banded);
        Assert.Equal(wholeTorch, bandedTorch);
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.Resize(src, W, H, W, band, width, height, stride, height - 1, 2, filter));
    }

    [Fact]
    public void Resize_SameSize_CopiesExactly()
    {
        float[] src = Ref.Bytes("src8").Select(v => v / 255f).ToArray();
        var dst = new float[W * H];
        Resampler.Resize(src, W, H, W, dst, W, H, W, ResampleFilter.Lanczos3);
        Assert.Equal(src, dst);
    }

    [Fact]
    public void Resize_ConstantImage_StaysConstant()
    {
        // Weights are normalised, so every filter reproduces a flat field (up to float rounding) at any ratio.
        var src = Enumerable.Repeat(0.7f, 123 * 45).ToArray();
        foreach (var filter in Enum.GetValues<ResampleFilter>())
        {
            foreach (var (w, h) in new[] { (7, 3), (500, 200), (123, 1) })
            {
                var dst = new float[w * h];
                Resampler.Resize(src, 123, 45, 123, dst, w, h, w, filter);
                Assert.All(dst, v => Assert.InRange(v, 0.7f - 1e-6f, 0.7f + 1e-6f));
            }
        }
    }

    [Fact]
    public void FitShortSide_KeepsTheAspectRatio()
    {
        Assert.Equal((768, 512), Resampler.FitShortSide(6000, 4000, 512));
        Assert.Equal((512, 768), Resampler.FitShortSide(4000, 6000, 512));
        Assert.Equal((256, 256), Resampler.FitShortSide(10, 10, 256));
        Assert.Equal((1, 100), Resampler.FitShortSide(3, 300, 1));
    }

    [Fact]
    public void BadArguments_Throw()
    {
        var buf = new float[100];
        Assert.Throws<ArgumentException>(() => Resampler.Resize(buf, 10, 11, 10, buf, 5, 5, 5, ResampleFilter.Box));
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.Resize(buf, 10, 10, 9, buf, 5, 5, 5, ResampleFilter.Box));
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.Resize(buf, 10, 10, 10, buf, 0, 5, 5, ResampleFilter.Box));
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.Resize(buf, 10, 10, 10, buf, 5, 5, 5, (ResampleFilter)99));
        var bytes = new byte[100];
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.Resize(bytes, 5, 5, 25, bytes, 5, 5, 25, 5, ResampleFilter.Box));
    }

    /// <summary>Shorthand for contiguous planes.</summary>
    private static class Resizer
    {
        public static void Float(float[] src, int sw, int sh, float[] dst, int dw, int dh, ResampleFilter f) =>
            Resampler.Resize(src, sw, sh, sw, dst, dw, dh, dw, f);
    }
}
