using Colorize.Abstractions;
using Colorize.Engine.Pipeline;
using Colorize.Imaging.ColorSpaces;
using Colorize.Tensors;

namespace Colorize.Engine.Tests;

/// <summary>
/// The hints' propagation through the colorizer (issue 16): on a photo of two flat grey halves the hinted half takes the
/// hint's colour and the other keeps the network's; no hints give the same bits with it on or off; the thread count
/// changes nothing. The pack's hint branch is zero, so the network alone ignores hints: what changes is the propagation.
/// </summary>
public sealed class HintPropagationPipelineTests
{
    private static readonly CpuColorizerEngine Engine = new();

    // At the tiny pack's default render size (64) the render image is the source itself, one pixel for one.
    private const int Width = 128, Height = 64, Edge = 64;

    private static PixelBuffer TwoHalves()
    {
        var buffer = PixelBuffer.Allocate(Width, Height, PixelFormat.Rgb24);
        for (int y = 0; y < Height; y++)
        {
            var row = buffer.GetRow(y);
            for (int x = 0; x < Width; x++)
            {
                row[(x * 3) + 0] = row[(x * 3) + 1] = row[(x * 3) + 2] = (byte)(x < Edge ? 90 : 210);
            }
        }

        return buffer;
    }

    private static CpuColorizer Load() => (CpuColorizer)Engine.Load(TestPacks.TinyResNetUnet(hints: true));

    /// <summary>
    /// The hint pack with a silenced head (zero weights, a bias): the network predicts one colour everywhere, so a
    /// region that takes a hint's residual takes the hint's own colour (with a random head the prediction varies over a
    /// flat region, near the borders most, and the residual keeps those variations).
    /// </summary>
    private static CpuColorizer LoadFlat() => (CpuColorizer)Engine.Load(TestPacks.TinyResNetUnet(hints: true, state =>
    {
        state["head.weight"] = Tensor.ZerosLike(state["head.weight"]);
        state["head.bias"] = Tensor.FromArray([0.12f, -0.07f], 2);
    }));

    private static PixelBuffer Colorize(CpuColorizer colorizer, PixelBuffer source, ColorizeOptions? options = null)
    {
        var output = PixelBuffer.Allocate(source.Width, source.Height, PixelFormat.Rgb24);
        colorizer.Colorize(source, output, options);
        return output;
    }

    private static (double A, double B) Ab(PixelBuffer image, int x, int y)
    {
        var row = image.GetRow(y);
        var (_, a, b) = CieLab.FromSrgb(row[x * 3] / 255.0, row[(x * 3) + 1] / 255.0, row[(x * 3) + 2] / 255.0);
        return (a, b);
    }

    /// <summary>A brick red with the left half's lightness, well inside sRGB, so the merge keeps its chroma.</summary>
    private static ColorHint BrickRed(double x, double y, double radius)
    {
        var (l, _, _) = CieLab.FromSrgb(90 / 255.0, 90 / 255.0, 90 / 255.0);
        var (r, g, b) = CieLab.ToSrgb(l, 22, 18);
        Assert.All(new[] { r, g, b }, c => Assert.InRange(c, 0.02, 0.98));
        return new ColorHint(x, y, (byte)Math.Round(r * 255), (byte)Math.Round(g * 255), (byte)Math.Round(b * 255), radius);
    }

    [Fact]
    public void TwoFlatHalves_TheHintedHalfTakesTheHintsColour_TheOtherKeepsTheNetworks()
    {
        using var colorizer = LoadFlat();
        var source = TwoHalves();
        var hint = BrickRed(32, 32, 3);
        var (_, hintA, hintB) = CieLab.FromSrgb(hint.Red / 255.0, hint.Green / 255.0, hint.Blue / 255.0);
        var options = new ColorizeOptions { Hints = [hint] };
        var automatic = Colorize(colorizer, source);

        // The network alone (propagation off): its hint branch is zero, so the hint changes nothing.
        colorizer.HintPropagation = null;
        Assert.Equal(automatic.Memory.ToArray(), Colorize(colorizer, source, options).Memory.ToArray());

        // A reach beyond the image: the whole hinted half is the hint's colour (to 8-bit rounding), the other half the
        // network's (to one level: the hinted run scales ab before enlarging it instead of after).
        colorizer.HintPropagation = new HintPropagationSettings { Reach = 50 };
        var wide = Colorize(colorizer, source, options);
        colorizer.HintPropagation = HintPropagationSettings.Default;
        var product = Colorize(colorizer, source, options);
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                if (x < Edge - 2)
                {
                    var (a, b) = Ab(wide, x, y);
                    Assert.True(Math.Abs(a - hintA) < 3 && Math.Abs(b - hintB) < 3, $"({x}, {y}): ({a:F1}, {b:F1}) against the hint's ({hintA:F1}, {hintB:F1})");
                }
                else if (x >= Edge + 2)
                {
                    for (int c = 0; c < 3; c++)
                    {
                        Assert.InRange(wide.GetRow(y)[(x * 3) + c] - automatic.GetRow(y)[(x * 3) + c], -1, 1);
                        Assert.InRange(product.GetRow(y)[(x * 3) + c] - automatic.GetRow(y)[(x * 3) + c], -1, 1);
                    }
                }
            }
        }

        // With the product's settings the hint's own disc is its colour too.
        var (pa, pb) = Ab(product, 32, 32);
        Assert.True(Math.Abs(pa - hintA) < 3 && Math.Abs(pb - hintB) < 3, $"at the hint: ({pa:F1}, {pb:F1})");
    }

    [Fact]
    public void NoHints_GiveTheSameBits_WithPropagationOnOrOff()
    {
        using var colorizer = Load();
        var source = TwoHalves();
        var on = Colorize(colorizer, source).Memory.ToArray();
        Assert.Equal(on, Colorize(colorizer, source, new ColorizeOptions { Hints = [] }).Memory.ToArray());
        colorizer.HintPropagation = null;
        Assert.Equal(on, Colorize(colorizer, source).Memory.ToArray());
    }

    [Fact]
    public void Hints_GiveTheSameBits_AtOneTwoOrThreeThreads()
    {
        using var colorizer = Load();
        var source = PixelBuffer.Allocate(150, 97, PixelFormat.Rgb24);
        new Random(3).NextBytes(source.Memory.Span);
        ColorHint[] hints = [BrickRed(20, 30, 5), new ColorHint(100, 60, 30, 80, 200, 9), new ColorHint(101, 61, 200, 200, 30, 2)];
        byte[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var output = Colorize(colorizer, source, new ColorizeOptions { Hints = hints, Threads = threads }).Memory.ToArray();
            first ??= output;
            Assert.Equal(first, output);
        }
    }
}
