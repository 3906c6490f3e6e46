using Colorize.Abstractions.Packs;

namespace Colorize.Trainer;

/// <summary>
/// Seeds 001 and 004: the U-Net's encoder starts from an ImageNet-trained ResNet (fastai's <c>unet_learner</c>), first
/// frozen while the decoder learns, then trained with the rest at a lower learning rate (fastai's habit of
/// <c>freeze</c>, <c>fit_one_cycle</c>, <c>unfreeze</c>, smaller rate).
/// </summary>
internal sealed record PretrainedEncoderConfig
{
    /// <summary>The weights: <c>resnet18-imagenet</c> (ML.NET's ResNet18, read from its ONNX file beside the trainer).</summary>
    public string Weights { get; init; } = PretrainedWeights.ResNet18ImageNet;

    /// <summary>Epochs of L1 pretraining with the encoder frozen, before the other phases (0: none).</summary>
    public int FrozenEpochs { get; init; }

    /// <summary>The encoder's learning rate as a share of the generator's, once it trains.</summary>
    public double LrMultiplier { get; init; } = 1;

    public void Validate(ArchitectureSpec generator)
    {
        TrainConfig.Require(Weights == PretrainedWeights.ResNet18ImageNet, $"pretrainedEncoder.weights must be '{PretrainedWeights.ResNet18ImageNet}', got '{Weights}'.");
        TrainConfig.Require(FrozenEpochs is >= 0 and <= 100_000, $"pretrainedEncoder.frozenEpochs must be from 0 to 100000, got {FrozenEpochs}.");
        TrainConfig.Require(LrMultiplier is > 0 and <= 10, $"pretrainedEncoder.lrMultiplier must be in (0, 10], got {LrMultiplier}.");
        TrainConfig.Require(PretrainedWeights.FitsGenerator(generator), PretrainedWeights.GeneratorRequirement);
    }
}

/// <summary>
/// DeOldify's feature loss with the ResNet18 we have instead of VGG16: L1 between the frozen network's activations
/// for the predicted and the true photo (both as sRGB, the way ImageNet photos looked), summed over stages.
/// </summary>
internal sealed record FeatureLossConfig
{
    /// <summary>Weight of the summed feature term in the generator loss (beside l1Weight · L1).</summary>
    public float Weight { get; init; } = 1f;

    /// <summary>Weights of the stages after conv1, layer1, layer2, layer3, layer4 (trailing ones may be left out).</summary>
    public IReadOnlyList<float> StageWeights { get; init; } = [0f, 1f, 1f, 1f];

    /// <summary>Also in the adversarial phases' generator loss (DeOldify keeps it there).</summary>
    public bool InGan { get; init; } = true;

    public void Validate()
    {
        TrainConfig.Require(Weight is > 0 and <= 1e6f, $"featureLoss.weight must be in (0, 1e6], got {Weight}.");
        TrainConfig.Require(StageWeights.Count is >= 1 and <= 5 && StageWeights.All(w => w >= 0) && StageWeights.Any(w => w > 0),
            "featureLoss.stageWeights needs 1 to 5 non-negative weights, at least one positive.");
    }
}
