using Colorize.Tensors.NN;
using Colorize.Tensors.Serialization;

namespace Colorize.Tensors.Tests.Golden;

/// <summary>
/// State dicts cross the PyTorch boundary both ways through safetensors: a state dict saved by PyTorch loads here
/// and gives PyTorch's outputs; ours is written in the layout PyTorch expects (checked by
/// tests/golden/verify_reverse.py, see tests/golden/README.md).
/// </summary>
public sealed class StateDictGoldenTests
{
    /// <summary>Where the reverse test writes its files; tests/golden/verify_reverse.py reads this directory.</summary>
    public static string ReverseDirectory =>
        Environment.GetEnvironmentVariable("COLORIZE_GOLDEN_REVERSE_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Path.GetTempPath(), "colorize-golden-reverse");

    [Fact]
    public void PyTorchStateDict_LoadsAndGivesPyTorchOutputs()
    {
        using var file = SafeTensorsFile.Open(GoldenFixture.PathOf("convnet_state_dict"));
        Assert.Equal(SafeTensorsDType.I64, file.GetEntry("net.1.num_batches_tracked").DType);
        var net = new GoldenConvNet();
        var load = net.LoadStateDict(StateDictIO.ReadAll(file), strict: true);
        Assert.Empty(load.MissingKeys);
        Assert.Empty(load.UnexpectedKeys);

        var io = GoldenFixture.Open("convnet_io");
        var x = io.Get("x");
        net.Eval();
        GoldenAssert.Close(io.Get("eval_out"), net.Call(x), "eval output after loading PyTorch's state dict");
        net.Train();
        using (Tensor.NoGrad())
        {
            GoldenAssert.Close(io.Get("train_out"), net.Call(x), "train output after loading PyTorch's state dict");
        }

        GoldenAssert.Exact(io.Get("num_batches_tracked_after"), net.StateDict()["net.1.num_batches_tracked"], "num_batches_tracked after one training forward");
    }

    [Fact]
    public void PyTorchWeights_WithBatchNormFoldedForInference_StillGivePyTorchsEvalOutput()
    {
        var net = new GoldenConvNet();
        net.Load(GoldenFixture.PathOf("convnet_state_dict"));
        net.Eval();
        Assert.Equal(2, InferenceOptimizer.FoldBatchNorm(net));
        var io = GoldenFixture.Open("convnet_io");
        using (Tensor.NoGrad())
        {
            GoldenAssert.Close(io.Get("eval_out"), net.Call(io.Get("x")), "eval output of the BatchNorm-folded net");
        }
    }

    [Fact]
    public void OurStateDict_WrittenAsSafetensors_ReloadsAndIsReadyForPyTorch()
    {
        Directory.CreateDirectory(ReverseDirectory);
        WriteReverse("convnet", new GoldenConvNet(new Generator(7)), Tensor.Randn(new Generator(8), 2, 3, 7, 8), trainSteps: 2);
        WriteReverse("self_attention", ReverseAttention(), Tensor.Randn(new Generator(10), 2, 16, 3, 5), trainSteps: 2);
    }

    private static SelfAttention ReverseAttention()
    {
        var attention = new SelfAttention(16, generator: new Generator(9));
        attention.Gamma.Data[0] = 0.6f; // gamma starts at 0, which would hide the attention branch
        return attention;
    }

    /// <summary>
    /// Trains the module's state a little (BatchNorm statistics, spectral-norm u and v), writes its state dict and, in
    /// a second file, an input with our eval output; then reloads the state dict into a fresh module and checks it
    /// gives the same output. verify_reverse.py loads the same two files into the PyTorch module.
    /// </summary>
    private static void WriteReverse(string name, Module<Tensor, Tensor> module, Tensor x, int trainSteps)
    {
        module.Train();
        using (Tensor.NoGrad())
        {
            for (int i = 0; i < trainSteps; i++)
            {
                module.Call(x);
            }
        }

        module.Eval();
        Tensor y;
        using (Tensor.NoGrad())
        {
            y = module.Call(x);
        }

        var state = module.StateDict();
        string statePath = Path.Combine(ReverseDirectory, $"{name}_state_dict.safetensors");
        module.Save(statePath);

        var io = new SafeTensorsWriter();
        io.Add("x", SafeTensorsDType.F32, x.Shape, x.Data);
        io.Add("eval_out", SafeTensorsDType.F32, y.Shape, y.Data);
        io.Save(Path.Combine(ReverseDirectory, $"{name}_io.safetensors"));

        // Round trip: the file holds exactly our keys (the batch counters as I64, as PyTorch keeps them), and a fresh
        // module loaded from it computes the same output.
        using (var file = SafeTensorsFile.Open(statePath))
        {
            Assert.Equal(state.Keys.Order(StringComparer.Ordinal), file.Entries.Select(e => e.Name).Order(StringComparer.Ordinal));
            Assert.All(file.Entries, e => Assert.Equal(
                e.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? SafeTensorsDType.I64 : SafeTensorsDType.F32, e.DType));
        }

        Module<Tensor, Tensor> fresh = name == "convnet" ? new GoldenConvNet(new Generator(99)) : new SelfAttention(16, generator: new Generator(98));
        fresh.Load(statePath, strict: true);
        fresh.Eval();
        using (Tensor.NoGrad())
        {
            GoldenAssert.Exact(y, fresh.Call(x), $"{name}: output after reloading our own state dict");
        }
    }
}
