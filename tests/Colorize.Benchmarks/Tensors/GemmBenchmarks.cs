using BenchmarkDotNet.Attributes;
using Colorize.Tensors.Kernels;

namespace Colorize.Benchmarks.Tensors;

/// <summary>One SGEMM shape: C[M×N] = A[M×K] · B[K×N], all row-major, no transposes.</summary>
public sealed record GemmCase(string Name, int M, int N, int K) : IFlopCount
{
    public double Flops => 2.0 * M * N * K;

    public override string ToString() => Name;
}

/// <summary>
/// SGEMM throughput: square sizes, and the im2col products of a pix2pix U-Net's 4×4 stride-2 encoder convolutions
/// (M = output channels, K = input channels · 16, N = output pixels of one 256×256 image).
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];

    public static IEnumerable<GemmCase> Cases() =>
    [
        new("square 256", 256, 256, 256),
        new("square 512", 512, 512, 512),
        new("square 1024", 1024, 1024, 1024),
        new("square 2048", 2048, 2048, 2048),
        new("conv 1→64 @256² (64×16384×16)", 64, 128 * 128, 16),
        new("conv 64→128 @128² (128×4096×1024)", 128, 64 * 64, 1024),
        new("conv 128→256 @64² (256×1024×2048)", 256, 32 * 32, 2048),
        new("conv 256→512 @32² (512×256×4096)", 512, 16 * 16, 4096),
        new("conv 512→512 @8² (512×16×8192)", 512, 4 * 4, 8192),
    ];

    [ParamsSource(nameof(Cases))]
    public GemmCase Case { get; set; } = Cases().First();

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        _a = Enumerable.Range(0, Case.M * Case.K).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        _b = Enumerable.Range(0, Case.K * Case.N).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        _c = new float[Case.M * Case.N];
    }

    [Benchmark]
    public void Sgemm() => Gemm.Sgemm(false, false, Case.M, Case.N, Case.K, 1f, _a, Case.K, _b, Case.N, 0f, _c, Case.N, Threads);
}
