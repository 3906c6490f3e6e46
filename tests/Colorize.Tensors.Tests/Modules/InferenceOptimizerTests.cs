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
}
