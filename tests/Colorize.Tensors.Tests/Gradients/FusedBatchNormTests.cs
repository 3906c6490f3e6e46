using Colorize.Tensors.Autograd;
using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Gradients;

/// <summary>
/// Training-mode BatchNorm with γ and β runs as one fused op; it must give what the separate normalise, multiply
/// and add ops give: the same output and input-gradient bits, the same γ and β gradients up to rounding, and the
/// same second derivatives under createGraph.
/// </summary>
public sealed class FusedBatchNormTests
{
    [Theory]
    [InlineData(2, 3, 5, 7)]     // odd planes: vector blocks and scalar tails
    [InlineData(4, 16, 16, 16)]  // several channels per thread
    public void MatchesTheSeparateOps(int n, int c, int h, int w)
    {
        var gen = new Generator(11);
        var x = Tensor.Randn(gen, 1.5f, 2f, n, c, h, w).SetRequiresGrad();
        var gamma = Tensor.Randn(gen, 1f, 0.5f, c).SetRequiresGrad();
        var beta = Tensor.Randn(gen, 0f, 0.5f, c).SetRequiresGrad();
        var upstream = Tensor.Randn(gen, n, c, h, w);

        var fused = Functional.BatchNorm(x, null, null, gamma, beta, training: true);
        (fused * upstream).Sum().Backward();
        float[] fusedDx = x.Grad!.ToArray(), fusedDGamma = gamma.Grad!.ToArray(), fusedDBeta = beta.Grad!.ToArray();
        x.Grad = gamma.Grad = beta.Grad = null;

        // The same computation as separate ops: BatchNorm without affine, then · γ and + β.
        var shape = new[] { 1, c, 1, 1 };
        var separate = (Functional.BatchNorm(x, null, null, null, null, training: true) * gamma.Reshape(shape)) + beta.Reshape(shape);
        (separate * upstream).Sum().Backward();

        Assert.Equal(separate.ToArray(), fused.ToArray());
        Assert.Equal(x.Grad!.ToArray(), fusedDx);
        AssertClose(gamma.Grad!.ToArray(), fusedDGamma);
        AssertClose(beta.Grad!.ToArray(), fusedDBeta);
    }

    [Fact]
    public void SecondDerivativesMatchTheSeparateOps()
    {
        var gen = new Generator(12);
        var x = Tensor.Randn(gen, 0.5f, 1.5f, 3, 4, 5, 6).SetRequiresGrad();
        var gamma = Tensor.Randn(gen, 1f, 0.5f, 4).SetRequiresGrad();
        var beta = Tensor.Randn(gen, 0f, 0.5f, 4).SetRequiresGrad();
        var upstream = Tensor.Randn(gen, 3, 4, 5, 6);
        var shape = new[] { 1, 4, 1, 1 };

        float[] Penalty(bool fused)
        {
            var y = fused
                ? Functional.BatchNorm(x, null, null, gamma, beta, training: true)
                : (Functional.BatchNorm(x, null, null, null, null, training: true) * gamma.Reshape(shape)) + beta.Reshape(shape);
            var grads = AutogradEngine.Grad([(y * upstream).Sum()], [x, gamma], createGraph: true);
            ((grads[0] * grads[0]).Sum() + (grads[1] * grads[1]).Sum()).Backward();
            float[] result = [.. x.Grad!.ToArray(), .. gamma.Grad!.ToArray()];
            x.Grad = gamma.Grad = beta.Grad = null;
            return result;
        }

        AssertClose(Penalty(fused: false), Penalty(fused: true));
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * (1f + Math.Abs(expected[i])), $"element {i}: {expected[i]} vs {actual[i]}");
        }
    }
}
