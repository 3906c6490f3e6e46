using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Colorize.Imaging;
using Colorize.Imaging.ColorSpaces;
using Colorize.Imaging.Formats.Jpeg;
using Colorize.Imaging.Formats.Png;
using Colorize.Imaging.Processing;

namespace Colorize.Benchmarks.Imaging;

/// <summary>Few iterations with allocation tracking: every case handles a 24-megapixel photo.</summary>
public sealed class ImagingBenchmarkConfig : ManualConfig
{
    public ImagingBenchmarkConfig()
    {
        AddJob(Job.Default.WithWarmupCount(1).WithIterationCount(5).WithInvocationCount(1).WithUnrollFactor(1).WithId("Imaging")
            // In-process: no generated project to build, which times out on a busy 2-core machine.
            .WithToolchain(InProcessEmitToolchain.Instance));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}

/// <summary>
/// Decode and encode of the 24-megapixel JPEG and PNG that <c>pil/bench_codecs.py</c> creates (run it first; it
/// prints PIL's times on the same files), plus Lab conversion and resampling at that size.
/// Set <c>COLORIZE_BENCH_DIR</c> if the files are not in /tmp/colorize-bench.
/// </summary>
[Config(typeof(ImagingBenchmarkConfig))]
public class CodecBenchmarks
{
    private byte[] _jpeg = null!;
    private byte[] _png = null!;
    private Image _image = null!;
    private float[] _l = null!, _a = null!, _b = null!, _small = null!;

    [GlobalSetup]
    public void Setup()
    {
        string dir = Environment.GetEnvironmentVariable("COLORIZE_BENCH_DIR") ?? "/tmp/colorize-bench";
        string jpg = Path.Combine(dir, "photo24.jpg"), png = Path.Combine(dir, "photo24.png");
        if (!File.Exists(jpg) || !File.Exists(png))
        {
            throw new FileNotFoundException($"Run '/usr/bin/python3 tests/Colorize.Benchmarks/pil/bench_codecs.py --dir {dir}' first to create the benchmark photos.");
        }

        _jpeg = File.ReadAllBytes(jpg);
        _png = File.ReadAllBytes(png);
        _image = Image.Load(_png);
        int n = _image.Width * _image.Height;
        (_l, _a, _b) = (new float[n], new float[n], new float[n]);
        _small = new float[768 * 512];
    }

    [Benchmark(Description = "JPEG decode 24 MP")]
    public Image JpegDecode() => Image.Load(_jpeg);

    [Benchmark(Description = "JPEG encode 24 MP q90 4:2:0")]
    public long JpegEncode()
    {
        using var ms = new MemoryStream();
        _image.Save(ms, new JpegEncoder { Quality = 90 });
        return ms.Length;
    }

    [Benchmark(Description = "PNG decode 24 MP")]
    public Image PngDecode() => Image.Load(_png);

    [Benchmark(Description = "PNG encode 24 MP level 6")]
    public long PngEncode()
    {
        using var ms = new MemoryStream();
        _image.Save(ms, new PngEncoder { CompressionLevel = 6 });
        return ms.Length;
    }

    [Benchmark(Description = "Rgb24 → Lab planes 24 MP")]
    public void ToLab() => LabConverter.ToLab(_image.Buffer, _l, _a, _b);

    [Benchmark(Description = "Lab planes → Rgb24 24 MP")]
    public void FromLab() => LabConverter.FromLab(_l, _a, _b, _image.Buffer);

    [Benchmark(Description = "L plane 24 MP → 768×512, Lanczos-3")]
    public void Downscale() => Resampler.Resize(_l, 6000, 4000, 6000, _small, 768, 512, 768, ResampleFilter.Lanczos3);

    [Benchmark(Description = "ab plane 768×512 → 24 MP, torch bilinear")]
    public void Upscale() => Resampler.ResizeBilinearTorch(_small, 768, 512, 768, _a, 6000, 4000, 6000);
}
