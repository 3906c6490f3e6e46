using Colorize.Abstractions;
using Colorize.Engine.Pipeline;
using Colorize.Imaging.ColorSpaces;

namespace Colorize.Engine.Tests;

/// <summary>How colour hints in source pixels become the hint network's a, b and mask planes at the render size.</summary>
public sealed class HintPlanesTests
{
    private static ColorHint Hint(double x, double y, double radius, byte r = 200, byte g = 30, byte b = 40) => new(x, y, r, g, b, radius);

    private static bool Masked(float[] planes, RenderGeometry geo, int x, int y) =>
        planes[(HintPlanes.Mask * geo.PaddedWidth * geo.PaddedHeight) + (y * geo.PaddedWidth) + x] == 1f;

    private static List<(int X, int Y)> MaskedPixels(float[] planes, RenderGeometry geo)
    {
        var list = new List<(int, int)>();
        for (int y = 0; y < geo.PaddedHeight; y++)
        {
            for (int x = 0; x < geo.PaddedWidth; x++)
            {
                if (Masked(planes, geo, x, y))
                {
                    list.Add((x, y));
                }
            }
        }

        return list;
    }

    [Fact]
    public void Disc_IsScaledAsTheResize_AndCarriesTheColoursLab()
    {
        // 200×100 at render size 64: 128×64, 0.64 render pixels per source pixel.
        var geo = RenderGeometry.For(200, 100, 64, 32);
        double scale = geo.Width / 200.0;
        var hint = Hint(100, 50, 10);
        var planes = HintPlanes.Rasterise([hint], 200, 100, geo);
        var hinted = MaskedPixels(planes, geo);

        // Every render pixel whose centre is well inside the scaled disc is hinted, none well outside, and the count is
        // the scaled disc's area (radius 6.4 render pixels).
        double cx = hint.X * scale, cy = hint.Y * scale, r = hint.Radius * scale;
        for (int y = 0; y < geo.Height; y++)
        {
            for (int x = 0; x < geo.Width; x++)
            {
                double d = Math.Sqrt(Math.Pow(x + 0.5 - cx, 2) + Math.Pow(y + 0.5 - cy, 2));
                if (d < r - 0.01)
                {
                    Assert.True(Masked(planes, geo, x, y), $"({x}, {y}) at {d:F2} render pixels from the centre is not hinted");
                }
                else if (d > r + 0.01)
                {
                    Assert.False(Masked(planes, geo, x, y), $"({x}, {y}) at {d:F2} render pixels from the centre is hinted");
                }
            }
        }

        Assert.InRange(hinted.Count, Math.PI * r * r * 0.9, Math.PI * r * r * 1.1);
        var (_, a, b) = CieLab.FromSrgb(200 / 255.0, 30 / 255.0, 40 / 255.0);
        int plane = geo.PaddedWidth * geo.PaddedHeight;
        foreach (var (x, y) in hinted)
        {
            Assert.Equal((float)(a / 110), planes[(HintPlanes.A * plane) + (y * geo.PaddedWidth) + x]);
            Assert.Equal((float)(b / 110), planes[(HintPlanes.B * plane) + (y * geo.PaddedWidth) + x]);
        }

        // Everything else is zero in all three planes.
        Assert.Equal(3 * hinted.Count, planes.Count(v => v != 0));
    }

    [Theory]
    [InlineData(37.3, 11.9)]
    [InlineData(0, 0)]
    [InlineData(199.99, 99.99)]
    public void TinyHint_StillHintsTheRenderPixelHoldingItsCentre(double x, double y)
    {
        var geo = RenderGeometry.For(200, 100, 64, 32);
        var planes = HintPlanes.Rasterise([Hint(x, y, 0.01)], 200, 100, geo);
        var hinted = Assert.Single(MaskedPixels(planes, geo));
        Assert.Equal(((int)(x * geo.Width / 200), (int)(y * geo.Height / 100)), hinted);
    }

    [Fact]
    public void Disc_StopsAtTheImagesEdge_AndNeverReachesThePadding()
    {
        // 210×100 at 64: 134×64, padded to 160×64.
        var geo = RenderGeometry.For(210, 100, 64, 32);
        Assert.True(geo.PaddedWidth > geo.Width);
        var planes = HintPlanes.Rasterise([Hint(209.5, 99.5, 40), Hint(0, 0, 40)], 210, 100, geo);
        var hinted = MaskedPixels(planes, geo);
        Assert.Contains((geo.Width - 1, geo.Height - 1), hinted);
        Assert.Contains((0, 0), hinted);
        Assert.All(hinted, p => Assert.True(p.X < geo.Width && p.Y < geo.Height, $"{p} is in the padding"));
    }

    [Fact]
    public void OverlappingHints_TheLaterWins()
    {
        var geo = RenderGeometry.For(100, 100, 64, 32);
        var first = Hint(40, 50, 12, 255, 0, 0);
        var second = Hint(55, 50, 12, 0, 0, 255);
        var planes = HintPlanes.Rasterise([first, second], 100, 100, geo);
        var alone = HintPlanes.Rasterise([first], 100, 100, geo);
        int plane = geo.PaddedWidth * geo.PaddedHeight;
        float firstA = (float)(CieLab.FromSrgb(1, 0, 0).A / 110), secondA = (float)(CieLab.FromSrgb(0, 0, 1).A / 110);
        int overlap = 0, firstOnly = 0;
        foreach (var (x, y) in MaskedPixels(alone, geo))
        {
            float a = planes[(HintPlanes.A * plane) + (y * geo.PaddedWidth) + x];
            bool inSecond = Masked(HintPlanes.Rasterise([second], 100, 100, geo), geo, x, y);
            Assert.Equal(inSecond ? secondA : firstA, a);
            overlap += inSecond ? 1 : 0;
            firstOnly += inSecond ? 0 : 1;
        }

        Assert.True(overlap > 0 && firstOnly > 0, $"the discs should partly overlap ({overlap} shared, {firstOnly} the first's alone)");
    }

    [Theory]
    [InlineData(200, 10)]
    [InlineData(10, 100)]
    [InlineData(250.5, 3)]
    public void HintOutsideTheImage_IsRefusedNamingIt(double x, double y)
    {
        var geo = RenderGeometry.For(200, 100, 64, 32);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => HintPlanes.Rasterise([Hint(1, 1, 3), Hint(x, y, 3)], 200, 100, geo));
        Assert.Contains("Hint 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("200×100", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1.15)]
    [InlineData(0.5)]
    public void ChromaGain_DividesTheHintsAb_AndLeavesTheMask(double gain)
    {
        // The pack's gain multiplies the network's ab afterwards; a hint enters divided by it so it comes out as picked.
        var geo = RenderGeometry.For(200, 100, 64, 32);
        ColorHint[] hints = [Hint(100, 50, 10), Hint(20, 20, 3, 10, 90, 200)];
        var plain = HintPlanes.Rasterise(hints, 200, 100, geo);
        var scaled = HintPlanes.Rasterise(hints, 200, 100, geo, gain);
        int plane = geo.PaddedWidth * geo.PaddedHeight;
        Assert.Contains(plain, v => v != 0f && v != 1f);
        for (int i = 0; i < plane; i++)
        {
            Assert.Equal(plain[(HintPlanes.Mask * plane) + i], scaled[(HintPlanes.Mask * plane) + i]);
            foreach (int c in new[] { HintPlanes.A, HintPlanes.B })
            {
                Assert.Equal(plain[(c * plane) + i] / gain, scaled[(c * plane) + i], 1e-6);
            }
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => HintPlanes.Rasterise(hints, 200, 100, geo, 0));
    }

    [Fact]
    public void LabUnits_AreTheSamePixelsWithTheColoursLab_LaterHintsOverEarlier()
    {
        // The exported ONNX graph's hint input: Lab a*, b* as they are (the graph divides by 110 × gain itself).
        var geo = RenderGeometry.For(200, 100, 64, 32);
        ColorHint[] hints = [Hint(100, 50, 10), Hint(104, 52, 4, 10, 90, 200), Hint(20, 20, 3, 250, 220, 10)];
        var network = HintPlanes.Rasterise(hints, 200, 100, geo, 1.15);
        var lab = HintPlanes.RasteriseLab(hints, 200, 100, geo);
        int plane = geo.PaddedWidth * geo.PaddedHeight;
        var colours = hints.Select(h => CieLab.FromSrgb(h.Red / 255.0, h.Green / 255.0, h.Blue / 255.0)).ToArray();
        var seen = new HashSet<int>();
        for (int i = 0; i < plane; i++)
        {
            Assert.Equal(network[(HintPlanes.Mask * plane) + i], lab[(HintPlanes.Mask * plane) + i]);
            if (lab[(HintPlanes.Mask * plane) + i] == 0f)
            {
                Assert.Equal(0f, lab[(HintPlanes.A * plane) + i]);
                Assert.Equal(0f, lab[(HintPlanes.B * plane) + i]);
                continue;
            }

            // Which hint painted the pixel: the one whose Lab colour it carries; the network planes carry the same one.
            int k = Array.FindLastIndex(colours, c => (float)c.A == lab[(HintPlanes.A * plane) + i] && (float)c.B == lab[(HintPlanes.B * plane) + i]);
            Assert.True(k >= 0, $"pixel {i} carries no hint's colour");
            seen.Add(k);
            Assert.Equal((float)(colours[k].A / 1.15 / 110), network[(HintPlanes.A * plane) + i]);
            Assert.Equal((float)(colours[k].B / 1.15 / 110), network[(HintPlanes.B * plane) + i]);
        }

        // The second hint lies inside the first and is drawn later, so it shows; the first still shows around it.
        Assert.Equal([0, 1, 2], seen.Order());
        double scale = geo.Width / 200.0;
        int centre = ((int)(52 * scale) * geo.PaddedWidth) + (int)(104 * scale);
        Assert.Equal((float)colours[1].A, lab[(HintPlanes.A * plane) + centre]);
    }

    [Fact]
    public void NoHints_GiveZeroPlanes()
    {
        var geo = RenderGeometry.For(90, 60, 64, 32);
        Assert.All(HintPlanes.Rasterise(null, 90, 60, geo), v => Assert.Equal(0f, v));
        Assert.All(HintPlanes.Rasterise([], 90, 60, geo), v => Assert.Equal(0f, v));
        Assert.Equal(3 * geo.PaddedWidth * geo.PaddedHeight, HintPlanes.Rasterise([], 90, 60, geo).Length);
    }
}
