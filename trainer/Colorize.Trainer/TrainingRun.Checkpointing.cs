using Colorize.Tensors;
using Colorize.Tensors.Optim;

namespace Colorize.Trainer;

// What a checkpoint holds of a run (its tensors and state) and how both are restored; the training loop is in TrainingRun.cs.
internal sealed partial class TrainingRun
{
    private CheckpointState State(int epochsCompleted, long step, double bestPsnr, int bestEpoch, Dictionary<string, double>? metrics, EpochProgress? within, double cpuSeconds) => new()
    {
        CpuSeconds = cpuSeconds,
        EpochsCompleted = epochsCompleted,
        Step = step,
        OptimizerGScalars = _optG.StateDict().Scalars,
        OptimizerDScalars = _optD?.StateDict().Scalars,
        ModelRandom = _modelRandom.GetState(),
        CriticRandom = _criticRandom.GetState(),
        DataRandom = _dataRandom.GetState(),
        BestPsnr = bestPsnr,
        BestEpoch = bestEpoch,
        Metrics = metrics,
        WithinEpoch = within,
        LrPlateau = _plateau?.State,
        Phase = _phase.Index,
        CriticMode = _criticMode,
    };

    private static Dictionary<string, double> MetricsDictionary(ValidationMetrics m, int epoch) => new(StringComparer.Ordinal)
    {
        ["psnr"] = m.Psnr,
        ["psnrGrey"] = m.PsnrGrey,
        ["abMae"] = m.AbMae,
        ["colorfulness"] = m.ColorfulnessPred,
        ["colorfulnessTruth"] = m.ColorfulnessTruth,
        ["deltaColorfulness"] = m.DeltaColorfulness,
        ["auc"] = m.Auc,
        ["aucGrey"] = m.AucGrey,
        ["epoch"] = epoch,
    };

    private Dictionary<string, Tensor> CollectTensors()
    {
        var all = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Add("g.", _g.StateDict());
        Add("optg.", _optG.StateDict().Tensors);
        if (_sceneLoss is not null)
        {
            Add(SceneLoss.CheckpointPrefix, _sceneLoss.Head.StateDict());
        }

        if (_d is not null)
        {
            Add("d.", _d.StateDict());
            Add("optd.", _optD!.StateDict().Tensors);
        }

        return all;

        void Add(string prefix, IReadOnlyDictionary<string, Tensor> tensors)
        {
            foreach (var (k, v) in tensors)
            {
                all[prefix + k] = v;
            }
        }
    }

    private void Restore(CheckpointState state, Dictionary<string, Tensor> tensors)
    {
        _g.LoadStateDict(Prefixed(tensors, "g."));
        if (_sceneLoss is not null)
        {
            _sceneLoss.Head.LoadStateDict(Prefixed(tensors, SceneLoss.CheckpointPrefix));
        }

        _optG.LoadStateDict(new OptimizerState(Prefixed(tensors, "optg."), state.OptimizerGScalars));
        if (_d is not null)
        {
            _d.LoadStateDict(Prefixed(tensors, "d."));
            _optD!.LoadStateDict(new OptimizerState(Prefixed(tensors, "optd."), state.OptimizerDScalars
                ?? throw new TrainerException("The checkpoint has no discriminator optimizer state.")));
        }

        _modelRandom.SetState(state.ModelRandom);
        _criticRandom.SetState(state.CriticRandom);
        _dataRandom.SetState(state.DataRandom);
        _plateau?.Restore(state.LrPlateau);
        _criticMode = state.CriticMode;
    }

    /// <summary>The tensors whose names start with <paramref name="prefix"/>, with it removed.</summary>
    public static Dictionary<string, Tensor> Prefixed(IReadOnlyDictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
}
