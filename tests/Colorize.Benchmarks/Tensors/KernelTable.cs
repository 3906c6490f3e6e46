using System.Diagnostics;
using System.Globalization;

namespace Colorize.Benchmarks.Tensors;

/// <summary>
/// Times the GEMM and convolution benchmark cases with exactly the method of pytorch/bench_kernels.py (best of
/// five repeats, each at least 0.2 s, after a warm-up) and prints the same Markdown table, so the two can be put
/// side by side even on a busy machine where BenchmarkDotNet's statistics get noisy. Also reports throughput
/// per CPU-second of the process, which descheduling by other processes does not depress.
/// Run: <c>dotnet run -c Release --project tests/Colorize.Benchmarks -- kernel-table [threads...]</c>.
/// </summary>
public static class KernelTable
{
    public static void Run(IReadOnlyList<string> args)
    {
        int[] threadCounts = args.Count > 0 ? args.Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [1, 2];
        Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} CPUs, GEMM kernel {Colorize.Tensors.Kernels.Gemm.DefaultKernel}");
        Console.WriteLine();
        Console.WriteLine("| Work | Case | Threads | ms | GFLOP/s | GFLOP per CPU-s |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: |");
        foreach (int threads in threadCounts)
        {
            foreach (GemmCase c in GemmBenchmarks.Cases())
            {
                var bench = new GemmBenchmarks { Case = c, Threads = threads };
                bench.Setup();
                Report("SGEMM", c.Name, threads, c.Flops, bench.Sgemm);
            }

            foreach (ConvCase c in ConvBenchmarks.Cases())
            {
                var bench = new ConvBenchmarks { Case = c, Threads = threads };
                bench.Setup();
                Report("Forward", c.Name, threads, c.Flops, bench.Forward);
                Report("BackwardInput", c.Name, threads, c.Flops, bench.BackwardInput);
                Report("BackwardWeight", c.Name, threads, c.Flops, bench.BackwardWeight);
            }
        }
    }

    private static void Report(string work, string name, int threads, double flops, Action run)
    {
        (double seconds, double cpuSeconds) = BestSeconds(run);
        FormattableString line = $"| {work} | {name} | {threads} | {seconds * 1e3:F3} | {flops / seconds / 1e9:F1} | {flops / cpuSeconds / 1e9:F1} |";
        Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
    }

    private static (double Seconds, double CpuSeconds) BestSeconds(Action run, double minTime = 0.2, int repeats = 5)
    {
        run();
        var once = Stopwatch.StartNew();
        run();
        int inner = Math.Max(1, (int)(minTime / Math.Max(once.Elapsed.TotalSeconds, 1e-6)));
        using Process process = Process.GetCurrentProcess();
        double best = double.MaxValue, bestCpu = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            process.Refresh();
            TimeSpan cpu0 = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < inner; i++)
            {
                run();
            }

            best = Math.Min(best, watch.Elapsed.TotalSeconds / inner);
            process.Refresh();
            bestCpu = Math.Min(bestCpu, (process.TotalProcessorTime - cpu0).TotalSeconds / inner);
        }

        return (best, bestCpu);
    }
}
