namespace Colorize.Tensors.Optim;

/// <summary>
/// Base of the learning-rate schedulers: call <see cref="Step"/> once per epoch (or per batch for one-cycle); the
/// constructor sets the rate for epoch 0, as PyTorch's schedulers do.
/// </summary>
public abstract class LearningRateScheduler
{
    /// <summary>Creates the scheduler and applies the rate of epoch 0.</summary>
    protected LearningRateScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer;
    }

    /// <summary>The optimizer whose groups are scheduled.</summary>
    protected Optimizer Optimizer { get; }

    /// <summary>The index of the current epoch (or step), starting at 0.</summary>
    public int LastEpoch { get; set; }

    /// <summary>Advances one epoch and updates every group's learning rate.</summary>
    public void Step()
    {
        LastEpoch++;
        Apply();
    }

    /// <summary>Sets every group's rate for <see cref="LastEpoch"/>.</summary>
    protected void Apply()
    {
        foreach (var g in Optimizer.ParamGroups)
        {
            g.LearningRate = RateAt(g, LastEpoch);
        }
    }

    /// <summary>The learning rate of <paramref name="group"/> at <paramref name="epoch"/>.</summary>
    protected abstract double RateAt(ParamGroup group, int epoch);
}

/// <summary>Multiplies the rate by <c>gamma</c> every <c>stepSize</c> epochs (<c>StepLR</c>).</summary>
public sealed class StepLR : LearningRateScheduler
{
    private readonly int _stepSize;
    private readonly double _gamma;

    /// <summary>Creates the scheduler.</summary>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1)
        : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        (_stepSize, _gamma) = (stepSize, gamma);
        Apply();
    }

    /// <inheritdoc/>
    protected override double RateAt(ParamGroup group, int epoch) => group.InitialLearningRate * Math.Pow(_gamma, epoch / _stepSize);
}

/// <summary>Multiplies the initial rate by a function of the epoch (<c>LambdaLR</c>).</summary>
public sealed class LambdaLR : LearningRateScheduler
{
    private readonly Func<int, double> _factor;

    /// <summary>Creates the scheduler.</summary>
    public LambdaLR(Optimizer optimizer, Func<int, double> factor)
        : base(optimizer)
    {
        _factor = factor;
        Apply();
    }

    /// <summary>
    /// pix2pix's schedule: the initial rate for <paramref name="constantEpochs"/> epochs, then linear decay to zero over
    /// <paramref name="decayEpochs"/> epochs (the reference code's <c>lambda_rule</c> with epoch_count 1).
    /// </summary>
    public static LambdaLR LinearDecay(Optimizer optimizer, int constantEpochs, int decayEpochs) =>
        new(optimizer, epoch => 1.0 - (Math.Max(0, epoch + 1 - constantEpochs) / (double)(decayEpochs + 1)));

    /// <inheritdoc/>
    protected override double RateAt(ParamGroup group, int epoch) => group.InitialLearningRate * _factor(epoch);
}

/// <summary>
/// The one-cycle policy (Smith 2018) as <c>OneCycleLR</c> with cosine annealing: warm up from max/divFactor to max
/// over <c>pctStart</c> of the steps, then anneal to max/(divFactor·finalDivFactor); Adam's β₁ cycles inversely
/// between <c>maxMomentum</c> and <c>baseMomentum</c>. Step it once per batch.
/// </summary>
public sealed class OneCycleLR : LearningRateScheduler
{
    private readonly int _totalSteps;
    private readonly double _pctStart, _divFactor, _finalDivFactor, _baseMomentum, _maxMomentum;
    private readonly double[] _maxLr;
    private readonly bool _cycleMomentum;

    /// <summary>Creates the scheduler.</summary>
    public OneCycleLR(Optimizer optimizer, double maxLearningRate, int totalSteps, double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4,
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95)
        : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalSteps);
        if (pctStart <= 0 || pctStart >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(pctStart), "pctStart must be in (0, 1).");
        }

        (_totalSteps, _pctStart, _divFactor, _finalDivFactor) = (totalSteps, pctStart, divFactor, finalDivFactor);
        (_cycleMomentum, _baseMomentum, _maxMomentum) = (cycleMomentum, baseMomentum, maxMomentum);
        _maxLr = [.. optimizer.ParamGroups.Select(_ => maxLearningRate)];
        foreach (var g in optimizer.ParamGroups)
        {
            g.InitialLearningRate = maxLearningRate / divFactor;
            if (cycleMomentum)
            {
                g.Beta1 = maxMomentum;
            }
        }

        Apply();
    }

    /// <inheritdoc/>
    protected override double RateAt(ParamGroup group, int epoch)
    {
        // Like PyTorch: the constructor is step 0 and step() may then be called total_steps times.
        if (epoch > _totalSteps)
        {
            throw new InvalidOperationException($"OneCycleLR stepped {epoch} times but was created for {_totalSteps} steps.");
        }

        int gi = Optimizer.ParamGroups.ToList().IndexOf(group);
        double maxLr = _maxLr[gi], initial = maxLr / _divFactor, min = initial / _finalDivFactor;
        double phaseEnd = (_pctStart * _totalSteps) - 1;
        double lr, momentum;
        if (epoch <= phaseEnd)
        {
            double pct = epoch / phaseEnd;
            lr = Cos(initial, maxLr, pct);
            momentum = Cos(_maxMomentum, _baseMomentum, pct);
        }
        else
        {
            double pct = (epoch - phaseEnd) / (_totalSteps - 1 - phaseEnd);
            lr = Cos(maxLr, min, pct);
            momentum = Cos(_baseMomentum, _maxMomentum, pct);
        }

        if (_cycleMomentum)
        {
            group.Beta1 = momentum;
            group.Momentum = group.Momentum != 0 ? momentum : group.Momentum;
        }

        return lr;
    }

    private static double Cos(double start, double end, double pct) => end + ((start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1));
}

/// <summary>
/// Lowers the rate by <c>factor</c> when a metric has stopped improving for <c>patience</c> epochs
/// (<c>ReduceLROnPlateau</c>, relative threshold mode); call <see cref="Step(double)"/> with the metric.
/// </summary>
public sealed class ReduceLROnPlateau
{
    private readonly Optimizer _optimizer;
    private readonly bool _maximize;
    private readonly double _factor, _threshold, _minLr, _eps;
    private readonly int _patience, _cooldown;

    /// <summary>Creates the scheduler.</summary>
    public ReduceLROnPlateau(Optimizer optimizer, bool maximize = false, double factor = 0.1, int patience = 10, double threshold = 1e-4, int cooldown = 0, double minLearningRate = 0, double eps = 1e-8)
    {
        if (factor >= 1 || factor <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(factor), "Factor must be in (0, 1).");
        }

        (_optimizer, _maximize, _factor, _patience, _threshold, _cooldown, _minLr, _eps) = (optimizer, maximize, factor, patience, threshold, cooldown, minLearningRate, eps);
        Best = maximize ? double.NegativeInfinity : double.PositiveInfinity;
    }

    /// <summary>The best metric seen.</summary>
    public double Best { get; set; }

    /// <summary>Epochs since the last improvement.</summary>
    public int BadEpochs { get; set; }

    /// <summary>Epochs of cooldown left after a reduction.</summary>
    public int CooldownCounter { get; set; }

    /// <summary>Records the metric of one epoch; returns true when the rate was reduced.</summary>
    public bool Step(double metric)
    {
        bool better = _maximize ? metric > Best * (1 + _threshold) : metric < Best * (1 - _threshold);
        if (better)
        {
            Best = metric;
            BadEpochs = 0;
        }
        else
        {
            BadEpochs++;
        }

        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            BadEpochs = 0;
        }

        if (BadEpochs <= _patience)
        {
            return false;
        }

        bool reduced = false;
        foreach (var g in _optimizer.ParamGroups)
        {
            double newLr = Math.Max(g.LearningRate * _factor, _minLr);
            if (g.LearningRate - newLr > _eps)
            {
                g.LearningRate = newLr;
                reduced = true;
            }
        }

        CooldownCounter = _cooldown;
        BadEpochs = 0;
        return reduced;
    }
}
