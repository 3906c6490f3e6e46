using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Colorize.Abstractions;
using Colorize.Engine.Pipeline;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Benchmarks.Engine;

/// <summary>Few iterations with allocation tracking: one case handles a 24-megapixel photo.</summary>
public sealed class PipelineBenchmarkConfig : ManualConfig
{
    public PipelineBenchmarkConfig()
    {
        AddJob(Job.Default.WithWarmupCount(1).WithIterationCount(5).WithInvocationCount(1).WithUnrollFactor(1).WithId("Pipeline")
            // In-process: no generated project to build, which times out on a busy 2-core machine.
            .WithToolchain(InProcessEmitToolchain.Instance));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}

/// <summary>
/// The colorization pipeline around the network on a 24-megapixel (6000×4000) photo: L extraction, resize to the
/// render size, ab enlargement and merge, alpha. The "network" is a single 1×1 convolution so its cost is negligible
/// and the figures show the pipeline's own time and allocations.
/// </summary>
[Config(typeof(PipelineBenchmarkConfig))]
public class PipelineBenchmarks
{
    private PixelBuffer _source = null!;
    private PixelBuffer _destination = null!;
    private Conv2d _network = null!;

    /// <summary>Threads used by the pipeline.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Pixel layout of source and destination.</summary>
    [Params(PixelFormat.Rgb24, PixelFormat.Bgra32)]
    public PixelFormat Format { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        TensorOptions.NumThreads = Threads;
        _source = PixelBuffer.Allocate(6000, 4000, Format);
        new Random(1).NextBytes(_source.Memory.Span);
        _destination = PixelBuffer.Allocate(6000, 4000, Format);
        _network = new Conv2d(1, 2, 1, generator: new Generator(1));
        _network.Eval();
    }

    [Benchmark(Description = "pipeline around the network, 24 MP, render 512")]
    public void AroundTheNetwork() =>
        ColorizationPipeline.Run(_network, 32, 512, _source, _destination, 1f, 0, null, CancellationToken.None);
}
