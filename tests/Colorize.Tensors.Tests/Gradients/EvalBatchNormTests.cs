using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Gradients;

/// <summary>
/// Eval-mode BatchNorm has two paths: one fused pass x·scale + shift when nothing is recorded, and separate
/// differentiable ops when autograd needs them. A module's γ and β always require grad, so inference under
/// <c>NoGrad</c> must choose by grad mode too, not by the parameters alone.
/// </summary>
public sealed class EvalBatchNormTests
{
    [Fact]
    public void UnderNoGrad_ParametersThatRequireGrad_TakeTheFusedPath()
    {
        var (x, mean, variance, gamma, beta) = Inputs();
        Tensor withGrad, plain;
        using (Tensor.NoGrad())
        {
            withGrad = Functional.BatchNorm(x, mean, variance, gamma.Clone().SetRequiresGrad(), beta.Clone().SetRequiresGrad());
            plain = Functional.BatchNorm(x, mean, variance, gamma, beta);
        }

        // Bit for bit: the separate ops round (x − mean)·invstd·γ + β differently from x·scale + shift.
        Assert.Equal(plain.ToArray(), withGrad.ToArray());
        Assert.False(withGrad.RequiresGrad);
    }

    [Fact]
    public void BatchNorm2dInEvalMode_UnderNoGrad_GivesTheFusedPathsBits()
    {
        var (x, mean, variance, gamma, beta) = Inputs();
        var bn = new BatchNorm2d(x.Shape[1]);
        bn.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = gamma, ["bias"] = beta, ["running_mean"] = mean, ["running_var"] = variance, ["num_batches_tracked"] = Tensor.Scalar(3f),
        });
        bn.Eval();
        Tensor module, plain;
        using (Tensor.NoGrad())
        {
            module = bn.Call(x);
            plain = Functional.BatchNorm(x, mean, variance, gamma, beta);
        }

        Assert.Equal(plain.ToArray(), module.ToArray());
    }

    [Fact]
    public void WithGradEnabled_ParametersThatRequireGrad_StillGetGradients()
    {
        var (x, mean, variance, gamma, beta) = Inputs();
        var g = gamma.Clone().SetRequiresGrad();
        var b = beta.Clone().SetRequiresGrad();
        Functional.BatchNorm(x, mean, variance, g, b).Sum().Backward();
        Assert.NotNull(g.Grad);
        Assert.NotNull(b.Grad);

        // dβ is the count per channel, dγ the sum of the normalised input.
        int perChannel = x.Count / x.Shape[1];
        Assert.All(b.Grad!.ToArray(), v => Assert.Equal(perChannel, v));
    }

    private static (Tensor X, Tensor Mean, Tensor Variance, Tensor Gamma, Tensor Beta) Inputs()
    {
        var gen = new Generator(5);
        const int c = 6;
        // Odd plane sizes: vector blocks and scalar tails.
        return (Tensor.Randn(gen, 0.7f, 3f, 2, c, 9, 11), Tensor.Randn(gen, 0.3f, 1f, c), Tensor.Rand(gen, c).Add(0.2f),
            Tensor.Randn(gen, 1f, 0.5f, c), Tensor.Randn(gen, 0f, 0.5f, c));
    }
}
