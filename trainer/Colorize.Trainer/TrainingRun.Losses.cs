using Colorize.Engine.Architectures;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Trainer;

// The generator's ab term (plain or colour-rebalanced L1, the class head's cross-entropy) and small helpers of the steps in TrainingRun.cs.
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
    /// The generator's ab term (already weighted: l1Weight·L1, plus classLoss.weight·CE with a class loss or
    /// sceneLoss.weight·CE of the scene head on <paramref name="scene"/> with a scene loss), the L1 the metrics report
    /// and the unweighted cross-entropy (null with neither). Without rebalancing the L1 is the
    /// plain L1 (the same tensor, computed as before the option existed); with it the term is the per-pixel weighted L1
    /// and the reported value the unweighted one, so that lossL1 compares across runs. The cross-entropy takes the
    /// rarity weights too when rebalancing (Zhang et al.'s full loss).
    /// </summary>
    private (Tensor Loss, double L1, double? Class) AbTerm(Tensor fake, Tensor? logits, Tensor? scene, Tensor truth)
    {
        Tensor l1Term;
        double l1;
        if (Rebalance is null)
        {
            l1Term = Losses.L1(fake, truth);
            l1 = l1Term.Item();
        }
        else
        {
            l1Term = ColourRebalance.WeightedL1(fake, truth, Rebalance.WeightMap(truth));
            l1 = L1Value(fake, truth);
        }

        var loss = l1Term.Mul(_config.L1Weight);
        if (_sceneLoss is not null && scene is not null)
        {
            // Reported where the class head's cross-entropy is (a run has one or the other: sceneLoss needs the tanh head).
            var sceneCe = _sceneLoss.Compute(scene, truth);
            return (loss + sceneCe.Mul((float)_sceneLoss.Config.Weight), l1, sceneCe.Item());
        }

        if (_classLoss is null || logits is null)
        {
            return (loss, l1, null);
        }

        var ce = ClassLoss.CrossEntropy(logits, _classLoss.Targets(truth), Rebalance?.WeightMap(truth));
        return (loss + ce.Mul((float)_classLoss.Config.Weight), l1, ce.Item());
    }

    /// <summary>
    /// The generator's ab for <paramref name="batch"/> and, with a class loss, the class head's logits it was decoded
    /// from, or with a scene loss the global-context block's photo summary (one forward pass; <see cref="ResNetUnet.ForwardWithLogits"/> runs the head's own hooks, and the network
    /// registers none of its own).
    /// </summary>
    private (Tensor Ab, Tensor? Logits, Tensor? Scene) Generate(Batch batch)
    {
        var input = batch.InputFor(_takesHints);
        if (_classLoss is not null)
        {
            var (ab, logits) = ((ResNetUnet)_g).ForwardWithLogits(input);
            return (ab, logits, null);
        }

        if (_sceneLoss is not null)
        {
            var (ab, scene) = ((ResNetUnet)_g).ForwardWithSceneSummary(input);
            return (ab, null, scene);
        }

        return (_g.Call(input), null, null);
    }

    /// <summary>The class loss of a <c>classLoss</c> config (validated: the generator is a resnet-unet with the class head), or null.</summary>
    private static ClassLoss? MakeClassLoss(TrainConfig config, Module<Tensor, Tensor> generator) =>
        config.ClassLoss is { } classConfig
            ? new ClassLoss(classConfig, (generator as ResNetUnet)?.ClassHead ?? throw new TrainerException("classLoss needs a resnet-unet with \"abHead\": \"classes\"."))
            : null;

    /// <summary>The cross-entropy of the class head (config <c>classLoss</c>), or null.</summary>
    private readonly ClassLoss? _classLoss;

    /// <summary>The scene head and its cross-entropy (config <c>sceneLoss</c>), or null.</summary>
    private readonly SceneLoss? _sceneLoss;

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
