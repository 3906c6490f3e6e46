using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Imaging.ColorSpaces;
using Colorize.Tensors;

namespace Colorize.Engine.Tests;

/// <summary>Colour hints through the colorizer: the planes reach the network, packs without hints refuse them typed.</summary>
public sealed class HintPipelineTests
{
    private static readonly CpuColorizerEngine Engine = new();

    private const int Width = 200, Height = 130;

    /// <summary>
    /// A hint pack whose hint branch is known: the residual block is silenced (zero), so the head sees the decoder's
    /// output plus hint_head's; hint_head puts 3·(a/110) on channel 0 and 3·(b/110) on channel 1 at the hinted pixel
    /// only (centre tap), and the head reads channel 0 into a and channel 1 into b. So a hint pushes the predicted ab
    /// towards its own, at its pixels and nowhere else; hint_input stays zero, keeping the effect local.
    /// </summary>
    private static void KnownHintBranch(Dictionary<string, Tensor> state)
    {
        foreach (var key in state.Keys.Where(k => k.StartsWith("residual.", StringComparison.Ordinal)).ToList())
        {
            state[key] = Tensor.ZerosLike(state[key]);
        }

        var head = state["head.weight"].Clone();          // [2, res, 1, 1]
        head[0, 0, 0, 0] = 1f;
        head[1, 0, 0, 0] = 0f;
        head[0, 1, 0, 0] = 0f;
        head[1, 1, 0, 0] = 1f;
        state["head.weight"] = head;
        var hintHead = Tensor.ZerosLike(state["hint_head.weight"]);   // [res, 3, 3, 3]
        hintHead[0, 0, 1, 1] = 3f;
        hintHead[1, 1, 1, 1] = 3f;
        state["hint_head.weight"] = hintHead;
    }

    private static PixelBuffer Grey()
    {
        var buffer = PixelBuffer.Allocate(Width, Height, PixelFormat.Rgb24);
        for (int y = 0; y < Height; y++)
        {
            var row = buffer.GetRow(y);
            for (int x = 0; x < Width; x++)
            {
                row[(x * 3) + 0] = row[(x * 3) + 1] = row[(x * 3) + 2] = (byte)(90 + ((x * 5 + y * 3) % 70));
            }
        }

        return buffer;
    }

    private static PixelBuffer Colorize(IColorizer colorizer, ColorizeOptions? options = null)
    {
        var output = PixelBuffer.Allocate(Width, Height, PixelFormat.Rgb24);
        colorizer.Colorize(Grey(), output, options);
        return output;
    }

    private static (double A, double B) Ab(PixelBuffer image, int x, int y)
    {
        var row = image.GetRow(y);
        var (_, a, b) = CieLab.FromSrgb(row[x * 3] / 255.0, row[(x * 3) + 1] / 255.0, row[(x * 3) + 2] / 255.0);
        return (a, b);
    }

    [Fact]
    public void Hint_MovesTheColourTowardsItself_NearTheHint_AndNotFarAway()
    {
        using var colorizer = (CpuColorizer)Engine.Load(TestPacks.TinyResNetUnet(hints: true, KnownHintBranch));
        Assert.True(colorizer.SupportsHints);

        // The network's own hint branch, without the propagation after it (HintPropagationPipelineTests), which would
        // spread the hint over this photo's flat stretches.
        colorizer.HintPropagation = null;
        var hint = new ColorHint(60, 50, 20, 160, 40, Radius: 8);
        var (_, hintA, hintB) = CieLab.FromSrgb(20 / 255.0, 160 / 255.0, 40 / 255.0);
        var automatic = Colorize(colorizer);
        var hinted = Colorize(colorizer, new ColorizeOptions { Hints = [hint] });

        double Distance(PixelBuffer image, int x, int y)
        {
            var (a, b) = Ab(image, x, y);
            return Math.Sqrt(Math.Pow(a - hintA, 2) + Math.Pow(b - hintB, 2));
        }

        double before = Distance(automatic, 60, 50), after = Distance(hinted, 60, 50);
        Assert.True(after < before - 10, $"at the hint the colour is {after:F1} from the hint's ab, {before:F1} without it");

        // Far from the hint (beyond its disc, the 3×3 branch and the bilinear enlargement) nothing changes.
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                if (Math.Abs(x - 60) > 20 || Math.Abs(y - 50) > 20)
                {
                    Assert.True(automatic.GetRow(y).Slice(x * 3, 3).SequenceEqual(hinted.GetRow(y).Slice(x * 3, 3)), $"({x}, {y}) changed");
                }
            }
        }
    }

    [Fact]
    public void HintPack_WithoutHints_GivesTheAutomaticNetworksResult()
    {
        // One state dict, with and without the (zero-bias) hint branch: no hints must be exactly the automatic pack's
        // output, whether Hints is null or empty, and at any strength.
        using var hintPack = Engine.Load(TestPacks.TinyResNetUnet(hints: true, KnownHintBranch));
        using var automaticPack = Engine.Load(TestPacks.TinyResNetUnet(hints: false, KnownHintBranch));
        Assert.False(automaticPack.SupportsHints);
        var expected = Colorize(automaticPack).Memory.ToArray();
        Assert.Equal(expected, Colorize(hintPack).Memory.ToArray());
        Assert.Equal(expected, Colorize(hintPack, new ColorizeOptions { Hints = [] }).Memory.ToArray());
        Assert.Equal(Colorize(automaticPack, new ColorizeOptions { Strength = 1.4f }).Memory.ToArray(), Colorize(hintPack, new ColorizeOptions { Strength = 1.4f }).Memory.ToArray());
        Assert.Equal(expected, Colorize(automaticPack, new ColorizeOptions { Hints = [] }).Memory.ToArray());
    }

    [Fact]
    public void PackWithoutHints_RefusesHints_TypedAndBeforeAnyWork()
    {
        using var colorizer = Engine.Load(TestPacks.TinyPix2Pix());
        Assert.False(colorizer.SupportsHints);
        var output = PixelBuffer.Allocate(Width, Height, PixelFormat.Rgb24);
        output.Memory.Span.Fill(7);
        var e = Assert.Throws<HintsNotSupportedException>(() => colorizer.Colorize(Grey(), output, new ColorizeOptions { Hints = [new ColorHint(1, 1, 255, 0, 0)] }));
        Assert.Equal("tiny-test@0.0.1", e.PackReference);
        Assert.All(output.Memory.ToArray(), v => Assert.Equal(7, v));
    }

    [Fact]
    public void HintOutsideTheSource_IsRefusedBeforeAnyWork()
    {
        using var colorizer = Engine.Load(TestPacks.TinyResNetUnet(hints: true));
        var output = PixelBuffer.Allocate(Width, Height, PixelFormat.Rgb24);
        output.Memory.Span.Fill(7);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => colorizer.Colorize(Grey(), output, new ColorizeOptions { Hints = [new ColorHint(3, 3, 255, 0, 0), new ColorHint(Width, 3, 0, 255, 0)] }));
        Assert.Contains("Hint 2", e.Message, StringComparison.Ordinal);
        Assert.All(output.Memory.ToArray(), v => Assert.Equal(7, v));
    }

    [Fact]
    public void ManifestHints_MustMatchTheArchitecture_AndAHintPackMustCarryTheHintWeights()
    {
        var saysHintsButIsNot = TestPacks.TinyResNetUnet(hints: false, inputHints: true);
        Assert.False(Engine.CheckCompatibility(saysHintsButIsNot.Manifest).IsCompatible);
        Assert.Throws<ModelPackException>(() => Engine.Load(saysHintsButIsNot));

        var hidesItsHints = TestPacks.TinyResNetUnet(hints: true, inputHints: false);
        Assert.False(Engine.CheckCompatibility(hidesItsHints.Manifest).IsCompatible);
        Assert.Throws<ModelPackException>(() => Engine.Load(hidesItsHints));

        var e = Assert.Throws<ModelPackException>(() => Engine.Load(TestPacks.TinyResNetUnet(hints: true, dropHintWeights: true)));
        Assert.Contains("hint_", e.Message, StringComparison.Ordinal);
        Assert.True(Engine.CheckCompatibility(TestPacks.TinyResNetUnet(hints: true).Manifest).IsCompatible);
    }

    [Fact]
    public void HintNetwork_IsBuiltFromTheRegistry()
    {
        var manifest = TestPacks.TinyResNetUnet(hints: true).Manifest;
        Assert.True(ArchitectureRegistry.Build(manifest.Architecture, ArchitectureRole.Generator).TakesHints);
    }
}
