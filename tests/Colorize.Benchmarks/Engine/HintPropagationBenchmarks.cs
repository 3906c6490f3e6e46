using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Colorize.Abstractions;
using Colorize.Engine.Pipeline;

namespace Colorize.Benchmarks.Engine;

/// <summary>A short in-process job with allocation tracking (one call is milliseconds; the machine is often shared).</summary>
public sealed class HintPropagationBenchmarkConfig : ManualConfig
{
    public HintPropagationBenchmarkConfig()
    {
        AddJob(Job.Default.WithWarmupCount(2).WithIterationCount(10).WithId("HintPropagation").WithToolchain(InProcessEmitToolchain.Instance));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}

/// <summary>
/// The propagation of colour hints after the network (issue 16) at the default render size: a 3:2 photo rendered at
/// 256 px (384×256), 1, 20 and 1024 hints (<see cref="ColorizeOptions.MaxHints"/>) of radius 4 source pixels on a
/// 1536×1024 source. L is a synthetic photo (shaded blocks with edges, and noise), so the distances stop at edges as in
/// a real one. The cost per pixel is bounded by the slots each pixel keeps, not by the hint count.
/// </summary>
[Config(typeof(HintPropagationBenchmarkConfig))]
public class HintPropagationBenchmarks
{
    private const int SourceWidth = 1536, SourceHeight = 1024;
    private static readonly RenderGeometry Geometry = RenderGeometry.For(SourceWidth, SourceHeight, 256, 32);
    private float[] _l = null!;
    private float[] _predicted = null!;
    private float[] _ab = null!;
    private ColorHint[] _hints = null!;

    /// <summary>How many hints.</summary>
    [Params(1, 20, 1024)]
    public int Hints { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(16);
        int w = Geometry.Width, h = Geometry.Height;
        _l = new float[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                // Blocks of 48×32 render pixels at different lightness, shaded across, with noise.
                int block = ((x / 48) * 7) + ((y / 32) * 13);
                _l[(y * w) + x] = (block * 37 % 70) + 15 + (x % 48 * 0.2f) + ((float)random.NextDouble() * 2);
            }
        }

        int plane = Geometry.PaddedWidth * Geometry.PaddedHeight;
        _predicted = new float[2 * plane];
        for (int i = 0; i < _predicted.Length; i++)
        {
            _predicted[i] = ((float)random.NextDouble() * 40) - 20;
        }

        _ab = new float[_predicted.Length];
        _hints = [.. Enumerable.Range(0, Hints).Select(_ => new ColorHint(random.NextDouble() * SourceWidth, random.NextDouble() * SourceHeight,
            (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), 4))];
    }

    [Benchmark(Description = "hint propagation, render 384×256")]
    public void Propagate()
    {
        _predicted.AsSpan().CopyTo(_ab);
        HintPropagation.Apply(_ab, _l, Geometry, _hints, SourceWidth, SourceHeight, HintPropagationSettings.Default);
    }
}
