using System.Text.Json;
using Colorize.Tensors.Autograd;

namespace Colorize.Tensors.Tests.Golden;

/// <summary>
/// Second derivatives against PyTorch (fixtures/double_backward.safetensors): for every op, the first derivatives
/// gₖ = ∂(Σ out·gout)/∂inputₖ computed with createGraph, then ∂(Σₖ gₖ·wₖ)/∂inputₖ for random weights wₖ —
/// what torch.autograd.grad(create_graph=True) followed by backward gives, and what WGAN-GP relies on.
/// </summary>
public sealed class DoubleBackwardGoldenTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _) in GoldenFixture.Open("double_backward").Metadata)
        {
            data.Add(name);
        }

        return data;
    }

    [Fact]
    public void FixtureHasCases() => Assert.True(Cases().Count >= 30, "double_backward.safetensors holds fewer cases than generate.py writes.");

    [Theory]
    [MemberData(nameof(Cases))]
    public void SecondDerivatives_MatchPyTorch(string caseName)
    {
        var fx = GoldenFixture.Open("double_backward");
        var p = fx.Params(caseName);
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string name in fx.Names($"{caseName}/in/"))
        {
            inputs[name] = fx.Get($"{caseName}/in/{name}");
        }

        var wrt = fx.Names($"{caseName}/grad/").Where(n => !n.Contains('/', StringComparison.Ordinal)).ToList();
        foreach (string name in wrt)
        {
            inputs[name].RequiresGrad = true;
        }

        var output = OpRunner.Run(p.GetProperty("op").GetString()!, p, inputs, [])[0];
        GoldenAssert.Close(fx.Get($"{caseName}/out/0"), output, $"{caseName} output");

        var wrtTensors = wrt.Select(n => inputs[n]).ToArray();
        var first = AutogradEngine.Grad([output], wrtTensors, [fx.Get($"{caseName}/gout/0")], createGraph: true, allowUnused: true);
        Tensor? total = null;
        for (int k = 0; k < wrt.Count; k++)
        {
            GoldenAssert.Close(fx.Get($"{caseName}/grad/{wrt[k]}"), first[k], $"{caseName} first derivative w.r.t. {wrt[k]}");
            var term = (first[k] * fx.Get($"{caseName}/ggw/{wrt[k]}")).Sum();
            total = total is null ? term : total + term;
        }

        // Where the first derivative does not depend on the inputs at all (piecewise-linear ops), our graph may end
        // before reaching them; PyTorch then reports zeros or "unused", the same value.
        Tensor?[] second = total!.RequiresGrad
            ? AutogradEngine.Grad([total], wrtTensors, allowUnused: true)
            : new Tensor?[wrt.Count];
        for (int k = 0; k < wrt.Count; k++)
        {
            var expected = fx.Get($"{caseName}/grad2/{wrt[k]}");
            var actual = second[k] ?? (expected.Data.ToArray().All(v => v == 0) ? Tensor.ZerosLike(expected) : null);
            GoldenAssert.Close(expected, actual, $"{caseName} second derivative w.r.t. {wrt[k]}");
        }
    }
}
