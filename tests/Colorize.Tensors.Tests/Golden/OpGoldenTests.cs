using System.Text.Json;
using Colorize.Tensors.Autograd;
using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Golden;

/// <summary>
/// Every op case of tests/golden/fixtures (written by generate.py from PyTorch): the forward outputs, and the
/// gradients of Σ outᵢ·goutᵢ with respect to every input PyTorch differentiated.
/// </summary>
public sealed class OpGoldenTests
{
    /// <summary>The fixture files holding op cases (metadata entries with an "op" field).</summary>
    public static readonly string[] OpFiles =
        ["elementwise", "activations", "reductions", "linalg", "shape", "conv", "pool", "resize", "norm", "losses"];

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string file in OpFiles)
        {
            var fixture = GoldenFixture.Open(file);
            foreach (var (name, json) in fixture.Metadata)
            {
                using var doc = JsonDocument.Parse(json);
                if (doc.RootElement.TryGetProperty("op", out _))
                {
                    data.Add(file, name);
                }
            }
        }

        return data;
    }

    [Fact]
    public void EveryOpFixtureHasCases()
    {
        foreach (string file in OpFiles)
        {
            Assert.True(Cases().Count(c => (string)c[0] == file) >= 5, $"{file}.safetensors holds fewer cases than generate.py writes.");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string file, string caseName)
    {
        var fx = GoldenFixture.Open(file);
        var p = fx.Params(caseName);
        string op = p.GetProperty("op").GetString()!;
        int outputCount = p.GetProperty("outputs").GetInt32();

        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string name in fx.Names($"{caseName}/in/"))
        {
            var t = fx.Get($"{caseName}/in/{name}");
            if (fx.Contains($"{caseName}/grad/{name}"))
            {
                t.RequiresGrad = true;
            }

            inputs[name] = t;
        }

        var after = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var outputs = OpRunner.Run(op, p, inputs, after);
        Assert.Equal(outputCount, outputs.Length);

        var differentiable = new List<Tensor>();
        var gradOutputs = new List<Tensor?>();
        for (int i = 0; i < outputs.Length; i++)
        {
            GoldenAssert.Close(fx.Get($"{caseName}/out/{i}"), outputs[i], $"{file}/{caseName} output {i}");
            if (fx.TryGet($"{caseName}/gout/{i}") is { } gout)
            {
                Assert.True(outputs[i].RequiresGrad, $"{file}/{caseName}: output {i} does not require grad but PyTorch differentiates it.");
                differentiable.Add(outputs[i]);
                gradOutputs.Add(gout);
            }
        }

        foreach (string name in fx.Names($"{caseName}/after/"))
        {
            GoldenAssert.Close(fx.Get($"{caseName}/after/{name}"), after.GetValueOrDefault(name), $"{file}/{caseName} {name} after the call");
        }

        if (differentiable.Count == 0)
        {
            return;
        }

        AutogradEngine.Backward([.. differentiable], [.. gradOutputs]);
        foreach (string name in fx.Names($"{caseName}/grad/"))
        {
            GoldenAssert.Close(fx.Get($"{caseName}/grad/{name}"), inputs[name].Grad, $"{file}/{caseName} gradient of {name}");
        }
    }
}

/// <summary>Runs an op by its generate.py name with the case's parameters.</summary>
internal static class OpRunner
{
    public static Tensor[] Run(string op, JsonElement p, Dictionary<string, Tensor> @in, Dictionary<string, Tensor> after)
    {
        Tensor X() => @in["x"];
        Tensor A() => @in["a"];
        Tensor B() => @in["b"];
        Tensor? Opt(string name) => @in.GetValueOrDefault(name);
        Tensor[] Ins(params string[] names) => names.Where(@in.ContainsKey).Select(n => @in[n]).ToArray();

        return op switch
        {
            "add" => [A() + B()],
            "sub" => [A() - B()],
            "mul" => [A() * B()],
            "div" => [A() / B()],
            "maximum" => [A().Maximum(B())],
            "minimum" => [A().Minimum(B())],
            "pow" => [X().Pow(F(p, "exponent"))],
            "sqrt" => [X().Sqrt()],
            "exp" => [X().Exp()],
            "log" => [X().Log()],
            "abs" => [X().Abs()],
            "neg" => [-X()],
            "square" => [X().Square()],
            "add_scalar" => [X() + F(p, "value")],
            "mul_scalar" => [X() * F(p, "value")],
            "rsub_scalar" => [F(p, "value") - X()],
            "clamp" => [X().Clamp(OptF(p, "min") ?? float.NegativeInfinity, OptF(p, "max") ?? float.PositiveInfinity)],
            "where" => [Tensor.Where(@in["cond"], A(), B())],
            "relu" => [Functional.Relu(X())],
            "leaky_relu" => [Functional.LeakyRelu(X(), F(p, "negative_slope"))],
            "tanh" => [Functional.Tanh(X())],
            "sigmoid" => [Functional.Sigmoid(X())],
            "softmax" => [Functional.Softmax(X(), I(p, "dim"))],
            "sum" => [Dims(p) is { } d ? X().Sum(d, Bool(p, "keepdim")) : X().Sum()],
            "mean" => [Dims(p) is { } d ? X().Mean(d, Bool(p, "keepdim")) : X().Mean()],
            "var" => [Dims(p) is { } d ? X().Var(d, Bool(p, "unbiased"), Bool(p, "keepdim")) : X().Var(Bool(p, "unbiased"))],
            "norm" => [Dims(p) is { } d ? X().Norm(d, Bool(p, "keepdim")) : X().Norm()],
            "max" => Max(X(), p),
            "matmul" => [A().Matmul(B())],
            "bmm" => [A().Bmm(B())],
            "linear" => [Functional.Linear(X(), @in["w"], Opt("b"))],
            "reshape" => [X().Reshape(Ints(p, "shape"))],
            "flatten" => [X().Flatten(I(p, "start"), I(p, "end"))],
            "permute" => [X().Permute(Ints(p, "dims"))],
            "transpose" => [X().Transpose(I(p, "dim0"), I(p, "dim1"))],
            "narrow" => [X().Narrow(I(p, "dim"), I(p, "start"), I(p, "length"))],
            "slice" => [X().Slice(I(p, "dim"), I(p, "start"), I(p, "end"), I(p, "step"))],
            "cat" => [Tensor.Cat(Ins("a", "b", "c"), I(p, "dim"))],
            "stack" => [Tensor.Stack(Ins("a", "b", "c"), I(p, "dim"))],
            "split_sizes" => X().Split(Ints(p, "sizes"), I(p, "dim")),
            "split" => X().Split(I(p, "size"), I(p, "dim")),
            "chunk" => X().Chunk(I(p, "chunks"), I(p, "dim")),
            "expand" => [X().Expand(Ints(p, "shape"))],
            "unsqueeze" => [X().Unsqueeze(I(p, "dim"))],
            "squeeze" => [X().Squeeze(I(p, "dim"))],
            "conv2d" => [Functional.Conv2d(X(), @in["w"], Opt("b"), Pair(p, "stride"), Pair(p, "padding"), Pair(p, "dilation"), I(p, "groups"))],
            "conv_transpose2d" => [Functional.ConvTranspose2d(X(), @in["w"], Opt("b"), Pair(p, "stride"), Pair(p, "padding"),
                Pair(p, "output_padding"), I(p, "groups"), Pair(p, "dilation"))],
            "max_pool2d" => [Functional.MaxPool2d(X(), I(p, "kernel"), OptI(p, "stride"), I(p, "padding"), I(p, "dilation"), Bool(p, "ceil_mode"))],
            "avg_pool2d" => [Functional.AvgPool2d(X(), I(p, "kernel"), OptI(p, "stride"), I(p, "padding"), Bool(p, "ceil_mode"), Bool(p, "count_include_pad"))],
            "adaptive_avg_pool2d" => [Functional.AdaptiveAvgPool2d(X(), Ints(p, "size")[0], Ints(p, "size")[1])],
            "interpolate" => [Interpolate(X(), p)],
            "pixel_shuffle" => [Functional.PixelShuffle(X(), I(p, "factor"))],
            "pad" => [Pad(X(), p)],
            "batch_norm" => [BatchNorm(@in, p, after)],
            "batch_norm_stateless" => [Functional.BatchNorm(X(), null, null, Opt("w"), Opt("b"), Bool(p, "training"), F(p, "momentum"), F(p, "eps"))],
            "instance_norm" => [Functional.InstanceNorm(X(), Opt("w"), Opt("b"), F(p, "eps"))],
            "l1" => [Losses.L1(X(), @in["t"], Reduction(p))],
            "mse" => [Losses.Mse(X(), @in["t"], Reduction(p))],
            "bce_with_logits" => [OptF(p, "target") is { } target ? Losses.BceWithLogits(X(), target) : Losses.BceWithLogits(X(), @in["t"])],
            "hinge_critic" => [Losses.HingeCritic(@in["real"], @in["fake"])],
            "hinge_generator" => [Losses.HingeGenerator(@in["fake"])],
            "wasserstein_critic" => [Losses.WassersteinCritic(@in["real"], @in["fake"])],
            "wasserstein_generator" => [Losses.WassersteinGenerator(@in["fake"])],
            _ => throw new InvalidOperationException($"generate.py wrote op '{op}', which the C# runner does not know."),
        };
    }

    private static Tensor[] Max(Tensor x, JsonElement p)
    {
        if (OptI(p, "dim") is not { } dim)
        {
            return [x.Max()];
        }

        var (values, indices) = x.Max(dim, Bool(p, "keepdim"));
        return [values, indices];
    }

    private static Tensor Interpolate(Tensor x, JsonElement p)
    {
        var mode = p.GetProperty("mode").GetString() == "bilinear" ? InterpolationMode.Bilinear : InterpolationMode.Nearest;
        bool align = Bool(p, "align_corners");
        return p.GetProperty("size").ValueKind == JsonValueKind.Array
            ? Functional.Interpolate(x, Ints(p, "size")[0], Ints(p, "size")[1], mode, align)
            : Functional.Interpolate(x, p.GetProperty("scale_factor").GetDouble(), mode, align);
    }

    private static Tensor Pad(Tensor x, JsonElement p)
    {
        var pad = Ints(p, "padding");
        var mode = p.GetProperty("mode").GetString() switch
        {
            "reflect" => PaddingMode.Reflect,
            "replicate" => PaddingMode.Replicate,
            _ => PaddingMode.Constant,
        };
        return Functional.Pad(x, (pad[0], pad[1], pad[2], pad[3]), mode, F(p, "value"));
    }

    private static Tensor BatchNorm(Dictionary<string, Tensor> @in, JsonElement p, Dictionary<string, Tensor> after)
    {
        // The running statistics are updated in place; keep the fixture's tensors as they were read.
        var rm = @in["running_mean"].Clone();
        var rv = @in["running_var"].Clone();
        var y = Functional.BatchNorm(@in["x"], rm, rv, @in.GetValueOrDefault("w"), @in.GetValueOrDefault("b"),
            Bool(p, "training"), F(p, "momentum"), F(p, "eps"));
        after["running_mean"] = rm;
        after["running_var"] = rv;
        return y;
    }

    private static Reduction Reduction(JsonElement p) =>
        p.TryGetProperty("reduction", out var r) ? r.GetString() switch
        {
            "sum" => NN.Reduction.Sum,
            "none" => NN.Reduction.None,
            _ => NN.Reduction.Mean,
        }
        : NN.Reduction.Mean;

    private static int[]? Dims(JsonElement p) => p.GetProperty("dims").ValueKind == JsonValueKind.Null ? null : Ints(p, "dims");

    private static float F(JsonElement p, string name) => (float)p.GetProperty(name).GetDouble();

    private static float? OptF(JsonElement p, string name) =>
        p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? (float)v.GetDouble() : null;

    private static int I(JsonElement p, string name) => p.GetProperty(name).GetInt32();

    private static int? OptI(JsonElement p, string name) =>
        p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    private static bool Bool(JsonElement p, string name) => p.GetProperty(name).GetBoolean();

    private static int[] Ints(JsonElement p, string name) => p.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private static (int, int) Pair(JsonElement p, string name)
    {
        var v = Ints(p, name);
        return (v[0], v[1]);
    }
}
