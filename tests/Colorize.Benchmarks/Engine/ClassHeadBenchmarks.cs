using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Benchmarks.Engine;

/// <summary>
/// Few iterations, in-process, with allocation tracking: a 512² forward takes about a second, and all eight cases must
/// fit in <c>quiet.sh</c>'s 240 s.
/// </summary>
public sealed class ClassHeadBenchmarkConfig : ManualConfig
{
    public ClassHeadBenchmarkConfig()
    {
        AddJob(Job.Default.WithWarmupCount(2).WithIterationCount(5).WithInvocationCount(1).WithUnrollFactor(1).WithId("ClassHead")
            .WithToolchain(InProcessEmitToolchain.Instance));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}

/// <summary>
/// The class head (abHead "classes", issue 14) at inference, unfused against fused: the generator of
/// <c>packaging/data/default-pack-1.3-classes.json</c> (resnet-unet 18 with layer4Blocks 3, ImageNet input, width 0.5,
/// self-attention, spectral norm; random weights, eval, <see cref="InferenceOptimizer.Optimize"/> as a pack is loaded).
/// Unfused is <see cref="ResNetUnet.ForwardWithLogits"/>, which keeps the separate ops (the 261-channel logits, × 1/T,
/// softmax, 1×1 conv with the centres); fused is <c>Call</c>, the engine's path (<see cref="Functional.SoftmaxExpectation"/>).
/// </summary>
[Config(typeof(ClassHeadBenchmarkConfig))]
public class ClassHeadBenchmarks
{
    private ResNetUnet _network = null!;
    private Tensor _input = null!;

    /// <summary>Render side (square).</summary>
    [Params(256, 512)]
    public int Size { get; set; }

    /// <summary>Threads given to the engine.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        TensorOptions.NumThreads = Threads;
        var hyper = new Dictionary<string, JsonElement>
        {
            ["encoderDepth"] = JsonSerializer.SerializeToElement(18),
            ["layer4Blocks"] = JsonSerializer.SerializeToElement(3),
            ["imageNetInput"] = JsonSerializer.SerializeToElement(true),
            ["width"] = JsonSerializer.SerializeToElement(0.5),
            ["selfAttention"] = JsonSerializer.SerializeToElement(true),
            ["spectralNorm"] = JsonSerializer.SerializeToElement(true),
            ["abHead"] = JsonSerializer.SerializeToElement("classes"),
        };
        var spec = new ArchitectureSpec { Name = "resnet-unet", Version = 1, Hyperparameters = hyper };
        _network = (ResNetUnet)ArchitectureRegistry.Build(spec, ArchitectureRole.Generator, new Generator(14)).Module;
        _network.Eval();
        InferenceOptimizer.Optimize(_network);
        _input = Tensor.Rand(new Generator(15), -1f, 1f, 1, 1, Size, Size);
    }

    [Benchmark(Baseline = true, Description = "class head unfused (logits, softmax planes)")]
    public Tensor Unfused()
    {
        using var _ = Tensor.NoGrad();
        return _network.ForwardWithLogits(_input).Ab;
    }

    [Benchmark(Description = "class head fused (engine)")]
    public Tensor Fused()
    {
        using var _ = Tensor.NoGrad();
        return _network.Call(_input);
    }
}
