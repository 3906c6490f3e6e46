using Colorize.Abstractions;
using Colorize.Engine.Pipeline;
using Colorize.Imaging.ColorSpaces;

namespace Colorize.Engine.Tests;

/// <summary>
/// The propagation of hints after the network (issue 16) on synthetic planes at the render size: a hint recolours
/// its region and stops at an edge, decays with distance in flat L, conflicting hints blend, the padding is untouched.
/// The render geometry here is the source's own size (one render pixel per source pixel), padded by a few pixels.
/// </summary>
public sealed class HintPropagationTests
{
    private const float PredictedA = 6f, PredictedB = -4f;

    /// <summary>Predicted ab planes (output units, padded layout): a constant colour, NaN in the padding so any write there shows.</summary>
    private static float[] Predicted(RenderGeometry g)
    {
        int plane = g.PaddedWidth * g.PaddedHeight;
        var ab = new float[2 * plane];
        for (int y = 0; y < g.PaddedHeight; y++)
        {
            for (int x = 0; x < g.PaddedWidth; x++)
            {
                bool pad = x >= g.Width || y >= g.Height;
                ab[(y * g.PaddedWidth) + x] = pad ? float.NaN : PredictedA;
                ab[plane + (y * g.PaddedWidth) + x] = pad ? float.NaN : PredictedB;
            }
        }

        return ab;
    }

    private static (double A, double B) HintAb(ColorHint hint)
    {
        var (_, a, b) = CieLab.FromSrgb(hint.Red / 255.0, hint.Green / 255.0, hint.Blue / 255.0);
        return (a, b);
    }

    private static RenderGeometry Geometry(int w, int h) => new(w, h, w + 3, h + 2);

    private static float[] Propagate(float[] l, RenderGeometry g, IReadOnlyList<ColorHint> hints, HintPropagationSettings? settings = null)
    {
        var ab = Predicted(g);
        HintPropagation.Apply(ab, l, g, hints, g.Width, g.Height, settings ?? HintPropagationSettings.Default);
        return ab;
    }

    private static (float A, float B) At(float[] ab, RenderGeometry g, int x, int y) =>
        (ab[(y * g.PaddedWidth) + x], ab[(g.PaddedWidth * g.PaddedHeight) + (y * g.PaddedWidth) + x]);

    /// <summary>Left half L* 20, right half L* 90: a strong vertical edge at x = 32.</summary>
    private static float[] TwoRegions(RenderGeometry g)
    {
        var l = new float[g.Width * g.Height];
        for (int y = 0; y < g.Height; y++)
        {
            for (int x = 0; x < g.Width; x++)
            {
                l[(y * g.Width) + x] = x < g.Width / 2 ? 20f : 90f;
            }
        }

        return l;
    }

    private static float[] Flat(RenderGeometry g, float value = 50f) => Enumerable.Repeat(value, g.Width * g.Height).ToArray();

    [Fact]
    public void Hint_FillsItsRegion_AndLeavesTheOtherSideOfAStrongEdgeAlone()
    {
        var g = Geometry(64, 32);
        var hint = new ColorHint(16, 16, 190, 60, 40, Radius: 2);
        var (hintA, hintB) = HintAb(hint);

        // A reach far beyond the image: in flat L the whole left region is (nearly) the hint's colour.
        var wide = Propagate(TwoRegions(g), g, [hint], new HintPropagationSettings { Reach = 50 });
        // The product's settings: close to the hint the colour is the hint's.
        var product = Propagate(TwoRegions(g), g, [hint]);
        for (int y = 0; y < g.Height; y++)
        {
            for (int x = 0; x < g.Width; x++)
            {
                var (a, b) = At(wide, g, x, y);
                var (pa, pb) = At(product, g, x, y);
                if (x < 32)
                {
                    Assert.True(Math.Abs(a - hintA) < 1.5 && Math.Abs(b - hintB) < 1.5, $"({x}, {y}): ({a:F1}, {b:F1}) against the hint's ({hintA:F1}, {hintB:F1})");
                    if (Math.Abs(x - 16) <= 1 && Math.Abs(y - 16) <= 1)
                    {
                        Assert.True(Math.Abs(pa - hintA) < 2 && Math.Abs(pb - hintB) < 2, $"({x}, {y}) with the product's settings: ({pa:F1}, {pb:F1})");
                    }
                }
                else
                {
                    // Across the edge (70 L*, weight e^−8.5, below the cutoff): exactly the prediction, with either setting.
                    Assert.Equal((PredictedA, PredictedB), (a, b));
                    Assert.Equal((PredictedA, PredictedB), (pa, pb));
                }
            }
        }
    }

    [Fact]
    public void InFlatL_AHintsEffect_DecaysWithDistance_AndEndsFarAway()
    {
        var g = Geometry(200, 20);
        var hint = new ColorHint(5.5, 10.5, 40, 90, 200, Radius: 0.5);   // the one render pixel (5, 10)
        var (hintA, _) = HintAb(hint);
        var settings = HintPropagationSettings.Default;
        var ab = Propagate(Flat(g), g, [hint], settings);
        double full = hintA - PredictedA;
        Assert.Equal(hintA, At(ab, g, 5, 10).A, 3);

        // Along the hint's row the path is straight, so its cost is the length over Reach × the short side (20 px),
        // and the weight exp(−d^Shape).
        double previous = double.PositiveInfinity;
        for (int x = 5; x < g.Width; x++)
        {
            double shift = (At(ab, g, x, 10).A - PredictedA) / full;
            Assert.True(shift <= previous + 1e-6, $"the shift grows again at x = {x}");
            previous = shift;
            double d = (x - 5) / (settings.Reach * g.Height);
            double expected = Math.Exp(-Math.Pow(d, settings.Shape));
            if (expected >= settings.Cutoff * 2)
            {
                Assert.True(Math.Abs(shift - expected) < 1e-3, $"x = {x}: shift {shift:F4}, expected {expected:F4}");
            }
            else if (expected < settings.Cutoff / 2)
            {
                Assert.Equal(PredictedA, At(ab, g, x, 10).A);
            }
        }

        Assert.Equal(PredictedA, At(ab, g, g.Width - 1, 0).A);
    }

    [Fact]
    public void ConflictingHints_Blend_BetweenThem()
    {
        var g = Geometry(64, 16);
        var red = new ColorHint(20.5, 8.5, 200, 40, 40, Radius: 0.5);
        var blue = new ColorHint(44.5, 8.5, 40, 60, 200, Radius: 0.5);
        var (redA, _) = HintAb(red);
        var (blueA, _) = HintAb(blue);
        var ab = Propagate(Flat(g), g, [red, blue], new HintPropagationSettings { Reach = 3 });

        // Each hint's pixel leans to its own colour, the midpoint is halfway (equal weights), and the colour moves
        // monotonically from one to the other.
        Assert.True(Math.Abs(At(ab, g, 20, 8).A - redA) < Math.Abs(At(ab, g, 20, 8).A - blueA));
        Assert.True(Math.Abs(At(ab, g, 44, 8).A - blueA) < Math.Abs(At(ab, g, 44, 8).A - redA));
        Assert.Equal((redA + blueA) / 2, At(ab, g, 32, 8).A, 2);
        for (int x = 21; x <= 44; x++)
        {
            Assert.True(At(ab, g, x, 8).A <= At(ab, g, x - 1, 8).A + 1e-4, $"not monotonic at x = {x}");
        }
    }

    [Fact]
    public void Residual_IsTakenOverTheDisc_SoTheDiscsMeanBecomesTheHintsColour()
    {
        var g = Geometry(40, 40);
        var ab = Predicted(g);
        int plane = g.PaddedWidth * g.PaddedHeight;
        // A prediction that varies across the disc (a ramp in a).
        for (int y = 0; y < g.Height; y++)
        {
            for (int x = 0; x < g.Width; x++)
            {
                ab[(y * g.PaddedWidth) + x] = x - 20;
            }
        }

        var hint = new ColorHint(20, 20, 30, 160, 60, Radius: 3);
        var (hintA, hintB) = HintAb(hint);
        HintPropagation.Apply(ab, Flat(g), g, [hint], g.Width, g.Height, new HintPropagationSettings { Reach = 50 });
        var disc = RenderDisc.Of(hint, g.Width, g.Height, g);
        double sumA = 0, sumB = 0;
        int n = 0;
        for (int y = disc.Y0; y <= disc.Y1; y++)
        {
            for (int x = disc.X0; x <= disc.X1; x++)
            {
                if (disc.Contains(x, y))
                {
                    sumA += ab[(y * g.PaddedWidth) + x];
                    sumB += ab[plane + (y * g.PaddedWidth) + x];
                    n++;
                }
            }
        }

        Assert.True(n > 20, $"{n} pixels in the disc");
        Assert.Equal(hintA, sumA / n, 2);
        Assert.Equal(hintB, sumB / n, 2);
    }

    [Fact]
    public void ManyHints_OnlyTheNearestCount_AndThePaddingIsNeverWritten()
    {
        var g = Geometry(48, 32);
        var hints = new List<ColorHint>();
        for (int i = 0; i < ColorizeOptions.MaxHints; i++)
        {
            // All the same colour, spread over the image (several per pixel).
            hints.Add(new ColorHint((i * 7 % 48) + 0.5, (i * 5 % 32) + 0.5, 60, 150, 60, Radius: 0.5));
        }

        var (hintA, hintB) = HintAb(hints[0]);
        var ab = Propagate(Flat(g), g, hints);
        for (int y = 0; y < g.PaddedHeight; y++)
        {
            for (int x = 0; x < g.PaddedWidth; x++)
            {
                var (a, b) = At(ab, g, x, y);
                if (x >= g.Width || y >= g.Height)
                {
                    Assert.True(float.IsNaN(a) && float.IsNaN(b), $"padding ({x}, {y}) written");
                }
                else if (hints.Any(h => (int)h.X == x && (int)h.Y == y))
                {
                    // One colour everywhere: a hinted pixel is that colour however many hints reach it.
                    Assert.True(Math.Abs(a - hintA) < 1e-3 && Math.Abs(b - hintB) < 1e-3, $"({x}, {y}): ({a}, {b})");
                }
            }
        }
    }

    [Fact]
    public void NoHints_ChangeNothing()
    {
        var g = Geometry(20, 10);
        var ab = Predicted(g);
        var before = ab.ToArray();
        HintPropagation.Apply(ab, Flat(g), g, [], g.Width, g.Height, HintPropagationSettings.Default);
        Assert.Equal(before, ab);
    }
}
