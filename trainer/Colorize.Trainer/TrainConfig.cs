using System.Text.Json;
using System.Text.Json.Serialization;
using Colorize.Abstractions.Packs;

namespace Colorize.Trainer;

/// <summary>A training split: the shares of photos for training and validation (the rest is the test set).</summary>
/// <remarks>
/// With <see cref="ValidationList"/> the split is explicit instead: the listed photos validate, all others train,
/// and there is no test share (a held-out test set belongs in a folder of its own, outside the training data).
/// </remarks>
internal sealed record SplitConfig(double Train = 0.70, double Validation = 0.15)
{
    /// <summary>A text file of '/'-separated paths relative to the data folder, one a line (relative paths of the file itself are taken from the data folder).</summary>
    public string? ValidationList { get; init; }
}

/// <summary>
/// Generator pretraining with L1 only, before any adversarial phase (NoGAN phase 1, the WGAN-GP head start): one
/// phase per entry of <see cref="Sizes"/> (progressive resizing), each <see cref="EpochsPerSize"/> epochs long.
/// </summary>
internal sealed record PretrainConfig
{
    /// <summary>Training crop sides in order (e.g. 64, 128); empty means one phase at the run's size.</summary>
    public IReadOnlyList<int> Sizes { get; init; } = [];
    public int EpochsPerSize { get; init; }
    /// <summary>Adam settings of the pretraining phases; null takes the run's.</summary>
    public double? LearningRate { get; init; }
    public double? Beta1 { get; init; }
    public double? Beta2 { get; init; }
    /// <summary>
    /// Make each L1 phase one cycle of the one-cycle policy, peaking at each generator group's configured rate
    /// (null: constant rates); see <see cref="OneCycleConfig"/>.
    /// </summary>
    public OneCycleConfig? OneCycle { get; init; }
}

/// <summary>How the adversarial phases train: loss, step ratio, critic learning rate and the adaptive switch.</summary>
internal sealed record GanConfig
{
    /// <summary><c>bce</c> (BCE with logits), <c>hinge</c>, or <c>wasserstein</c> (WGAN-GP: needs <see cref="GradientPenalty"/>).</summary>
    public string Loss { get; init; } = "bce";
    /// <summary>TTUR: the critic's learning rate is this times the generator's.</summary>
    public double CriticLrMultiplier { get; init; } = 1;
    /// <summary>
    /// NoGAN's adaptive switch: train the critic (one batch per step) until its loss falls below this, then give the
    /// generator one step, then back to the critic. Null: a fixed schedule (one critic step, then the generator steps).
    /// </summary>
    public double? CriticLossThreshold { get; init; }
    /// <summary>Generator steps on each batch after the critic step (fixed schedule only).</summary>
    public int GeneratorStepsPerCriticStep { get; init; } = 1;
    /// <summary>λ of the WGAN-GP gradient penalty (wasserstein loss only).</summary>
    public float GradientPenalty { get; init; } = 10f;
    /// <summary>Weight of the adversarial term in the generator loss (the L1 term has <see cref="TrainConfig.L1Weight"/>).</summary>
    public float AdversarialWeight { get; init; } = 1f;
}

/// <summary>
/// Everything a run needs, read from a recipe file and overridden by command-line flags; written to the run
/// directory as <c>config.json</c> so a resumed run trains exactly the same model.
/// </summary>
internal sealed record TrainConfig
{
    public required string Recipe { get; init; }
    public string? Description { get; init; }
    public required ArchitectureSpec Generator { get; init; }
    public ArchitectureSpec? Discriminator { get; init; }
    public int Size { get; init; } = 128;
    public int Epochs { get; init; } = 10;
    public int Batch { get; init; } = 8;
    public long Seed { get; init; } = 1;
    public double LearningRate { get; init; } = 2e-4;
    public double Beta1 { get; init; } = 0.5;
    public double Beta2 { get; init; } = 0.999;
    public float L1Weight { get; init; } = 1f;
    public float RealLabel { get; init; } = 1f;
    public double CropScaleMin { get; init; } = 0.6;
    public double CacheScale { get; init; } = 1.25;
    public SplitConfig Split { get; init; } = new();
    /// <summary>Also checkpoint every this many steps inside an epoch (0: only at the end of each epoch).</summary>
    public int CheckpointEverySteps { get; init; }
    /// <summary>L1 pretraining of the generator before the adversarial phases (null: none).</summary>
    public PretrainConfig? Pretrain { get; init; }
    /// <summary>Epochs of critic (re)fitting on generated images before each GAN phase (NoGAN phase 2; 0: none).</summary>
    public int CriticPretrainEpochs { get; init; }
    /// <summary>How often critic refit + GAN phase repeat (NoGAN's cycles); each GAN phase lasts <see cref="Epochs"/> epochs.</summary>
    public int Cycles { get; init; } = 1;
    public GanConfig Gan { get; init; } = new();
    public IReadOnlyList<DataSource> DataSources { get; init; } = [];
    /// <summary>The photo folder (filled from --data).</summary>
    public string? Data { get; init; }
    /// <summary>Optional degradation of the training inputs' L (null: off); see <see cref="NoiseConfig"/>.</summary>
    public NoiseConfig? Noise { get; init; }
    /// <summary>Optional learning-rate decay when a validation metric stops improving (null: constant rate).</summary>
    public LrPlateauConfig? LrDecayOnPlateau { get; init; }
    /// <summary>
    /// Stop at the first epoch boundary after the run has used this many minutes of processor time (all threads, all
    /// sessions); null: no limit. Comparing recipes under the same budget is fair even on a machine shared with
    /// other work, which a wall-clock limit would not be.
    /// </summary>
    public double? CpuBudgetMinutes { get; init; }
    /// <summary>
    /// Also keep the end-of-epoch checkpoint of every this many epochs (0: keep only last, previous and best), so that
    /// a long run's models can be compared afterwards on more than validation PSNR (<c>pack --checkpoint epoch-N</c>).
    /// </summary>
    public int KeepEveryEpochs { get; init; }
    /// <summary>Start the generator's encoder from pretrained weights, and how to train it (null: random initial weights).</summary>
    public PretrainedEncoderConfig? PretrainedEncoder { get; init; }
    /// <summary>A perceptual loss from a frozen ImageNet ResNet18, added to the generator's L1 (null: none).</summary>
    public FeatureLossConfig? FeatureLoss { get; init; }
    /// <summary>
    /// Passes over the training photos per epoch, each with fresh random crops (1: one pass). A small photo set
    /// otherwise spends most of its time in what every epoch ends with (validation, sample grid, report, checkpoint).
    /// </summary>
    public int EpochRepeats { get; init; } = 1;
    /// <summary>Simulated colour hints for a generator that takes them (null: none; the hint planes stay zero).</summary>
    public HintConfig? Hints { get; init; }
    /// <summary>Start the generator from a pack's or a run's weights (fine-tuning; null: fresh weights).</summary>
    public InitConfig? Init { get; init; }
    /// <summary>Paste photographic cut-outs onto training crops (null: none); see <see cref="CutoutConfig"/>.</summary>
    public CutoutConfig? Cutouts { get; init; }
    /// <summary>Weight the generator's per-pixel ab L1 by colour rarity (null: plain L1); see <see cref="RebalanceConfig"/>.</summary>
    public RebalanceConfig? Rebalance { get; init; }
    /// <summary>
    /// The class head's cross-entropy against soft-encoded targets, added to the ab term (null: none; needs a generator
    /// with <c>abHead</c> "classes"); see <see cref="ClassLossConfig"/>.
    /// </summary>
    public ClassLossConfig? ClassLoss { get; init; }
    /// <summary>
    /// A training-time objective on the <c>globalContext</c> block's photo summary: predict the photo's ab histogram
    /// (null: none); see <see cref="SceneLossConfig"/>.
    /// </summary>
    public SceneLossConfig? SceneLoss { get; init; }
    /// <summary>
    /// Listed training photos appear several times in each epoch's order (null: each photo once); see
    /// <see cref="OversampleConfig"/>.
    /// </summary>
    public OversampleConfig? Oversample { get; init; }
    /// <summary>
    /// The rate of a <c>resnet-unet</c>'s <c>globalContext</c> block (<c>global_context.*</c>) as a multiple of the
    /// phase's (1: the same). Fine-tuning a trained network into the block, whose output starts at zero, at the
    /// fine-tuning rate left it at 2 % of the features it adds to after two epochs (packaging/data/global-context-size.py); like the hint branch and
    /// a new class head, it gets its own rate.
    /// </summary>
    public double GlobalContextLrMultiplier { get; init; } = 1;

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Checks the values a person may have mistyped; throws <see cref="TrainerException"/> with the reason.</summary>
    public TrainConfig Validate()
    {
        Require(Size is >= 16 and <= 1024, $"size must be from 16 to 1024 pixels, got {Size}.");
        Require(Epochs is >= 1 and <= 100_000, $"epochs must be from 1 to 100000, got {Epochs}.");
        Require(CpuBudgetMinutes is null or (> 0 and <= 1_000_000), $"cpuBudgetMinutes must be positive, got {CpuBudgetMinutes}.");
        Require(EpochRepeats is >= 1 and <= 10_000, $"epochRepeats must be from 1 to 10000, got {EpochRepeats}.");
        Require(KeepEveryEpochs >= 0, $"keepEveryEpochs must not be negative, got {KeepEveryEpochs}.");
        Require(CheckpointEverySteps >= 0, $"checkpointEverySteps must not be negative, got {CheckpointEverySteps}.");
        Require(Batch is >= 1 and <= 1024, $"batch must be from 1 to 1024, got {Batch}.");
        Require(LearningRate is > 0 and < 1, $"learningRate must be in (0, 1), got {LearningRate}.");
        Require(CropScaleMin is > 0 and <= 1, $"cropScaleMin must be in (0, 1], got {CropScaleMin}.");
        Require(CacheScale is >= 1 and <= 4, $"cacheScale must be from 1 to 4, got {CacheScale}.");
        Require(RealLabel is > 0.5f and <= 1f, $"realLabel must be in (0.5, 1], got {RealLabel}.");
        Require(Cycles is >= 1 and <= 1000, $"cycles must be from 1 to 1000, got {Cycles}.");
        Require(CriticPretrainEpochs is >= 0 and <= 100_000, $"criticPretrainEpochs must be from 0 to 100000, got {CriticPretrainEpochs}.");
        Require(Discriminator is not null || (CriticPretrainEpochs == 0 && Cycles == 1), "criticPretrainEpochs and cycles need a discriminator.");
        Require(Gan.Loss is "bce" or "hinge" or "wasserstein", $"gan.loss must be bce, hinge or wasserstein, got '{Gan.Loss}'.");
        Require(Gan.CriticLrMultiplier is > 0 and <= 100, $"gan.criticLrMultiplier must be in (0, 100], got {Gan.CriticLrMultiplier}.");
        Require(Gan.GeneratorStepsPerCriticStep is >= 1 and <= 100, $"gan.generatorStepsPerCriticStep must be from 1 to 100, got {Gan.GeneratorStepsPerCriticStep}.");
        Require(Gan.CriticLossThreshold is null or > 0, $"gan.criticLossThreshold must be positive, got {Gan.CriticLossThreshold}.");
        Require(Gan.CriticLossThreshold is null || Gan.Loss != "wasserstein", "gan.criticLossThreshold does not apply to the wasserstein loss (its critic loss has no fixed scale).");
        Require(Gan.GradientPenalty >= 0, $"gan.gradientPenalty must not be negative, got {Gan.GradientPenalty}.");
        Require(Beta1 is >= 0 and < 1 && Beta2 is >= 0 and < 1, "beta1 and beta2 must be in [0, 1).");
        if (Pretrain is { } p)
        {
            Require(p.EpochsPerSize is >= 0 and <= 100_000, $"pretrain.epochsPerSize must be from 0 to 100000, got {p.EpochsPerSize}.");
            Require(p.Sizes.All(s => s is >= 16 and <= 1024), "pretrain.sizes must be from 16 to 1024 pixels.");
            Require(p.LearningRate is null or (> 0 and < 1), $"pretrain.learningRate must be in (0, 1), got {p.LearningRate}.");
            p.OneCycle?.Validate();
            // Both would set the same rates: the plateau's reductions would be overwritten at the next step.
            Require(p.OneCycle is null || LrDecayOnPlateau is null, "pretrain.oneCycle and lrDecayOnPlateau cannot be used together (both set the learning rate); set one of them to null.");
        }

        Require(Split.Train > 0 && Split.Validation >= 0 && Split.Train + Split.Validation <= 1, "split shares must be positive and add up to at most 1.");
        PretrainedEncoder?.Validate(Generator);
        FeatureLoss?.Validate();
        Noise?.Validate();
        LrDecayOnPlateau?.Validate();
        Hints?.Validate(Generator);
        Require(Hints is not { BranchOnly: true } || (Init is not null && Discriminator is null),
            "hints.branchOnly trains the hint branch of a trained network: it needs \"init\" (a pack or run to start from) and no discriminator.");
        Init?.Validate();
        Cutouts?.Validate();
        Rebalance?.Validate();
        ClassLoss?.Validate(Generator);
        SceneLoss?.Validate(Generator);
        Oversample?.Validate();
        Require(GlobalContextLrMultiplier is > 0 and <= 1000, $"globalContextLrMultiplier must be in (0, 1000], got {GlobalContextLrMultiplier}.");
        Require(GlobalContextLrMultiplier == 1 || (Generator.Name == "resnet-unet" && Generator.Hyperparameters is { } hp
            && hp.TryGetValue("globalContext", out var gc) && gc.ValueKind == System.Text.Json.JsonValueKind.True),
            "globalContextLrMultiplier needs a resnet-unet generator with \"globalContext\": true.");
        Require(L1Weight >= 0, $"l1Weight must not be negative, got {L1Weight}.");
        return this;
    }

    /// <summary>The largest training size of any phase (the photo cache is made for it).</summary>
    public int MaxSize => Math.Max(Size, Pretrain?.Sizes.DefaultIfEmpty(Size).Max() ?? Size);

    internal static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new TrainerException(message);
        }
    }
}

/// <summary>The recipes checked in under Recipes/ and embedded in the tool.</summary>
internal static class RecipeCatalog
{
    public static IReadOnlyList<string> Names =>
        [.. typeof(RecipeCatalog).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("Recipes.", StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
            .Select(n => n["Recipes.".Length..^".json".Length])
            .Order(StringComparer.Ordinal)];

    public static TrainConfig Load(string name)
    {
        using var stream = typeof(RecipeCatalog).Assembly.GetManifestResourceStream($"Recipes.{name}.json")
            ?? throw new TrainerException($"Unknown recipe '{name}'; known recipes: {string.Join(", ", Names)}.");
        return JsonSerializer.Deserialize<TrainConfig>(stream, TrainConfig.Json)
            ?? throw new TrainerException($"Recipe '{name}' is empty.");
    }
}

/// <summary>A problem with the user's input or run directory, reported as one readable line.</summary>
internal sealed class TrainerException(string message, Exception? inner = null) : Exception(message, inner);
