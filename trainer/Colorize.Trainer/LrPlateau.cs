using Colorize.Tensors.Optim;

namespace Colorize.Trainer;

/// <summary>
/// The <c>lrDecayOnPlateau</c> config key: multiply the learning rate (of the generator and, when there is one, the
/// critic) by <see cref="Factor"/> when the validation metric has not improved for <see cref="Patience"/> epochs.
/// </summary>
internal sealed record LrPlateauConfig
{
    /// <summary><c>psnr</c> (validation PSNR, higher is better) or <c>l1</c> (validation ab MAE, lower is better).</summary>
    public string Metric { get; init; } = "psnr";

    /// <summary>The factor applied on a plateau, in (0, 1).</summary>
    public double Factor { get; init; } = 0.5;

    /// <summary>Epochs without improvement tolerated before the rate is reduced.</summary>
    public int Patience { get; init; } = 2;

    /// <summary>Relative improvement that counts as better (PyTorch's threshold, "rel" mode).</summary>
    public double Threshold { get; init; } = 1e-4;

    /// <summary>Epochs after a reduction during which no further reduction happens.</summary>
    public int Cooldown { get; init; }

    /// <summary>The rate never goes below this.</summary>
    public double MinLearningRate { get; init; } = 1e-6;

    public void Validate()
    {
        TrainConfig.Require(Metric is "psnr" or "l1", $"lrDecayOnPlateau.metric must be \"psnr\" or \"l1\", got \"{Metric}\".");
        TrainConfig.Require(Factor is > 0 and < 1, $"lrDecayOnPlateau.factor must be in (0, 1), got {Factor}.");
        TrainConfig.Require(Patience >= 0 && Cooldown >= 0, "lrDecayOnPlateau.patience and cooldown must not be negative.");
        TrainConfig.Require(Threshold is >= 0 and < 1, $"lrDecayOnPlateau.threshold must be in [0, 1), got {Threshold}.");
        TrainConfig.Require(MinLearningRate >= 0, $"lrDecayOnPlateau.minLearningRate must not be negative, got {MinLearningRate}.");
    }
}

/// <summary>The scheduler's counters as a checkpoint stores them (the rate itself is in the optimizer scalars).</summary>
internal sealed record LrPlateauState(double Best, int BadEpochs, int CooldownCounter);

/// <summary>
/// <see cref="ReduceLROnPlateau"/> on every optimizer of a run, fed the same validation metric after each epoch, so
/// generator and critic rates fall together.
/// </summary>
internal sealed class LrPlateau
{
    private readonly LrPlateauConfig _config;
    private readonly ReduceLROnPlateau[] _schedulers;

    public LrPlateau(LrPlateauConfig config, params Optimizer?[] optimizers)
    {
        _config = config;
        _schedulers = [.. optimizers.OfType<Optimizer>().Select(o => new ReduceLROnPlateau(o, maximize: config.Metric == "psnr",
            factor: config.Factor, patience: config.Patience, threshold: config.Threshold, cooldown: config.Cooldown, minLearningRate: config.MinLearningRate))];
    }

    /// <summary>Feeds one epoch's validation metrics; true when the rate was lowered.</summary>
    public bool Step(ValidationMetrics metrics)
    {
        double value = _config.Metric == "psnr" ? metrics.Psnr : metrics.AbMae;
        bool reduced = false;
        foreach (var s in _schedulers)
        {
            reduced |= s.Step(value);
        }

        return reduced;
    }

    public LrPlateauState State => new(_schedulers[0].Best, _schedulers[0].BadEpochs, _schedulers[0].CooldownCounter);

    public void Restore(LrPlateauState? state)
    {
        if (state is null)
        {
            // A checkpoint written before the option was switched on: start counting afresh.
            return;
        }

        foreach (var s in _schedulers)
        {
            (s.Best, s.BadEpochs, s.CooldownCounter) = (state.Best, state.BadEpochs, state.CooldownCounter);
        }
    }
}
