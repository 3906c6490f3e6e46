using System.Diagnostics;

namespace Colorize.Trainer;

/// <summary>One line of metrics.jsonl.</summary>
/// <remarks>
/// <c>CpuSeconds</c> is the processor time the run has used so far, over all its sessions (the budget that
/// <c>--cpu-budget</c> limits and that recipe comparisons hold equal). <c>LossG</c> and <c>LossGAdv</c> are means over the epoch's generator steps (null when the generator did not step,
/// as in a critic phase), <c>LossD</c> over its critic steps, <c>LossL1</c> over the generator outputs of the epoch.
/// </remarks>
internal sealed record EpochRecord(int Epoch, long Step, double? LossG, double LossL1, double? LossGAdv, double? LossD,
    double Psnr, double PsnrGrey, double AbMae, double ColorfulnessPred, double ColorfulnessTruth, double DeltaColorfulness,
    int ValidationImages, double Seconds, double TrainSeconds, double ImagesPerSecond,
    double? Auc = null, double? AucGrey = null, double? LearningRate = null, string? Phase = null, int? Size = null,
    double? CpuSeconds = null)
{
    /// <summary>
    /// The mean cross-entropy of the class head, or of the scene head with <c>sceneLoss</c>, over the epoch's generator
    /// steps (unweighted; null with neither).
    /// </summary>
    public double? LossClass { get; init; }
}

/// <summary>The losses summed over one batch's optimizer steps (<c>SumClass</c>: the class head's cross-entropy over its generator steps).</summary>
internal readonly record struct StepLosses(double SumG, double SumAdv, int GSteps, double SumD, int DSteps, double L1, double SumClass = 0);

/// <summary>The processor time this process has used since <see cref="Start"/>, on all its threads.</summary>
internal readonly struct CpuClock
{
    private readonly TimeSpan _start;

    private CpuClock(TimeSpan start) => _start = start;

    public static CpuClock Start() => new(Process.GetCurrentProcess().TotalProcessorTime);

    /// <summary>Seconds of processor time since the start (user + kernel, every thread, including the data loader's).</summary>
    public double Seconds => (Process.GetCurrentProcess().TotalProcessorTime - _start).TotalSeconds;
}
