using Colorize.Tensors.Optim;

namespace Colorize.Trainer;

/// <summary>
/// The <c>pretrain.oneCycle</c> config key: each L1 phase is one cycle of the one-cycle policy (Smith 2018), as
/// fastai's <c>fit_one_cycle</c> makes each call one cycle, with the rate of PyTorch's <c>OneCycleLR</c>
/// (<c>anneal_strategy="cos"</c>, <c>three_phase=False</c>, <c>cycle_momentum=False</c>: Adam's betas stay put).
/// </summary>
/// <remarks>
/// Defaults are OneCycleLR's except <see cref="PctStart"/>: 0.25 is fastai's <c>fit_one_cycle</c> default (PyTorch
/// and fastai 1, which DeOldify used, have 0.3).
/// </remarks>
internal sealed record OneCycleConfig
{
    /// <summary>Share of the phase's steps spent warming up to the peak, in (0, 1).</summary>
    public double PctStart { get; init; } = 0.25;

    /// <summary>The cycle starts at peak / divFactor (≥ 1).</summary>
    public double DivFactor { get; init; } = 25;

    /// <summary>The cycle ends at peak / (divFactor · finalDivFactor) (≥ 1).</summary>
    public double FinalDivFactor { get; init; } = 1e4;

    /// <summary>Throws <see cref="TrainerException"/> for a value outside its range.</summary>
    public void Validate()
    {
        TrainConfig.Require(PctStart is > 0 and < 1, $"pretrain.oneCycle.pctStart must be in (0, 1), got {PctStart}.");
        TrainConfig.Require(DivFactor >= 1 && double.IsFinite(DivFactor), $"pretrain.oneCycle.divFactor must be at least 1, got {DivFactor}.");
        TrainConfig.Require(FinalDivFactor >= 1 && double.IsFinite(FinalDivFactor), $"pretrain.oneCycle.finalDivFactor must be at least 1, got {FinalDivFactor}.");
    }
}

/// <summary>
/// The one-cycle learning rate of the L1 phases: a pure function of the phase and the step within it (nothing is
/// stepped or stored), so a run resumed from any checkpoint, even one taken inside an epoch, sets the same rates.
/// </summary>
/// <remarks>
/// Colorize.Tensors' <see cref="OneCycleLR"/> is not used: it is stepped (its position would have to be checkpointed)
/// and gives every group one peak, where each generator group here peaks at its own configured rate.
/// </remarks>
internal static class OneCycle
{
    /// <summary>
    /// Before an optimizer step of an L1 phase, sets every generator group's rate to the cycle's value at this step
    /// with the group's configured rate (<see cref="ParamGroup.InitialLearningRate"/>) as its peak. Does nothing
    /// without <paramref name="config"/> or outside L1 phases; critic and GAN phases keep their constant rates (every
    /// phase starts with fresh optimizers at the configured rates).
    /// </summary>
    /// <param name="config">The run's <c>pretrain.oneCycle</c> (null: constant rates).</param>
    /// <param name="phase">The current phase; its whole length, <see cref="TrainingPhase.Epochs"/> epochs, is one cycle.</param>
    /// <param name="generator">The generator's optimizer.</param>
    /// <param name="epoch">The global 0-based epoch.</param>
    /// <param name="batchesDone">Batches already trained in this epoch (the step about to be taken is the next one).</param>
    /// <param name="epochLength">Training samples per epoch (photos × epochRepeats).</param>
    /// <param name="batchSize">Samples per batch (the epoch's last batch may be smaller, but is a step all the same).</param>
    public static void SetRates(OneCycleConfig? config, TrainingPhase phase, Optimizer generator, int epoch, int batchesDone, int epochLength, int batchSize)
    {
        if (config is null || phase.Kind != PhaseKind.Pretrain)
        {
            return;
        }

        long batchesPerEpoch = (epochLength + (long)batchSize - 1) / batchSize;
        long step = ((epoch - phase.FirstEpoch) * batchesPerEpoch) + batchesDone;
        long totalSteps = phase.Epochs * batchesPerEpoch;
        foreach (var group in generator.ParamGroups)
        {
            group.LearningRate = Rate(group.InitialLearningRate, step, totalSteps, config);
        }
    }

    /// <summary>
    /// The rate of optimizer step <paramref name="step"/> (0-based) of a cycle of <paramref name="totalSteps"/> steps
    /// peaking at <paramref name="maxLearningRate"/>: what PyTorch 1.13's <c>OneCycleLR</c> sets after construction
    /// (step 0) and after its <paramref name="step"/>-th <c>scheduler.step()</c>, operation for operation.
    /// </summary>
    /// <remarks>
    /// PyTorch ends the warm-up at step <c>pct_start · total_steps − 1</c> (a float, not rounded) and the annealing at
    /// <c>total_steps − 1</c>; a warm-up ending before step 0 leaves only the annealing. Where the warm-up ends exactly
    /// at step 0 PyTorch divides 0 by 0 (ZeroDivisionError); here step 0 then takes the peak, the limit from
    /// slightly smaller pctStart, rather than stopping a run whose step count happens to hit that value.
    /// </remarks>
    public static double Rate(double maxLearningRate, long step, long totalSteps, OneCycleConfig config)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(step, totalSteps);
        double initial = maxLearningRate / config.DivFactor;
        double min = initial / config.FinalDivFactor;
        double warmUpEnd = (config.PctStart * totalSteps) - 1;
        if (step <= warmUpEnd)
        {
            return Cos(initial, maxLearningRate, warmUpEnd == 0 ? 1 : step / warmUpEnd);
        }

        return Cos(maxLearningRate, min, (step - warmUpEnd) / (totalSteps - 1 - warmUpEnd));
    }

    /// <summary>PyTorch's <c>_annealing_cos</c>: from <paramref name="start"/> at pct 0 to <paramref name="end"/> at pct 1.</summary>
    private static double Cos(double start, double end, double pct) => end + ((start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1));
}
