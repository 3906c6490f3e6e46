using System.Diagnostics;
using System.Globalization;
using Colorize.Tensors.Kernels;

namespace Colorize.Benchmarks.Tensors;

/// <summary>
/// The small-map convolution shapes of issue 17 (ResNet18 at 224², the generator's deep layers at 256²) through
/// <c>Convolution.Conv2dForward</c>, with the transposed small-map path (<see cref="TransposedConvolution"/>) allowed and
/// not, alternating in one process: which path each shape takes and what it costs.
/// Run: <c>dotnet Colorize.Benchmarks.dll conv-paths [--threads 1,2] [--repeats 20]</c>.
/// </summary>
public static class ConvPathTable
{
    // Cin, H(=W), Cout, kernel, stride, padding.
    private static readonly (string Name, int Cin, int Size, int Cout, int Kernel, int Stride, int Pad)[] Shapes =
    [
        ("ResNet18 layer4 (224²)", 512, 7, 512, 3, 1, 1),
        ("ResNet18 layer4.0.conv1 (224²)", 256, 14, 512, 3, 2, 1),
        ("ResNet18 layer3 (224²)", 256, 14, 256, 3, 1, 1),
        ("ResNet18 layer2 (224²)", 128, 28, 128, 3, 1, 1),
        ("ResNet18 layer4 (256²)", 512, 8, 512, 3, 1, 1),
        ("ResNet18 layer3 (256²)", 256, 16, 256, 3, 1, 1),
        ("ResNet18 layer2 (256²)", 128, 32, 128, 3, 1, 1),
        ("generator middle (256²)", 512, 8, 1024, 3, 1, 1),
    ];

    public static void Run(IReadOnlyList<string> args)
    {
        int[] threadCounts = [1, 2];
        int repeats = 20;
        for (int i = 0; i + 1 < args.Count; i += 2)
        {
            switch (args[i])
            {
                case "--threads": threadCounts = [.. args[i + 1].Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture))]; break;
                case "--repeats": repeats = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        Console.WriteLine(Invariant($"GEMM kernel {Gemm.DefaultKernel}; best of {repeats} calls per side, the sides alternating; load average {File.ReadAllText("/proc/loadavg").Trim()}"));
        Console.WriteLine("| Shape | Threads | Transposed applies | With it ms | Without ms | Ratio |");
        Console.WriteLine("| --- | ---: | --- | ---: | ---: | ---: |");
        var random = new Random(1);
        foreach (var (name, cin, size, cout, kernel, stride, pad) in Shapes)
        {
            var s = new Conv2dShape(1, cin, size, size, cout, kernel, kernel, stride, stride, pad, pad);
            float[] x = [.. Enumerable.Range(0, (int)s.InputLength).Select(_ => (float)random.NextDouble() - 0.5f)];
            float[] w = [.. Enumerable.Range(0, (int)s.WeightLength).Select(_ => ((float)random.NextDouble() - 0.5f) * 0.05f)];
            float[] y = new float[s.OutputLength];
            foreach (int threads in threadCounts)
            {
                double with = double.MaxValue, without = double.MaxValue;
                bool applies = TransposedConvolution.Applies(s);
                for (int r = 0; r < repeats + 2; r++)
                {
                    // The first two rounds warm up (JIT, workspaces, pages).
                    TransposedConvolution.Enabled = true;
                    double a = Time(() => Convolution.Conv2dForward(s, x, w, [], y, threads));
                    TransposedConvolution.Enabled = false;
                    double b = Time(() => Convolution.Conv2dForward(s, x, w, [], y, threads));
                    TransposedConvolution.Enabled = true;
                    if (r >= 2)
                    {
                        (with, without) = (Math.Min(with, a), Math.Min(without, b));
                    }
                }

                Console.WriteLine(Invariant($"| {name}: {cin}→{cout} {size}² {kernel}×{kernel} s{stride} | {threads} | {(applies ? "yes" : "no")} | {with:F3} | {without:F3} | {with / without:F2} |"));
            }
        }
    }

    private static double Time(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
