using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Modules;

public sealed class InferenceOptimizerTests
{
    private static Sequential TrainedNet(Generator gen)
    {
        var net = new Sequential(
            new Conv2d(3, 8, 3, padding: 1, generator: gen), new BatchNorm2d(8), new LeakyReLU(0.2f),
            new ConvTranspose2d(8, 6, 4, stride: 2, padding: 1, bias: false, generator: gen), new BatchNorm2d(6), new ReLU(),
            new Conv2d(6, 4, 1, groups: 2, generator: gen), new BatchNorm2d(4));
        // A few training-mode passes give the BatchNorm layers non-trivial running statistics.
        using (Tensor.NoGrad())
        {
            for (int i = 0; i < 3; i++)
            {
                net.Call(Tensor.Randn(gen, 4, 3, 6, 5).Mul(2f).Add(0.5f));
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

        return net;
    }

    [Fact]
    public void FoldBatchNorm_KeepsTheFunction_AndRemovesEveryBatchNorm()
    {
        var gen = new Generator(11);
        var net = TrainedNet(gen);
        net.Eval();
        var x = Tensor.Randn(gen, 2, 3, 6, 5);
        float[] before;
        using (Tensor.NoGrad())
        {
            before = net.Call(x).ToArray();
        }

        Assert.Equal(3, InferenceOptimizer.FoldBatchNorm(net));
        Assert.DoesNotContain(net.NamedModules(), m => m.Module is BatchNorm2d);
        float[] after;
        using (Tensor.NoGrad())
        {
            after = net.Call(x).ToArray();
        }

        for (int i = 0; i < before.Length; i++)
        {
            Assert.True(Math.Abs(before[i] - after[i]) <= 1e-5f + (1e-5f * Math.Abs(before[i])), $"element {i}: {before[i]} vs {after[i]}");
        }
    }

    [Fact]
    public void FoldBatchNorm_InTrainingMode_IsRefused()
    {
        var net = TrainedNet(new Generator(1));
        Assert.Throws<InvalidOperationException>(() => InferenceOptimizer.FoldBatchNorm(net));
    }

    [Fact]
    public void MaterializeSpectralNorm_GivesTheSameBits_WithPlainWeightsAndNoHooks()
    {
        var gen = new Generator(21);
        var attention = new SelfAttention(8, generator: gen);
        var net = new Sequential(
            SpectralNorm.Apply(new Conv2d(3, 8, 3, padding: 1, generator: gen), generator: gen), new ReLU(),
            attention,
            SpectralNorm.Apply(new ConvTranspose2d(8, 4, 4, stride: 2, padding: 1, generator: gen), generator: gen));
        Init.Constant(attention.Gamma, 0.7f);
        // Training-mode passes move u and v away from their random start, as training does.
        using (Tensor.NoGrad())
        {
            for (int i = 0; i < 3; i++)
            {
                net.Call(Tensor.Randn(gen, 2, 3, 6, 5));
            }
        }

        net.Eval();
        var x = Tensor.Randn(gen, 2, 3, 6, 5);
        var before = Forward(net, x);

        Assert.Equal(5, InferenceOptimizer.MaterializeSpectralNorm(net));
        Assert.DoesNotContain(net.NamedModules(), m => m.Module.HasPreHooks);
        Assert.DoesNotContain(net.StateDict().Keys, k => k.EndsWith("_orig", StringComparison.Ordinal) || k.EndsWith("_u", StringComparison.Ordinal) || k.EndsWith("_v", StringComparison.Ordinal));
        // The weight an eval-mode forward computed every time, computed once: the same bits.
        Assert.Equal(before, Forward(net, x));
        Assert.Equal(0, InferenceOptimizer.MaterializeSpectralNorm(net));
    }

    [Fact]
    public void SpectralNormRemove_RegistersTheWeightLast_AsPyTorch()
    {
        var conv = SpectralNorm.Apply(new Conv2d(2, 3, 1));
        SpectralNorm.Remove(conv);
        Assert.Equal(["bias", "weight"], conv.StateDict().Keys);
        Assert.True(conv.Weight.RequiresGrad);
        Assert.Throws<ArgumentException>(() => SpectralNorm.Remove(conv));
    }

    [Fact]
    public void MaterializeSpectralNorm_InTrainingMode_IsRefused()
    {
        var net = new Sequential(SpectralNorm.Apply(new Conv2d(2, 3, 1)));
        Assert.Throws<InvalidOperationException>(() => InferenceOptimizer.MaterializeSpectralNorm(net));
        Assert.Throws<InvalidOperationException>(() => InferenceOptimizer.Optimize(net));
        Assert.True(net[0].HasPreHooks);
    }

    [Fact]
    public void Optimize_FoldsBatchNormAfterASpectralNormConv()
    {
        var gen = new Generator(31);
        var net = new Sequential(
            SpectralNorm.Apply(new Conv2d(3, 8, 3, padding: 1, generator: gen), generator: gen), new BatchNorm2d(8), new ReLU(),
            new Conv2d(8, 4, 1, generator: gen), new BatchNorm2d(4));
        GiveStatistics(net, gen);
        net.Eval();
        var x = Tensor.Randn(gen, 2, 3, 6, 5);
        var before = Forward(net, x);

        // A spectral-normalised conv recomputes its weight before each forward, so it cannot be folded as it is.
        Assert.Equal(new InferenceOptimization(SpectralNorms: 1, BatchNorms: 2, ReLUs: 1), InferenceOptimizer.Optimize(net));
        Assert.DoesNotContain(net.NamedModules(), m => m.Module is BatchNorm2d);
        AssertClose(before, Forward(net, x));
        Assert.Equal(new InferenceOptimization(0, 0), InferenceOptimizer.Optimize(net));
    }

    [Fact]
    public void FoldBatchNorm_AsksModulesThatHoldTheirPairsAsFields()
    {
        var gen = new Generator(41);
        var net = new Sequential(new FieldBlock(gen), new FieldBlock(gen));
        GiveStatistics(net, gen);
        net.Eval();
        var x = Tensor.Randn(gen, 2, 4, 7, 6);
        var before = Forward(net, x);

        Assert.Equal(4, InferenceOptimizer.FoldBatchNorm(net));
        Assert.DoesNotContain(net.NamedModules(), m => m.Module is BatchNorm2d);
        AssertClose(before, Forward(net, x));
        Assert.Equal(0, InferenceOptimizer.FoldBatchNorm(net));
    }

    [Fact]
    public void TryFold_RefusesPairsItCannotFold()
    {
        var conv = new Conv2d(2, 3, 1);
        conv.Eval();
        var wrongWidth = new BatchNorm2d(4);
        wrongWidth.Eval();
        var noStatistics = new BatchNorm2d(3, trackRunningStats: false);
        noStatistics.Eval();
        Assert.Null(InferenceOptimizer.TryFold(conv, wrongWidth));
        Assert.Null(InferenceOptimizer.TryFold(conv, noStatistics));

        var training = new BatchNorm2d(3);
        Assert.Throws<InvalidOperationException>(() => InferenceOptimizer.TryFold(conv, training));
    }

    /// <summary>conv → BN → ReLU → conv → BN with the pairs as fields, as a ResNet block holds them.</summary>
    private sealed class FieldBlock : Module<Tensor, Tensor>, IBatchNormFoldable
    {
        private Conv2d _conv1, _conv2;
        private Module<Tensor, Tensor> _bn1, _bn2;

        public FieldBlock(Generator gen)
        {
            _conv1 = RegisterModule("conv1", new Conv2d(4, 5, 3, padding: 1, bias: false, generator: gen));
            _bn1 = RegisterModule("bn1", new BatchNorm2d(5));
            _conv2 = RegisterModule("conv2", new Conv2d(5, 4, 3, padding: 1, generator: gen));
            _bn2 = RegisterModule("bn2", new BatchNorm2d(4));
        }

        public override Tensor Forward(Tensor input) => _bn2.Call(_conv2.Call(_bn1.Call(_conv1.Call(input)).Relu()));

        public int FoldBatchNorm() => Fold("conv1", "bn1", ref _conv1, ref _bn1) + Fold("conv2", "bn2", ref _conv2, ref _bn2);

        private int Fold(string convName, string bnName, ref Conv2d conv, ref Module<Tensor, Tensor> bn)
        {
            if (bn is not BatchNorm2d norm || InferenceOptimizer.TryFold(conv, norm) is not { } fused)
            {
                return 0;
            }

            conv = RegisterModule(convName, fused);
            var identity = new Identity();
            identity.Eval();
            bn = RegisterModule(bnName, identity);
            return 1;
        }
    }

    /// <summary>Training-mode passes for running statistics, then random γ and β.</summary>
    private static void GiveStatistics(Module<Tensor, Tensor> net, Generator gen)
    {
        using (Tensor.NoGrad())
        {
            var first = net.NamedModules().Select(m => m.Module).OfType<Conv2d>().First();
            for (int i = 0; i < 3; i++)
            {
                net.Call(Tensor.Randn(gen, 4, first.InChannels, 6, 5).Mul(2f).Add(0.5f));
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
    }

    private static float[] Forward(Module<Tensor, Tensor> net, Tensor x)
    {
        using (Tensor.NoGrad())
        {
            return net.Call(x).ToArray();
        }
    }

    private static void AssertClose(float[] before, float[] after)
    {
        Assert.Equal(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++)
        {
            Assert.True(Math.Abs(before[i] - after[i]) <= 1e-5f + (1e-5f * Math.Abs(before[i])), $"element {i}: {before[i]} vs {after[i]}");
        }
    }
}
