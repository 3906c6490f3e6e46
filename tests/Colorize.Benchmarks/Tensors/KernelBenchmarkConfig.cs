using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Colorize.Benchmarks.Tensors;

/// <summary>A benchmark case that knows how many floating-point operations one invocation does.</summary>
public interface IFlopCount
{
    /// <summary>Gets the floating-point operations (a multiply-add counts 2) of one invocation.</summary>
    double Flops { get; }
}

/// <summary>
/// A short in-process job (the figures are for side-by-side comparison, not for statistics; in-process runs
/// need no generated project, so nothing is built next to the sources), allocations, and a GFLOP/s column
/// computed from the case's flop count and the mean time.
/// </summary>
public sealed class KernelBenchmarkConfig : ManualConfig
{
    public KernelBenchmarkConfig()
    {
        AddJob(Job.ShortRun.WithWarmupCount(2).WithIterationCount(5).WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortInProcess"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(new GflopsColumn());
        SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(40);
    }
}

/// <summary>GFLOP/s = flops of the case / mean time.</summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);

    public string ColumnName => "GFLOP/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Floating-point operations per second, in billions (a multiply-add counts 2)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double flops = benchmarkCase.Parameters.Items.Select(p => p.Value).OfType<IFlopCount>().Sum(p => p.Flops);
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return flops > 0 && meanNs is > 0 ? (flops / meanNs.Value).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) : "-";
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
