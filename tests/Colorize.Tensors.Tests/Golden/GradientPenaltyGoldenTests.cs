using System.Text.Json;
using Colorize.Tensors.Autograd;
using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Golden;

/// <summary>
/// WGAN-GP against PyTorch: the penalty λ·mean((‖∇ₓD(x̂)‖₂ − 1)²) at fixed interpolation weights, and its gradients
/// with respect to the critic's parameters, which need the double backward of conv2d, instance norm, leaky ReLU and
/// linear (PyTorch: torch.autograd.grad(create_graph=True) then backward).
/// </summary>
public sealed class GradientPenaltyGoldenTests
{
    [Fact]
    public void LinearHeadCritic_PenaltyAndParameterGradientsMatchPyTorch() => Check("linear_head", new GoldenLinearHeadCritic());

    [Fact]
    public void ConvHeadCritic_PenaltyAndParameterGradientsMatchPyTorch() => Check("conv_head", new GoldenConvHeadCritic());

    private static void Check(string name, Module<Tensor, Tensor> critic)
    {
        var fx = GoldenFixture.Open("gradient_penalty");
        var meta = fx.Params(name);
        Assert.Equal(meta.GetProperty("keys").EnumerateArray().Select(e => e.GetString()), critic.StateDict().Keys);
        critic.LoadStateDict(fx.StateDict($"{name}/state/"));
        var real = fx.Get($"{name}/in/real");
        var fake = fx.Get($"{name}/in/fake");
        var alpha = fx.Get($"{name}/in/alpha");
        float lambda = (float)meta.GetProperty("lambda").GetDouble();

        // The first derivative on its own: the critic's scores and ∇ₓD at the interpolated points.
        var interpolated = ((alpha * real) + ((1f - alpha) * fake)).SetRequiresGrad();
        var scores = critic.Call(interpolated);
        GoldenAssert.Close(fx.Get($"{name}/scores"), scores, $"{name} critic scores");
        var inputGrad = AutogradEngine.Grad([scores], [interpolated], [Tensor.OnesLike(scores)])[0];
        GoldenAssert.Close(fx.Get($"{name}/input_grad"), inputGrad, $"{name} gradient of the scores w.r.t. the interpolated input");

        critic.ZeroGrad();
        var penalty = Losses.GradientPenalty(critic.Call, real, fake, alpha, lambda);
        GoldenAssert.Close(fx.Get($"{name}/penalty"), penalty, $"{name} penalty");
        penalty.Backward();

        // The penalty's gradients are large (hundreds for the linear head) and some are zero only by cancellation
        // (a conv bias followed by instance norm): the absolute tolerance scales with the largest gradient.
        var expectedGrads = critic.NamedParameters().ToDictionary(p => p.Name, p => fx.Get($"{name}/grad/{p.Name}"), StringComparer.Ordinal);
        double scale = Math.Max(1, expectedGrads.Values.Max(g => g.Data.ToArray().Max(MathF.Abs)));
        var unused = meta.GetProperty("unused").EnumerateArray().Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal);
        foreach (var (pn, p) in critic.NamedParameters())
        {
            var expected = expectedGrads[pn];
            if (unused.Contains(pn))
            {
                // PyTorch leaves these None: the penalty does not depend on them.
                Assert.True(p.Grad is null || p.Grad.Data.ToArray().All(v => v == 0), $"{name}: {pn} should get no gradient.");
                continue;
            }

            // Where PyTorch's gradient is exactly zero (the parameter only reaches the penalty through a leaky ReLU's
            // piecewise-constant slope), our engine may return no gradient at all: the same value.
            var actual = p.Grad ?? (expected.Data.ToArray().All(v => v == 0) ? Tensor.ZerosLike(expected) : null);
            GoldenAssert.Close(expected, actual, $"{name} penalty gradient of {pn}", atol: GoldenAssert.Atol * scale);
        }
    }
}
