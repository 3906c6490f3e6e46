using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Tensors;

namespace Colorize.Engine.Tests;

/// <summary>
/// The global-context block's gated form (<c>globalContextGate</c>, issue 14): the context normalised to RMS 1 per photo
/// and scaled by a zero-initialised per-channel gate, so its size is the gate's whatever the convolutions learn; at a
/// zero gate the network computes exactly what it computes without the block. PyTorch parity with a non-zero gate is
/// in the golden tests (<c>resnet_unet18_global_gated</c>).
/// </summary>
public sealed class GlobalContextGateTests
{
    private static BuiltArchitecture Build(bool globalContext, bool gate, ulong seed) => GlobalContextTests.Build(globalContext, seed, gate);

    [Fact]
    public void GateWithoutTheBlock_IsRefusedWithAPackError()
    {
        var error = Assert.Throws<ModelPackException>(() => Build(globalContext: false, gate: true, seed: 1));
        Assert.Contains("globalContextGate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ZeroGate_GivesTheNetworkWithoutTheBlock_BitForBit()
    {
        var plain = Build(globalContext: false, gate: false, seed: 11);
        var gated = Build(globalContext: true, gate: true, seed: 12);
        var load = gated.Module.LoadStateDict(plain.Module.StateDict(), strict: false);
        Assert.Empty(load.UnexpectedKeys);
        Assert.Equal(
            ["global_context.expand.bias", "global_context.expand.weight", "global_context.gate", "global_context.reduce.bias", "global_context.reduce.weight"],
            load.MissingKeys.Order(StringComparer.Ordinal));
        // Unlike the plain form's, the gated form's second convolution starts random: only the gate is zero.
        var state = gated.Module.StateDict();
        Assert.Contains(state["global_context.expand.weight"].ToArray(), w => w != 0f);
        Assert.All(state["global_context.gate"].ToArray(), g => Assert.Equal(0f, g));

        var l = Tensor.Rand(new Generator(5), -1f, 1f, 2, 1, 64, 96);
        SameOutput.InBothModes(plain.Module, l, gated.Module, l, "the output differs from the network's without the block.");
    }

    [Fact]
    public void ZeroGate_GetsAGradient_AndTheConvolutionsWaitForIt()
    {
        var gated = Build(globalContext: true, gate: true, seed: 3).Module;
        gated.Train();
        var output = gated.Call(Tensor.Rand(new Generator(4), -1f, 1f, 2, 1, 64, 64));
        (output * Tensor.Rand(new Generator(9), -1f, 1f, output.GetShape())).Sum().Backward();

        var parameters = gated.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        Assert.Contains(parameters["global_context.gate"].Grad!.ToArray(), g => g != 0f);
        // Everything inside the gate is multiplied by it: zero until the first step moves the gate.
        Assert.All(parameters["global_context.expand.weight"].Grad?.ToArray() ?? [], g => Assert.Equal(0f, g));
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(1000f)]
    public void Context_HasTheGatesSize_WhateverTheFeaturesScale(float scale)
    {
        var block = new GlobalContext(8, 4, new Generator(2), gated: true);
        var gate = block.NamedParameters().Single(p => p.Name == "gate").Parameter;
        gate.Data.Fill(0.5f);
        var features = Tensor.Rand(new Generator(6), 0f, scale, 3, 8, 4, 5);
        using (Tensor.NoGrad())
        {
            var context = (block.Call(features) - features).ToArray();
            for (int photo = 0; photo < 3; photo++)
            {
                // Constant over each photo's positions, with RMS over the channels equal to the gate's 0.5.
                var values = Enumerable.Range(0, 8).Select(c => context[((photo * 8) + c) * 20]).ToArray();
                for (int c = 0; c < 8; c++)
                {
                    Assert.All(context.AsSpan(((photo * 8) + c) * 20, 20).ToArray(), v => Assert.Equal(values[c], v, 1e-3f * scale));
                }

                Assert.Equal(0.5, Math.Sqrt(values.Average(v => (double)v * v)), 2e-3);
            }
        }
    }

    [Fact]
    public void SceneSummary_IsTheBlocksHiddenVector_AndNeedsTheBlockAndTheTanhHead()
    {
        var gated = (ResNetUnet)Build(globalContext: true, gate: true, seed: 7).Module;
        gated.Eval();
        var l = Tensor.Rand(new Generator(8), -1f, 1f, 2, 1, 64, 64);
        using (Tensor.NoGrad())
        {
            var (ab, summary) = gated.ForwardWithSceneSummary(l);
            Assert.Equal(gated.Call(l).ToArray(), ab.ToArray());
            Assert.Equal([2, 256, 1, 1], summary.GetShape());
            Assert.All(summary.ToArray(), v => Assert.True(v >= 0f));
        }

        var plain = (ResNetUnet)Build(globalContext: false, gate: false, seed: 7).Module;
        Assert.Throws<InvalidOperationException>(() => plain.ForwardWithSceneSummary(l));
    }
}
