using BenchmarkDotNet.Running;

namespace Colorize.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release --project tests/Colorize.Benchmarks -- --filter '*Gemm*'</c>.</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
