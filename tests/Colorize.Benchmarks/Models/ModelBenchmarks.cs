using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Colorize.Engine.Architectures;
using Colorize.Tensors;
using Colorize.Tensors.NN;
using Colorize.Tensors.Optim;

namespace Colorize.Benchmarks.Models;

/// <summary>Few iterations: one case takes seconds and the figures are compared with pytorch/bench_models.py.</summary>
public sealed class ModelBenchmarkConfig : ManualConfig
{
    public ModelBenchmarkConfig()
    {
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(5).WithInvocationCount(1).WithUnrollFactor(1).WithId("Model")
            // In-process: no generated project to build, which times out on a busy 2-core machine.
            .WithToolchain(InProcessEmitToolchain.Instance));
    }
}

/// <summary>
/// Model-level work of issue 2 (compare with <c>/usr/bin/python3 tests/Colorize.Benchmarks/pytorch/bench_models.py</c>):
/// the pix2pix unet_256 forward at 256×256 in eval mode, with and without BatchNorm folded into the convolutions,
/// and one training step (forward, L1, backward, Adam) of the 128×128 U-Net at batch 16.
/// </summary>
[Config(typeof(ModelBenchmarkConfig))]
public class ModelBenchmarks
{
    private Pix2PixUnet _unet256 = null!;
    private Pix2PixUnet _unet256Folded = null!;
    private Pix2PixUnet _unet128 = null!;
    private Adam _adam = null!;
    private Tensor _x256 = null!;
    private Tensor _x128 = null!;
    private Tensor _target128 = null!;

    /// <summary>Threads given to the engine (the PyTorch script uses the same counts).</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        TensorOptions.NumThreads = Threads;
        var gen = new Generator(0);
        _unet256 = new Pix2PixUnet(numDowns: 8, generator: gen);
        _unet256.Eval();
        _unet256Folded = new Pix2PixUnet(numDowns: 8, generator: gen);
        _unet256Folded.Eval();
        InferenceOptimizer.FoldBatchNorm(_unet256Folded);
        _x256 = Tensor.Randn(gen, 1, 1, 256, 256);
        _unet128 = new Pix2PixUnet(numDowns: 7, generator: gen);
        _adam = new Adam(_unet128.Parameters(), 2e-4, 0.5, 0.999);
        _x128 = Tensor.Randn(gen, 16, 1, 128, 128);
        _target128 = Tensor.Rand(gen, -1f, 1f, 16, 2, 128, 128);
    }

    [Benchmark(Description = "unet_256 forward 256², eval")]
    public Tensor Unet256Forward()
    {
        using var _ = Tensor.NoGrad();
        return _unet256.Call(_x256);
    }

    [Benchmark(Description = "unet_256 forward 256², eval, BatchNorm folded")]
    public Tensor Unet256ForwardFolded()
    {
        using var _ = Tensor.NoGrad();
        return _unet256Folded.Call(_x256);
    }

    [Benchmark(Description = "unet_128 training step, batch 16")]
    public void Unet128TrainingStep()
    {
        _adam.ZeroGrad();
        Losses.L1(_unet128.Call(_x128), _target128).Backward();
        _adam.Step();
    }
}
