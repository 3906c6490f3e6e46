using System.Diagnostics;
using System.Globalization;
using Colorize.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace Colorize.Benchmarks.Onnx;

/// <summary>
/// The side-by-side table of issue 17 §3 in one process: for each thread count and case, the engine and ONNX Runtime
/// timed alternately (<c>--rounds</c> rounds, each side's best kept, as pytorch/bench_kernels.py does against the
/// kernel table), so a change in the machine's load hits both; also each side's CPU time per pass, which other
/// processes do not inflate. Prints the load average before and after: the table is publishable only when it stayed
/// below 1 on this 2-core machine.
/// Run: <c>dotnet Colorize.Benchmarks.dll onnx-table [--threads 1,2] [--cases all|gen256,…] [--rounds 2] [--repeats 5]
/// [--min-time 0.2] [--hints N]</c>; the files as in <see cref="OnnxFiles.FromEnvironment"/>, or <c>--pack</c>,
/// <c>--generator-onnx</c>, <c>--encoder-onnx</c>. A hint pack's generator gets N hints on both sides (<see cref="HintFeed"/>;
/// default 0, zero planes). Before timing, each generator case runs once on both sides and the largest difference of
/// their outputs is printed, so a table is never of two sides fed different inputs.
/// </summary>
public static class OnnxTable
{
    public static void Run(IReadOnlyList<string> args)
    {
        var options = OnnxOptions.Parse(args);
        var files = options.Files;
        files.Check();
        Console.WriteLine(Invariant($"Engine against ONNX Runtime {OrtEnv.Instance().GetVersionString()}; .NET {Environment.Version}, {Environment.ProcessorCount} CPUs, GEMM kernel {Colorize.Tensors.Kernels.Gemm.DefaultKernel}"));
        Console.WriteLine(Invariant($"pack {files.PackFolder}; generator {files.GeneratorOnnx}; encoder {files.EncoderOnnx}"));
        Console.WriteLine(Invariant($"best of {options.Rounds} alternating rounds × {options.Repeats} repeats (each ≥ {options.MinTime} s); load average at start: {LoadAverage()}"));
        var hints = HintFeed.For(files.PackFolder, options.Hints);
        Console.WriteLine(Invariant($"generator input: {hints.Description}"));
        var engine = EngineNetworks.Load(files);
        var models = OrtModels.Load(files);
        var inputs = options.Cases.ToDictionary(c => c, c => OnnxInputs.Create(c, hints));
        foreach (var c in options.Cases.Where(c => c.Network == OnnxNetwork.Generator))
        {
            // The engine's output is tanh; the graph's is ab = tanh × 110 × chroma gain.
            using var ort = new OrtRunner(models.For(c), options.Threads[0], inputs[c], c.Size);
            float[] ortAb = ort.RunAndRead(), tanh = engine.Run(c, inputs[c].Engine).ToArray();
            float scale = 110f * (float)hints.ChromaGain, max = 0f;
            for (int i = 0; i < tanh.Length; i++)
            {
                max = Math.Max(max, Math.Abs(tanh[i] - (ortAb[i] / scale)));
            }

            int hinted = inputs[c].OrtHints is { } h ? h.Skip(2 * c.Size * c.Size).Count(m => m == 1f) : 0;
            Console.WriteLine(Invariant($"{c.Id}: {hinted} hinted pixels; engine and ONNX Runtime differ by at most {max:E2} (tanh units)"));
        }

        Console.WriteLine();
        Console.WriteLine("| Network | Size | Threads | Engine ms | ONNX Runtime ms | Engine / ORT | Engine CPU ms | ORT CPU ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (int threads in options.Threads)
        {
            TensorOptions.NumThreads = threads;
            foreach (var c in options.Cases)
            {
                using var ort = new OrtRunner(models.For(c), threads, inputs[c], c.Size);
                var input = inputs[c].Engine;
                Timing engineBest = Timing.Worst, ortBest = Timing.Worst;
                for (int round = 0; round < options.Rounds; round++)
                {
                    // Alternate which side goes first, so neither always follows the other's cache and allocator state.
                    if (round % 2 == 0)
                    {
                        engineBest = engineBest.Min(Measure(() => engine.Run(c, input), options));
                        ortBest = ortBest.Min(Measure(ort.Run, options));
                    }
                    else
                    {
                        ortBest = ortBest.Min(Measure(ort.Run, options));
                        engineBest = engineBest.Min(Measure(() => engine.Run(c, input), options));
                    }
                }

                string name = c.Network != OnnxNetwork.Generator ? "ResNet18 encoder"
                    : !hints.TakesHints ? "colorize-base generator"
                    : Invariant($"colorize-base generator, {hints.Count} hints");
                Console.WriteLine(Invariant($"| {name} | {c.Size}² | {threads} | {engineBest.Seconds * 1e3:F1} | {ortBest.Seconds * 1e3:F1} | {engineBest.Seconds / ortBest.Seconds:F2} | {engineBest.CpuSeconds * 1e3:F1} | {ortBest.CpuSeconds * 1e3:F1} |"));
            }
        }

        Console.WriteLine();
        Console.WriteLine(Invariant($"load average at end: {LoadAverage()}"));
    }

    /// <summary>/proc/loadavg's 1, 5 and 15 minute figures (empty where there is no /proc).</summary>
    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "";

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>Best wall time and best CPU time per pass over the repeats, after one warm-up pass.</summary>
    private static Timing Measure(Action run, OnnxOptions options)
    {
        run();
        var once = Stopwatch.StartNew();
        run();
        int inner = Math.Max(1, (int)(options.MinTime / Math.Max(once.Elapsed.TotalSeconds, 1e-6)));
        using var process = Process.GetCurrentProcess();
        var best = Timing.Worst;
        for (int r = 0; r < options.Repeats; r++)
        {
            process.Refresh();
            TimeSpan cpu0 = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < inner; i++)
            {
                run();
            }

            double seconds = watch.Elapsed.TotalSeconds / inner;
            process.Refresh();
            best = best.Min(new Timing(seconds, (process.TotalProcessorTime - cpu0).TotalSeconds / inner));
        }

        return best;
    }

    private readonly record struct Timing(double Seconds, double CpuSeconds)
    {
        public static Timing Worst => new(double.MaxValue, double.MaxValue);

        public Timing Min(Timing other) => new(Math.Min(Seconds, other.Seconds), Math.Min(CpuSeconds, other.CpuSeconds));
    }
}

/// <summary>The options of <c>onnx-table</c> and <c>onnx-profile</c> (each reads the ones it needs).</summary>
internal sealed record OnnxOptions(OnnxFiles Files, IReadOnlyList<int> Threads, IReadOnlyList<OnnxCase> Cases, int Rounds, int Repeats, double MinTime, int Size, string ProfileDirectory, int Hints)
{
    /// <summary>The network <c>onnx-profile</c> times (<c>--network gen|enc</c>; the generator unless asked).</summary>
    public OnnxNetwork ProfileNetwork { get; init; } = OnnxNetwork.Generator;

    public static OnnxOptions Parse(IReadOnlyList<string> args)
    {
        var options = new OnnxOptions(OnnxFiles.FromEnvironment(), [1, 2], OnnxCase.All, 2, 5, 0.2, 512, "/tmp/colorize-bench/ort-profile", HintFeed.CountFromEnvironment());
        for (int i = 0; i < args.Count; i += 2)
        {
            string value = i + 1 < args.Count ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--threads" => options with { Threads = [.. value.Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture))] },
                "--cases" => options with { Cases = OnnxCase.Parse(value) },
                "--rounds" => options with { Rounds = int.Parse(value, CultureInfo.InvariantCulture) },
                "--repeats" => options with { Repeats = int.Parse(value, CultureInfo.InvariantCulture) },
                "--min-time" => options with { MinTime = double.Parse(value, CultureInfo.InvariantCulture) },
                "--size" => options with { Size = int.Parse(value, CultureInfo.InvariantCulture) },
                "--profile-dir" => options with { ProfileDirectory = value },
                "--hints" => options with { Hints = int.Parse(value, CultureInfo.InvariantCulture) },
                "--network" => options with { ProfileNetwork = value == "enc" ? OnnxNetwork.Encoder : value == "gen" ? OnnxNetwork.Generator : throw new ArgumentException($"--network takes gen or enc, not {value}") },
                "--pack" => options with { Files = options.Files with { PackFolder = value } },
                "--generator-onnx" => options with { Files = options.Files with { GeneratorOnnx = value } },
                "--encoder-onnx" => options with { Files = options.Files with { EncoderOnnx = value } },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return options;
    }
}
