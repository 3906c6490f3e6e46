using System.Text.Json;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Tests;

/// <summary>
/// The default pack's network (resnet-unet, ResNet18 with three layer4 blocks, ImageNet input, width 0.5,
/// self-attention, spectral norm) as CpuColorizer prepares it: spectral norm materialised, BatchNorm folded into the
/// convolutions of the Sequentials, the ResNet blocks and the stem. The optimised network computes the unoptimised
/// one's function to float rounding, also with the hint branch, whose sum with conv1 passes through the folded bn1,
/// and gives the same bits at any thread count.
/// </summary>
[Collection("EngineTensorOptions")]
public sealed class InferenceOptimizationTests
{
    // Folded: the stem, two per BasicBlock (2 + 2 + 2 + 3 blocks) and the three downsamples. Left: the middle's
    // BatchNorm and the decoder's four skip BatchNorms, which follow a ReLU, not a convolution.
    private const int FoldedBatchNorms = 1 + (2 * 9) + 3;
    private const int RemainingBatchNorms = 5;

    // middle (2), decoder (4 PixelShuffle convs, 8 convs, 3 in self-attention), final shuffle, residual (2), head.
    private const int SpectralNorms = 2 + 4 + 8 + 3 + 1 + 2 + 1;

    // The ReLUs after the middle's two convolutions, the decoder's eight and the residual's two (the middle's first
    // follows its BatchNorm; the ResNet blocks' are in their code, not Sequentials).
    private const int FusedReLUs = 2 + 8 + 2;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Optimized_ComputesTheUnoptimizedFunction(bool hints)
    {
        var net = TrainedLike(hints, seed: hints ? 3ul : 2ul);
        var input = Input(hints);
        var before = Forward(net, input);

        var result = InferenceOptimizer.Optimize(net);
        Assert.Equal(new InferenceOptimization(SpectralNorms, FoldedBatchNorms, FusedReLUs), result);
        Assert.Equal(RemainingBatchNorms, net.NamedModules().Count(m => m.Module is BatchNorm2d));
        Assert.DoesNotContain(net.NamedModules(), m => m.Module.HasPreHooks);
        var after = Forward(net, input);

        // The InferenceOptimizer tests' tolerance; tanh outputs spread over (−1, 1), not saturated.
        Assert.True(before.Count(v => Math.Abs(v) < 0.9f) > before.Length / 2, "the outputs are saturated: the comparison would say little");
        for (int i = 0; i < before.Length; i++)
        {
            Assert.True(Math.Abs(before[i] - after[i]) <= 1e-5f + (1e-5f * Math.Abs(before[i])), $"element {i}: {before[i]} vs {after[i]}");
        }
    }

    [Fact]
    public void HintBranch_StillMovesTheOptimizedOutput()
    {
        var net = TrainedLike(hints: true, seed: 4);
        InferenceOptimizer.Optimize(net);
        var hinted = Forward(net, Input(hints: true));
        var l = Input(hints: false);
        var unhinted = Forward(net, Tensor.Cat([l, Tensor.Zeros(l.Shape[0], ResNetUnet.HintChannels, l.Shape[2], l.Shape[3])], 1));
        Assert.True(hinted.Zip(unhinted, (a, b) => Math.Abs(a - b)).Max() > 1e-3f);
    }

    [Fact]
    public void Optimized_GivesTheSameBitsWithOneTwoAndThreeThreads()
    {
        var net = TrainedLike(hints: true, seed: 5);
        InferenceOptimizer.Optimize(net);
        var input = Input(hints: true);
        int saved = TensorOptions.NumThreads;
        try
        {
            var outputs = new[] { 1, 2, 3 }.Select(threads =>
            {
                TensorOptions.NumThreads = threads;
                return Forward(net, input);
            }).ToList();
            Assert.Equal(outputs[0], outputs[1]);
            Assert.Equal(outputs[0], outputs[2]);
        }
        finally
        {
            TensorOptions.NumThreads = saved;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ZeroHintPlanes_SkippedBranch_GivesTheComputedBranchsBits_AtOneTwoAndThreeThreads(bool optimized)
    {
        var net = TrainedLike(hints: true, seed: 6);
        if (optimized)
        {
            InferenceOptimizer.Optimize(net);
        }

        var unet = Assert.IsType<ResNetUnet>(net);
        var l = Input(hints: false);
        var input = Tensor.Cat([l, Tensor.Zeros(l.Shape[0], ResNetUnet.HintChannels, l.Shape[2], l.Shape[3])], 1);
        AssertSkippingGivesTheComputedBits(unet, input);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FewHints_BandConvolutions_GiveTheFullConvolutionsBits_AtOneTwoAndThreeThreads(bool optimized)
    {
        var net = TrainedLike(hints: true, seed: 7);
        if (optimized)
        {
            InferenceOptimizer.Optimize(net);
        }

        var unet = Assert.IsType<ResNetUnet>(net);
        // Two hinted squares (rows 10–13 and 40–43 of 64) and one on the top edge, where the band reads the padding.
        var input = Input(hints: true);
        for (int y = 0; y < 2; y++)
        {
            input[0, 1, y, 5] = 0.3f;
            input[0, 3, y, 5] = 1f;
        }

        AssertSkippingGivesTheComputedBits(unet, input);
    }

    /// <summary>The hint convolutions skipped or cut to bands give what computing them in full gives, bit for bit, at 1, 2 and 3 threads.</summary>
    private static void AssertSkippingGivesTheComputedBits(ResNetUnet unet, Tensor input)
    {
        int saved = TensorOptions.NumThreads;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                TensorOptions.NumThreads = threads;
                unet.SkipZeroHints = false;
                var computed = Forward(unet, input);
                unet.SkipZeroHints = true;
                Assert.Equal(computed, Forward(unet, input));
            }
        }
        finally
        {
            TensorOptions.NumThreads = saved;
            unet.SkipZeroHints = true;
        }
    }

    [Fact]
    public void FoldedEncoder_RefusesAnAddendNothingScaled()
    {
        var encoder = new ResNetEncoder(18, 3, new Generator(6));
        encoder.Eval();
        // The stem, two per block (2 + 2 + 2 + 2) and three downsamples.
        Assert.Equal(1 + (2 * 8) + 3, InferenceOptimizer.FoldBatchNorm(encoder));
        var x = Tensor.Randn(new Generator(7), 1, 3, 64, 64);
        using (Tensor.NoGrad())
        {
            Assert.Equal(5, encoder.Features(x).Length);
            Assert.Throws<InvalidOperationException>(() => encoder.Features(x, conv1Addend: Tensor.Zeros(1, 64, 32, 32)));
        }
    }

    /// <summary>
    /// The default architecture with random weights that behave like trained ones where folding matters: BatchNorm
    /// running statistics from training-mode passes (spectral norm's u and v advance too), random γ and β, self-attention's
    /// γ and the hint branch non-zero; then eval mode.
    /// </summary>
    private static Module<Tensor, Tensor> TrainedLike(bool hints, ulong seed)
    {
        var hyper = new Dictionary<string, JsonElement>
        {
            ["encoderDepth"] = JsonSerializer.SerializeToElement(18),
            ["layer4Blocks"] = JsonSerializer.SerializeToElement(3),
            ["imageNetInput"] = JsonSerializer.SerializeToElement(true),
            ["width"] = JsonSerializer.SerializeToElement(0.5),
            ["selfAttention"] = JsonSerializer.SerializeToElement(true),
            ["spectralNorm"] = JsonSerializer.SerializeToElement(true),
            ["hints"] = JsonSerializer.SerializeToElement(hints),
        };
        var gen = new Generator(seed);
        var built = ArchitectureRegistry.Build(new ArchitectureSpec { Name = "resnet-unet", Version = 1, Hyperparameters = hyper }, ArchitectureRole.Generator, gen);
        var net = built.Module;
        foreach (var (name, tensor) in net.StateDict())
        {
            if (name.EndsWith(".gamma", StringComparison.Ordinal))
            {
                tensor.Data.Fill(0.7f);
            }
            else if (name.StartsWith("hint_", StringComparison.Ordinal))
            {
                // The hint planes enter ×127.5 (ImageNet input), so small weights reach conv1's scale.
                Tensor.Randn(gen, 0f, 0.02f, tensor.GetShape()).Data.CopyTo(tensor.Data);
            }
        }

        net.Train();
        using (Tensor.NoGrad())
        {
            for (int step = 0; step < 3; step++)
            {
                net.Call(Input(hints, seed: 100 + (ulong)step, count: 2));
            }
        }

        foreach (var (_, m) in net.NamedModules())
        {
            if (m is BatchNorm2d bn)
            {
                Init.Uniform(bn.Weight!, 0.5f, 1.5f, gen);
                Init.Uniform(bn.Bias!, -0.5f, 0.5f, gen);
            }
        }

        net.Eval();
        return net;
    }

    /// <summary>L in [−1, 1] with some structure and, for a hint network, two hinted squares after it.</summary>
    private static Tensor Input(bool hints, ulong seed = 1, int count = 1)
    {
        const int h = 64, w = 96;
        var l = Tensor.Rand(new Generator(seed), -1f, 1f, count, 1, h, w);
        if (!hints)
        {
            return l;
        }

        var planes = Tensor.Zeros(count, ResNetUnet.HintChannels, h, w);
        foreach (var (y0, x0, a, b) in new[] { (10, 30, 0.4f, -0.3f), (40, 70, -0.5f, 0.2f) })
        {
            for (int n = 0; n < count; n++)
            {
                for (int y = y0; y < y0 + 4; y++)
                {
                    for (int x = x0; x < x0 + 4; x++)
                    {
                        planes[n, 0, y, x] = a;
                        planes[n, 1, y, x] = b;
                        planes[n, 2, y, x] = 1f;
                    }
                }
            }
        }

        return Tensor.Cat([l, planes], 1);
    }

    private static float[] Forward(Module<Tensor, Tensor> net, Tensor input)
    {
        using (Tensor.NoGrad())
        {
            return net.Call(input).ToArray();
        }
    }
}

[CollectionDefinition("EngineTensorOptions", DisableParallelization = true)]
public sealed class EngineTensorOptionsSerialGroup;
