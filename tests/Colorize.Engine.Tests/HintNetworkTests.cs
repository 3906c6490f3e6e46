using System.Text.Json;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Tests;

/// <summary>
/// The resnet-unet hint branch (issue 16): zero-initialised, so a hint network computes exactly what the automatic
/// network with the same weights computes until it is fine-tuned. Its parity with PyTorch, with non-zero hint weights
/// and hinted input, is in the golden tests (<c>resnet_unet18_hints</c>).
/// </summary>
public sealed class HintNetworkTests
{
    private static Dictionary<string, JsonElement> Hyper(bool hints) => new()
    {
        ["encoderDepth"] = JsonSerializer.SerializeToElement(18),
        ["layer4Blocks"] = JsonSerializer.SerializeToElement(3),
        ["imageNetInput"] = JsonSerializer.SerializeToElement(true),
        ["width"] = JsonSerializer.SerializeToElement(0.25),
        ["hints"] = JsonSerializer.SerializeToElement(hints),
    };

    private static BuiltArchitecture Build(bool hints, ulong seed) =>
        ArchitectureRegistry.Build(new ArchitectureSpec { Name = "resnet-unet", Version = 1, Hyperparameters = Hyper(hints) }, ArchitectureRole.Generator, new Generator(seed));

    /// <summary>L in channel 0 and, after it, the three hint planes (zero, or a hinted square).</summary>
    private static (Tensor L, Tensor Hinted) Inputs(bool hintedSquare)
    {
        var l = Tensor.Rand(new Generator(5), -1f, 1f, 2, 1, 64, 96);
        var planes = Tensor.Zeros(2, ResNetUnet.HintChannels, 64, 96);
        if (hintedSquare)
        {
            for (int y = 10; y < 14; y++)
            {
                for (int x = 30; x < 34; x++)
                {
                    planes[0, 0, y, x] = 0.4f;
                    planes[0, 1, y, x] = -0.3f;
                    planes[0, 2, y, x] = 1f;
                }
            }
        }

        return (l, Tensor.Cat([l, planes], 1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ZeroInitialisedHintNetwork_GivesTheAutomaticNetworksOutput_BitForBit(bool hintedSquare)
    {
        var automatic = Build(hints: false, seed: 11);
        var hinted = Build(hints: true, seed: 12);
        Assert.False(automatic.TakesHints);
        Assert.True(hinted.TakesHints);

        // The automatic network's weights into the hint network, as fine-tuning starts: only the hint branch is missing.
        var load = hinted.Module.LoadStateDict(automatic.Module.StateDict(), strict: false);
        Assert.Empty(load.UnexpectedKeys);
        Assert.NotEmpty(load.MissingKeys);
        Assert.All(load.MissingKeys, k => Assert.Contains(ResNetUnet.HintKeyPrefixes, p => k.StartsWith(p, StringComparison.Ordinal)));
        Assert.All(
            hinted.Module.StateDict().Where(kv => load.MissingKeys.Contains(kv.Key)),
            kv => Assert.All(kv.Value.Data.ToArray(), v => Assert.Equal(0f, v)));

        var (l, input) = Inputs(hintedSquare);
        SameOutput.InBothModes(automatic.Module, l, hinted.Module, input, "the hint network's output differs from the automatic network's.");
    }

    [Fact]
    public void HintNetwork_RefusesAnInputWithoutTheHintPlanes()
    {
        var hinted = Build(hints: true, seed: 3).Module;
        hinted.Eval();
        using (Tensor.NoGrad())
        {
            var e = Assert.Throws<ArgumentException>(() => hinted.Call(Tensor.Zeros(1, 1, 32, 32)));
            Assert.Contains("4 channels", e.Message, StringComparison.Ordinal);
        }
    }
}
