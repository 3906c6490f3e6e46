using Colorize.Abstractions;
using Colorize.Imaging;

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
