using Colorize.Abstractions;
using Colorize.Engine.Pipeline;

namespace Colorize.Engine.Tests;

public sealed class PipelineTests
{
    private static readonly CpuColorizerEngine Engine = new();

    private static PixelBuffer GrayGradient(int width, int height, PixelFormat format)
    {
        var buffer = PixelBuffer.Allocate(width, height, format);
        int bpp = format.BytesPerPixel();
        for (int y = 0; y < height; y++)
        {
            var row = buffer.GetRow(y);
            for (int x = 0; x < width; x++)
            {
                byte v = (byte)((x * 7 + y * 3) % 256);
                for (int c = 0; c < bpp; c++)
                {
                    row[(x * bpp) + c] = v;
                }

                if (format is PixelFormat.Rgba32 or PixelFormat.Bgra32)
                {
                    row[(x * bpp) + 3] = (byte)(x % 256);
                }
            }
        }

        return buffer;
    }

    [Fact]
    public void ChromaGain_OfThePack_ScalesTheColoursAsTheUsersStrengthDoes()
    {
        using var plain = Engine.Load(TestPacks.TinyPix2Pix());
        using var calibrated = Engine.Load(TestPacks.TinyPix2Pix(chromaGain: 1.6));
        var source = GrayGradient(67, 41, PixelFormat.Rgb24);
        var byStrength = PixelBuffer.Allocate(67, 41, PixelFormat.Rgb24);
        var byGain = PixelBuffer.Allocate(67, 41, PixelFormat.Rgb24);
        var both = PixelBuffer.Allocate(67, 41, PixelFormat.Rgb24);
        var unscaled = PixelBuffer.Allocate(67, 41, PixelFormat.Rgb24);
        plain.Colorize(source, byStrength, new ColorizeOptions { Strength = 1.6f });
        calibrated.Colorize(source, byGain);
        calibrated.Colorize(source, both, new ColorizeOptions { Strength = 0.625f });
        plain.Colorize(source, unscaled);
        Assert.Equal(byStrength.Memory.ToArray(), byGain.Memory.ToArray());
        Assert.Equal(unscaled.Memory.ToArray(), both.Memory.ToArray());
        Assert.NotEqual(unscaled.Memory.ToArray(), byGain.Memory.ToArray());
    }

    [Fact]
    public void Colorize_GivesColour_KeepsAlpha_AndIsDeterministic()
    {
        using var colorizer = Engine.Load(TestPacks.TinyPix2Pix());
        var source = GrayGradient(97, 61, PixelFormat.Bgra32);
        var first = PixelBuffer.Allocate(97, 61, PixelFormat.Bgra32);
        var second = PixelBuffer.Allocate(97, 61, PixelFormat.Bgra32);
        colorizer.Colorize(source, first);
        colorizer.Colorize(source, second);
        Assert.Equal(first.Memory.ToArray(), second.Memory.ToArray());
        int coloured = 0;
        for (int y = 0; y < 61; y++)
        {
            var row = first.GetRow(y);
            var src = source.GetRow(y);
            for (int x = 0; x < 97; x++)
            {
                Assert.Equal(src[(x * 4) + 3], row[(x * 4) + 3]);
                if (row[x * 4] != row[(x * 4) + 1] || row[(x * 4) + 1] != row[(x * 4) + 2])
                {
                    coloured++;
                }
            }
        }

        Assert.True(coloured > 97 * 61 / 2, $"only {coloured} pixels got colour");
    }

    [Fact]
    public void MergingBandByBand_GivesTheSameBitsAsOneBand()
    {
        using var colorizer = Engine.Load(TestPacks.TinyPix2Pix());
        var source = GrayGradient(83, 57, PixelFormat.Rgb24);
        var whole = PixelBuffer.Allocate(83, 57, PixelFormat.Rgb24);
        var banded = PixelBuffer.Allocate(83, 57, PixelFormat.Rgb24);
        colorizer.Colorize(source, whole);
        int saved = ColorizationPipeline.MergeBandPixels;
        try
        {
            ColorizationPipeline.MergeBandPixels = 83 * 5; // 5-row bands, the last one shorter
            colorizer.Colorize(source, banded);
        }
        finally
        {
            ColorizationPipeline.MergeBandPixels = saved;
        }

        Assert.Equal(whole.Memory.ToArray(), banded.Memory.ToArray());
    }

    [Fact]
    public void StrengthZero_ReturnsTheGreyInput()
    {
        using var colorizer = Engine.Load(TestPacks.TinyPix2Pix());
        var source = GrayGradient(40, 33, PixelFormat.Rgb24);
        var dest = PixelBuffer.Allocate(40, 33, PixelFormat.Rgb24);
        colorizer.Colorize(source, dest, new ColorizeOptions { Strength = 0 });
        for (int y = 0; y < 33; y++)
        {
            var s = source.GetRow(y);
            var d = dest.GetRow(y);
            for (int i = 0; i < s.Length; i++)
            {
                Assert.InRange(d[i] - s[i], -1, 1);
            }
        }
    }

    [Fact]
    public void ColourInput_IsRecolorizedFromItsLuminance()
    {
        using var colorizer = Engine.Load(TestPacks.TinyPix2Pix());
        int w = 48, h = 40;
        var colour = PixelBuffer.Allocate(w, h, PixelFormat.Rgb24);
        var rng = new Random(4);
        rng.NextBytes(colour.Memory.Span);

        // A grey image with the same L: L of the colour image, a = b = 0, back to sRGB.
        var l = new float[w * h];
        Colorize.Imaging.ColorSpaces.LabConverter.ToLab(colour.Memory.Span, w, h, colour.Stride, Colorize.Imaging.ColorSpaces.InterleavedLayout.Rgb24, l, [], [], w);
        var zeros = new float[w * h];
        var grey = PixelBuffer.Allocate(w, h, PixelFormat.Rgb24);
        Colorize.Imaging.ColorSpaces.LabConverter.FromLab(l, zeros, zeros, w, h, w, grey.Memory.Span, grey.Stride, Colorize.Imaging.ColorSpaces.InterleavedLayout.Rgb24);

        var fromColour = PixelBuffer.Allocate(w, h, PixelFormat.Rgb24);
        var fromGrey = PixelBuffer.Allocate(w, h, PixelFormat.Rgb24);
        colorizer.Colorize(colour, fromColour);
        colorizer.Colorize(grey, fromGrey);
        int maxDiff = 0;
        var a = fromColour.Memory.Span;
        var b = fromGrey.Memory.Span;
        for (int i = 0; i < a.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(a[i] - b[i]));
        }

        // The grey copy's L went through 8-bit rounding, which moves L (and so the prediction) a little.
        Assert.True(maxDiff <= 4, $"max difference {maxDiff}");
    }

    [Fact]
    public void KeepOriginalLuminance_KeepsTheSourceL_WhereClippingShiftsIt()
    {
        // Strength 2 pushes the tiny model's colours out of the sRGB gamut; the option decides how they come back.
        using var colorizer = Engine.Load(TestPacks.TinyPix2Pix());
        int w = 97, h = 61;
        var source = GrayGradient(w, h, PixelFormat.Bgra32);
        var kept = PixelBuffer.Allocate(w, h, PixelFormat.Bgra32);
        var clipped = PixelBuffer.Allocate(w, h, PixelFormat.Bgra32);
        var byDefault = PixelBuffer.Allocate(w, h, PixelFormat.Bgra32);
        colorizer.Colorize(source, kept, new ColorizeOptions { Strength = 2f, KeepOriginalLuminance = true });
        colorizer.Colorize(source, clipped, new ColorizeOptions { Strength = 2f, KeepOriginalLuminance = false });
        colorizer.Colorize(source, byDefault, new ColorizeOptions { Strength = 2f });

        float[] L(PixelBuffer p)
        {
            var l = new float[w * h];
            Colorize.Imaging.ColorSpaces.LabConverter.ToLab(p, l, [], []);
            return l;
        }

        float[] ls = L(source), lk = L(kept), lc = L(clipped);
        double worstKept = 0;
        int shifted = 0;
        for (int i = 0; i < ls.Length; i++)
        {
            worstKept = Math.Max(worstKept, Math.Abs(lk[i] - ls[i]));
            shifted += Math.Abs(lc[i] - ls[i]) > 1 ? 1 : 0;
        }

        Assert.True(worstKept <= 0.5, $"with the option L moved by up to {worstKept}");
        Assert.True(shifted > 0, "clipping shifted no pixel's L by more than 1: the test no longer reaches the gamut boundary");
        Assert.NotEqual(kept.Memory.ToArray(), clipped.Memory.ToArray());
        Assert.Equal(kept.Memory.ToArray(), byDefault.Memory.ToArray());
        for (int i = 3; i < w * h * 4; i += 4)
        {
            Assert.Equal(source.Memory.Span[i], kept.Memory.Span[i]);
        }
    }

    [Fact]
    public void SixteenBitAndGrayDestinations_Work()
    {
        using var colorizer = Engine.Load(TestPacks.TinyPix2Pix());
        var source = GrayGradient(33, 35, PixelFormat.Gray8);
        var rgb48 = PixelBuffer.Allocate(33, 35, PixelFormat.Rgb48);
        colorizer.Colorize(source, rgb48);
        Assert.Contains(rgb48.Memory.ToArray(), v => v != 0);
        var inPlace = GrayGradient(33, 35, PixelFormat.Rgba32);
        colorizer.Colorize(inPlace, inPlace);
    }

    [Fact]
    public void Cancellation_StopsTheRun()
    {
        using var colorizer = Engine.Load(TestPacks.TinyPix2Pix());
        var source = GrayGradient(64, 64, PixelFormat.Rgb24);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => colorizer.Colorize(source, source, cancellationToken: cts.Token));
    }

    [Fact]
    public void CancellationDuringTheNetwork_StopsBetweenLayers()
    {
        using var colorizer = Engine.Load(TestPacks.TinyPix2Pix());
        var source = GrayGradient(64, 64, PixelFormat.Rgb24);
        var dest = PixelBuffer.Allocate(64, 64, PixelFormat.Rgb24);
        using var cts = new CancellationTokenSource();
        var stages = new List<ColorizeProgress>();
        var progress = new SynchronousProgress(p =>
        {
            stages.Add(p);
            if (p.Stage == "network" && p.Fraction > 0.2)
            {
                cts.Cancel();
            }
        });
        Assert.ThrowsAny<OperationCanceledException>(() => colorizer.Colorize(source, dest, null, progress, cts.Token));
        Assert.DoesNotContain(stages, s => s.Stage == "merging");
        Assert.All(dest.Memory.ToArray(), v => Assert.Equal(0, v));
    }

    [Fact]
    public void Progress_IsMonotonicAndEndsAtOne()
    {
        using var colorizer = Engine.Load(TestPacks.TinyPix2Pix());
        var source = GrayGradient(50, 40, PixelFormat.Rgb24);
        var reports = new List<double>();
        colorizer.Colorize(source, PixelBuffer.Allocate(50, 40, PixelFormat.Rgb24), null, new SynchronousProgress(p => reports.Add(p.Fraction)));
        Assert.True(reports.Count > 5);
        Assert.Equal(reports.OrderBy(r => r), reports);
        Assert.Equal(1.0, reports[^1]);
    }

    [Fact]
    public void BadOptionsAndSizes_AreRejected()
    {
        using var colorizer = Engine.Load(TestPacks.TinyPix2Pix());
        var a = PixelBuffer.Allocate(10, 10, PixelFormat.Rgb24);
        Assert.Throws<ArgumentOutOfRangeException>(() => colorizer.Colorize(a, a, new ColorizeOptions { Strength = 3 }));
        Assert.Throws<ArgumentException>(() => colorizer.Colorize(a, PixelBuffer.Allocate(11, 10, PixelFormat.Rgb24)));
    }

    [Theory]
    [InlineData(4000, 3000, 256, 32, 341, 256, 352, 256)]
    [InlineData(300, 900, 250, 32, 256, 768, 256, 768)]
    [InlineData(1000, 1000, 100, 256, 256, 256, 256, 256)]
    [InlineData(640, 400, 64, 256, 410, 256, 512, 256)]
    public void RenderGeometry_KeepsAspectAndPadsToTheStride(int w, int h, int render, int stride, int ew, int eh, int pw, int ph)
    {
        var g = RenderGeometry.For(w, h, render, stride);
        Assert.Equal((ew, eh, pw, ph), (g.Width, g.Height, g.PaddedWidth, g.PaddedHeight));
    }

    private sealed class SynchronousProgress(Action<ColorizeProgress> report) : IProgress<ColorizeProgress>
    {
        public void Report(ColorizeProgress value) => report(value);
    }
}
