using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Trainer;

// The generator's ab term (plain or colour-rebalanced L1) and small helpers of the steps in TrainingRun.cs.
internal sealed partial class TrainingRun
{
    private static void SetRequiresGrad(Module module, bool value)
    {
        foreach (var p in module.Parameters())
        {
            p.RequiresGrad = value;
        }
    }

    /// <summary>
    /// The generator's ab term and the L1 the metrics report. Without rebalancing both are the plain L1 (the same
    /// tensor, computed as before the option existed); with it the term is the per-pixel weighted L1 and the reported
    /// value the unweighted one, so that lossL1 compares across runs.
    /// </summary>
    private (Tensor Loss, double L1) AbTerm(Tensor fake, Tensor truth)
    {
        if (Rebalance is null)
        {
            var l1 = Losses.L1(fake, truth);
            return (l1, l1.Item());
        }

        return (ColourRebalance.WeightedL1(fake, truth, Rebalance.WeightMap(truth)), L1Value(fake, truth));
    }

    /// <summary>The colour weights of the L1 term (set when training starts with <c>rebalance</c>; tests set it directly).</summary>
    internal ColourRebalance? Rebalance
    {
        get => _rebalance;
        set => _rebalance = value;
    }

    private static double L1Value(Tensor fake, Tensor truth)
    {
        using (Tensor.NoGrad())
        {
            return Losses.L1(fake, truth).Item();
        }
    }
}
