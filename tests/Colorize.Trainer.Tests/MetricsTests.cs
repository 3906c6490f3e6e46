using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Imaging.ColorSpaces;

namespace Colorize.Trainer.Tests;

public sealed class MetricsTests
{
    [Fact]
    public void Colorfulness_HalfRedHalfBlue_MatchesTheHandComputedValue()
    {
        var image = Fill(4, 2, (x, _) => x < 2 ? (255, 0, 0) : (0, 0, 255));
        // red: rg 255, yb 127.5; blue: rg 0, yb −255 → μ (127.5, −63.75), σ (127.5, 191.25).
        double expected = Math.Sqrt(127.5 * 127.5 + 191.25 * 191.25) + 0.3 * Math.Sqrt(127.5 * 127.5 + 63.75 * 63.75);
        Assert.Equal(expected, MetricsAccumulator.Colorfulness(image), 9);
        Assert.Equal(0, MetricsAccumulator.Colorfulness(Fill(3, 3, (x, y) => (x * 40, x * 40, x * 40))), 9);
    }

    [Fact]
    public void Psnr_UniformErrorOfTen_Is28Point13()
    {
        var a = Fill(5, 3, (x, y) => (100, 120, 140));
        var b = Fill(5, 3, (x, y) => (110, 110, 150));
        Assert.Equal(20 * Math.Log10(255 / 10.0), MetricsAccumulator.Psnr(a, b), 9);
        Assert.Equal(100, MetricsAccumulator.Psnr(a, a));
    }

    [Fact]
    public void Accumulator_PerfectPrediction_BeatsTheGreyBaseline()
    {
        const int n = 16;
        var l = Enumerable.Range(0, n).Select(i => 30f + i * 2).ToArray();
        var a = Enumerable.Range(0, n).Select(i => 40f - i).ToArray();
        var b = Enumerable.Range(0, n).Select(i => i * 3f - 20).ToArray();
        var acc = new MetricsAccumulator();
        acc.Add(l, a, b, a, b, 4, 4);
        var m = acc.Result();
        Assert.Equal(100, m.Psnr);
        Assert.True(m.PsnrGrey < 40, $"grey PSNR {m.PsnrGrey}");
        Assert.Equal(0, m.AbMae);
        Assert.Equal(0, m.DeltaColorfulness);
    }

    [Fact]
    public void Cast_IsZeroForThePhoto_TheMeanColourForGrey_AndTheOffsetForATintedCopy()
    {
        // Muted greens and blues, far enough inside the sRGB gamut that a warm tint of (4, 9) does not clip.
        var truth = Fill(8, 6, (x, y) => (90 + 5 * x, 120 + 4 * y, 110 + 3 * x));
        int n = truth.Width * truth.Height;
        var l = new float[n];
        var a = new float[n];
        var b = new float[n];
        LabConverter.ToLab(truth.Buffer, l, a, b, 1);
        var tinted = new Image(truth.Width, truth.Height, PixelFormat.Rgb24);
        LabConverter.FromLab(l, a.Select(v => v + 4f).ToArray(), b.Select(v => v + 9f).ToArray(), tinted.Buffer, 1f, 1);

        var (model, grey, _) = Evaluation.Score(truth, tinted);
        Assert.Equal(Math.Sqrt(4 * 4 + 9 * 9), model.Cast, 0); // within 0.5: 8-bit rounding of the tinted copy
        Assert.Equal(Math.Sqrt(Math.Pow(a.Average(), 2) + Math.Pow(b.Average(), 2)), grey.Cast, 1);
        Assert.Equal(0, Evaluation.Score(truth, truth).Model.Cast, 9);
    }

    private static Image Fill(int width, int height, Func<int, int, (int R, int G, int B)> colour)
    {
        var image = new Image(width, height, PixelFormat.Rgb24);
        for (int y = 0; y < height; y++)
        {
            var row = image.GetRowBytes(y);
            for (int x = 0; x < width; x++)
            {
                var (r, g, b) = colour(x, y);
                row[3 * x] = (byte)r;
                row[3 * x + 1] = (byte)g;
                row[3 * x + 2] = (byte)b;
            }
        }

        return image;
    }
}
