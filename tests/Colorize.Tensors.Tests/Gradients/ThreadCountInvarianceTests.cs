using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Gradients;

/// <summary>The engine promises the same bits for any thread count.</summary>
[Collection("TensorOptions")]
public sealed class ThreadCountInvarianceTests
{
    [Fact]
    public void ConvNetForwardAndBackward_AreBitIdenticalWithOneAndThreeThreads()
    {
        var (out1, grad1, weights1) = Run(1);
        var (out2, grad2, weights2) = Run(2);
        var (out3, grad3, weights3) = Run(3);
        Assert.Equal(out1, out2);
        Assert.Equal(out1, out3);
        Assert.Equal(grad1, grad2);
        Assert.Equal(grad1, grad3);
        Assert.Equal(weights1, weights2);
        Assert.Equal(weights1, weights3);
    }

    private static (float[] Output, float[] Grad, float[] WeightGrads) Run(int threads)
    {
        int saved = TensorOptions.NumThreads;
        try
        {
            TensorOptions.NumThreads = threads;
            var gen = new Generator(7);
            var net = new Sequential(
                new Conv2d(3, 16, 3, padding: 1, generator: gen),
                new BatchNorm2d(16),
                new LeakyReLU(0.2f),
                new Conv2d(16, 8, 4, stride: 2, padding: 1, generator: gen),
                new ReLU(),
                new ConvTranspose2d(8, 4, 4, stride: 2, padding: 1, generator: gen));
            var x = Tensor.Randn(gen, 4, 3, 33, 31).SetRequiresGrad();
            var y = net.Call(x);
            (y * y).Sum().Backward();
            return (y.ToArray(), x.Grad!.ToArray(), [.. net.Parameters().SelectMany(p => p.Grad!.ToArray())]);
        }
        finally
        {
            TensorOptions.NumThreads = saved;
        }
    }
}

[CollectionDefinition("TensorOptions", DisableParallelization = true)]
public sealed class TensorOptionsSerialGroup;
