using BenchmarkDotNet.Running;
using Colorize.Benchmarks.Tensors;

namespace Colorize.Benchmarks;

/// <summary>
/// Entry point. BenchmarkDotNet: <c>dotnet run -c Release --project tests/Colorize.Benchmarks -- --filter '*Gemm*'</c>;
/// the side-by-side tables for docs/benchmarks.md: <c>... -- kernel-table 1 2</c> and <c>... -- png-table ...</c>
/// (through <c>pil/bench_png.py</c>); the engine against ONNX Runtime (issue 17 §3): <c>... -- onnx-table</c> and its
/// per-layer profile <c>... -- onnx-profile</c> (through <c>ort/bench_onnxruntime.sh</c>); where the 3×3 convolutions' GEMM
/// loses time against the core's FMA peak: <c>... -- gemm-probe</c>.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "kernel-table")
        {
            KernelTable.Run(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "gemm-probe")
        {
            GemmProbe.Run(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "png-table")
        {
            Imaging.PngTable.Run(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "onnx-table")
        {
            Onnx.OnnxTable.Run(args[1..]);
            return;
        }

        if (args.Length > 0 && args[0] == "onnx-profile")
        {
            Onnx.LayerProfile.Run(args[1..]);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
