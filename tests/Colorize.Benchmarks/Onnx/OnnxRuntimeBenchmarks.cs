using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Colorize.Tensors;

namespace Colorize.Benchmarks.Onnx;

/// <summary>
/// Few iterations (a 1024² generator pass takes seconds), in-process (no generated project to build on a busy machine).
/// COLORIZE_BENCH_SMOKE=1 makes it BenchmarkDotNet's Dry job, one pass per case, to prove the harness: a <c>--job Dry</c>
/// on the command line would run beside this job, not instead of it.
/// </summary>
public sealed class OnnxRuntimeBenchmarkConfig : ManualConfig
{
    public OnnxRuntimeBenchmarkConfig()
    {
        var job = Environment.GetEnvironmentVariable("COLORIZE_BENCH_SMOKE") == "1"
            ? Job.Dry.WithId("Smoke")
            : Job.Default.WithWarmupCount(2).WithIterationCount(5).WithInvocationCount(1).WithUnrollFactor(1).WithId("Onnx");
        AddJob(job.WithToolchain(InProcessEmitToolchain.Instance));
    }
}

/// <summary>
/// Issue 17 §3: the engine against ONNX Runtime on the same weights, the network alone with its input prepared once:
/// colorize-base's generator (exported by <c>colorize-train export</c>) at 256², 512² and 1024², ML.NET's ResNet18 at 224²
/// and 512² (the engine's ResNetEncoder with the imported weights). ONNX Runtime is the baseline of each row pair.
/// The side-by-side table for docs/benchmarks.md is <c>onnx-table</c> (<see cref="OnnxTable"/>); files: <see cref="OnnxFiles.FromEnvironment"/>;
/// a hint pack's hint count: COLORIZE_BENCH_HINTS (<see cref="HintFeed"/>, default 0).
/// </summary>
[Config(typeof(OnnxRuntimeBenchmarkConfig))]
public class OnnxRuntimeBenchmarks : IDisposable
{
    private EngineNetworks _engine = null!;
    private OnnxInputs _inputs = null!;
    private OrtRunner _ort = null!;

    /// <summary>The cases.</summary>
    public static IEnumerable<OnnxCase> Cases() => OnnxCase.All;

    /// <summary>The case.</summary>
    [ParamsSource(nameof(Cases))]
    public OnnxCase Case { get; set; } = OnnxCase.All[0];

    /// <summary>Threads for both: the engine's TensorOptions.NumThreads and ONNX Runtime's intra-op threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var files = OnnxFiles.FromEnvironment();
        files.Check();
        TensorOptions.NumThreads = Threads;
        _engine = EngineNetworks.Load(files);
        _inputs = OnnxInputs.Create(Case, HintFeed.For(files.PackFolder, HintFeed.CountFromEnvironment()));
        _ort = new OrtRunner(Case.Network == OnnxNetwork.Generator ? File.ReadAllBytes(files.GeneratorOnnx) : OrtModels.EncoderToLayer4(files.EncoderOnnx), Threads, _inputs, Case.Size);
    }

    [Benchmark(Description = "Engine")]
    public Tensor Engine() => _engine.Run(Case, _inputs.Engine);

    [Benchmark(Baseline = true, Description = "ONNX Runtime")]
    public void OnnxRuntime() => _ort.Run();

    [GlobalCleanup]
    public void Dispose()
    {
        _ort?.Dispose();
        GC.SuppressFinalize(this);
    }
}
