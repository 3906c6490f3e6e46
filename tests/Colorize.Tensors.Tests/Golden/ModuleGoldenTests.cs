using System.Text.Json;
using Colorize.Tensors.Autograd;
using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Golden;

/// <summary>
/// Modules against PyTorch (fixtures/modules.safetensors): state-dict keys, outputs, input and parameter gradients,
/// and the state after each forward (BatchNorm running statistics, spectral-norm u and v), in train and eval mode.
/// </summary>
public sealed class ModuleGoldenTests
{
    private static GoldenFixture Fixture => GoldenFixture.Open("modules");

    [Fact]
    public void ConvNet_MatchesPyTorch() => Check("convnet", new GoldenConvNet());

    [Fact]
    public void LayerZoo_MatchesPyTorch() => Check("layer_zoo", new GoldenLayerZoo());

    [Fact]
    public void SpectralNormConv_PowerIterationAndOutputsMatchPyTorch() =>
        Check("sn_conv", SpectralNorm.Apply(new Conv2d(4, 6, 3, padding: 1)));

    [Fact]
    public void SpectralNormConvTranspose_UsesDim1LikePyTorch() =>
        Check("sn_conv_transpose", SpectralNorm.Apply(new ConvTranspose2d(4, 3, 4, stride: 2, padding: 1)));

    [Fact]
    public void SpectralNormLinear_ThreePowerIterations() =>
        Check("sn_linear_3iter", SpectralNorm.Apply(new Linear(7, 5), nPowerIterations: 3));

    [Fact]
    public void SelfAttention_WithNonZeroGamma_MatchesPyTorch() => Check("self_attention", new SelfAttention(16));

    [Fact]
    public void Gradients_AccumulateAcrossBackwardCalls_UntilZeroGrad()
    {
        // Eval mode, so the forward does not change the state; PyTorch adds into .grad on every backward. The
        // fixture's eval pass ran after its training pass, so start from the state that pass left.
        var fx = Fixture;
        var net = new GoldenConvNet();
        net.LoadStateDict(fx.StateDict("convnet/train/state_after/"));
        net.Eval();
        var x = fx.Get("convnet/in/x");
        var gout = fx.Get("convnet/eval/gout");
        var y = net.Call(x);
        y.Backward(gout, retainGraph: true);
        y.Backward(gout);
        net.Call(x).Backward(gout);
        foreach (var (name, p) in net.NamedParameters())
        {
            GoldenAssert.Close(fx.Get($"convnet/eval/grad/{name}") * 3f, p.Grad, $"{name} after three backward passes");
        }

        net.ZeroGrad();
        Assert.All(net.Parameters(), p => Assert.Null(p.Grad));
        net.Call(x).Backward(gout);
        GoldenAssert.Close(fx.Get("convnet/eval/grad/head.weight"), net.NamedParameters().First(p => p.Name == "head.weight").Parameter.Grad, "head.weight after ZeroGrad and one backward");
    }

    [Fact]
    public void LoadStateDict_ReportsTheSameMissingAndUnexpectedKeysAsPyTorch()
    {
        var report = Fixture.Params("load_report");
        var net = new GoldenConvNet();
        var state = net.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        Assert.True(state.Remove(report.GetProperty("removed").GetString()!));
        state[report.GetProperty("added").GetString()!] = Tensor.Zeros(1);
        var expectedMissing = Strings(report.GetProperty("missing"));
        var expectedUnexpected = Strings(report.GetProperty("unexpected"));

        var result = net.LoadStateDict(state, strict: false);
        Assert.Equal(expectedMissing, result.MissingKeys);
        Assert.Equal(expectedUnexpected, result.UnexpectedKeys);

        var error = Assert.Throws<StateDictException>(() => net.LoadStateDict(state, strict: true));
        Assert.Equal(expectedMissing, error.MissingKeys);
        Assert.Equal(expectedUnexpected, error.UnexpectedKeys);
        Assert.Contains("net.1.running_var", error.Message, StringComparison.Ordinal);
        Assert.Contains("net.9.weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadStateDict_ShapeMismatchIsAnError()
    {
        var net = new GoldenConvNet();
        var state = net.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        state["head.weight"] = Tensor.Zeros(2, 4, 3, 3);
        var error = Assert.Throws<StateDictException>(() => net.LoadStateDict(state, strict: false));
        Assert.Contains("head.weight", error.Message, StringComparison.Ordinal);
    }

    private static List<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();

    /// <summary>
    /// Loads PyTorch's state dict, compares the state-dict keys (order included), then for every mode recorded by
    /// generate.py runs forward and backward and compares output, gradients and the state after the call.
    /// </summary>
    internal static void Check(string name, Module<Tensor, Tensor> module)
    {
        var fx = Fixture;
        var meta = fx.Params(name);
        var expectedKeys = Strings(meta.GetProperty("keys"));
        Assert.Equal(expectedKeys, module.StateDict().Keys.ToList());

        var load = module.LoadStateDict(fx.StateDict($"{name}/state/"), strict: true);
        Assert.Empty(load.MissingKeys);
        Assert.Empty(load.UnexpectedKeys);

        var x = fx.Get($"{name}/in/x");
        foreach (string mode in Strings(meta.GetProperty("modes")))
        {
            string what = $"{name} ({mode})";
            module.Train(mode.StartsWith("train", StringComparison.Ordinal));
            module.ZeroGrad();
            var xi = x.Clone().SetRequiresGrad();
            var y = module.Call(xi);
            GoldenAssert.Close(fx.Get($"{name}/{mode}/out"), y, $"{what} output");
            AutogradEngine.Backward([y], [fx.Get($"{name}/{mode}/gout")]);
            GoldenAssert.Close(fx.Get($"{name}/{mode}/grad/x"), xi.Grad, $"{what} gradient of the input");

            var parameters = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
            var expectedGrads = fx.Names($"{name}/{mode}/grad/").Where(n => n != "x").ToList();
            Assert.Equal(expectedGrads.Order(StringComparer.Ordinal), parameters.Keys.Order(StringComparer.Ordinal));
            foreach (string p in expectedGrads)
            {
                GoldenAssert.Close(fx.Get($"{name}/{mode}/grad/{p}"), parameters[p].Grad, $"{what} gradient of {p}");
            }

            var state = module.StateDict();
            foreach (string key in fx.Names($"{name}/{mode}/state_after/"))
            {
                GoldenAssert.Close(fx.Get($"{name}/{mode}/state_after/{key}"), state[key], $"{what} {key} after forward");
            }
        }
    }
}
