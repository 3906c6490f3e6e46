using System.Text.Json;
using Colorize.Tensors;
using Colorize.Tensors.Serialization;

namespace Colorize.Trainer.Tests;

/// <summary>The resnet-unet-nogan and wgan-gp recipes: their schedules, end-to-end runs, overfitting and exact resume.</summary>
public sealed class RecipeTests
{
    /// <summary>
    /// resnet-unet-nogan shrunk for 32-px photos: ResNet18 encoder (its width is fixed), decoder width 1/8, an 8-filter
    /// one-block critic; one pretraining epoch at 32 px, one critic epoch and one GAN epoch per cycle, one cycle. The
    /// critic threshold is raised from 0.65 so the few GAN batches alternate critic and generator steps. (Its
    /// checkpoints hold ~250 MB, the ResNet18 encoder being fixed; progressive sizes and repeated cycles are covered
    /// more cheaply by the wgan-gp tests: the schedule is the same code for every recipe.)
    /// </summary>
    internal static TrainConfig TinyNoGan(int cycles = 1, int[]? pretrainSizes = null)
    {
        var c = RecipeCatalog.Load("resnet-unet-nogan");
        return c with
        {
            Generator = c.Generator with { Hyperparameters = TinyPhotos.Hyper("""{ "encoderDepth": 18, "width": 0.125, "selfAttention": true, "spectralNorm": true }""") },
            Discriminator = c.Discriminator! with { Hyperparameters = TinyPhotos.Hyper("""{ "nf": 8, "blocks": 1, "dropout": 0.1 }""") },
            Size = 32,
            Batch = 2,
            Seed = 7,
            Epochs = 1,
            Cycles = cycles,
            CriticPretrainEpochs = 1,
            Pretrain = c.Pretrain! with { Sizes = pretrainSizes ?? [32], EpochsPerSize = 1 },
            Gan = c.Gan with { CriticLossThreshold = 5.0 },
            Split = new SplitConfig(1.0, 0.0),
        };
    }

    /// <summary>wgan-gp shrunk for 32-px photos: a 2-level classic U-Net of width 4, an 8-filter 2-layer instance-norm critic.</summary>
    internal static TrainConfig TinyWgan(int ganEpochs = 2)
    {
        var c = RecipeCatalog.Load("wgan-gp");
        return c with
        {
            Generator = c.Generator with { Hyperparameters = TinyPhotos.Hyper("""{ "width": 4, "depth": 2 }""") },
            Discriminator = c.Discriminator! with { Hyperparameters = TinyPhotos.Hyper("""{ "ndf": 8, "layers": 2, "norm": "instance" }""") },
            Size = 32,
            Batch = 2,
            Seed = 7,
            Epochs = ganEpochs,
            Pretrain = c.Pretrain! with { EpochsPerSize = 1 },
            Split = new SplitConfig(1.0, 0.0),
        };
    }

    [Fact]
    public void Recipes_AreListed_AndTheirDefaultSchedulesFollowTheReference()
    {
        var output = new StringWriter();
        Assert.Equal(0, Program.Run(["recipes"], output, output));
        Assert.Contains("resnet-unet-nogan", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("wgan-gp", output.ToString(), StringComparison.Ordinal);

        var nogan = RecipeCatalog.Load("resnet-unet-nogan").Validate();
        Assert.Equal(["pretrain-64", "pretrain-128", "critic-1", "gan-1", "critic-2", "gan-2"], TrainingSchedule.From(nogan).Phases.Select(p => p.Name));
        Assert.Equal(("bce", 5.0, 0.65, 0.0, 0.9), (nogan.Gan.Loss, nogan.Gan.CriticLrMultiplier, nogan.Gan.CriticLossThreshold!.Value, nogan.Beta1, nogan.Beta2));
        Assert.Equal(("resnet-unet", "sagan-critic"), (nogan.Generator.Name, nogan.Discriminator!.Name));

        var wgan = RecipeCatalog.Load("wgan-gp").Validate();
        Assert.Equal(["pretrain-128", "gan-1"], TrainingSchedule.From(wgan).Phases.Select(p => p.Name));
        Assert.Equal(("wasserstein", 10f, 2, (double?)null), (wgan.Gan.Loss, wgan.Gan.GradientPenalty, wgan.Gan.GeneratorStepsPerCriticStep, wgan.Gan.CriticLossThreshold));
        Assert.Equal(("unet-classic", "patchgan", "instance"), (wgan.Generator.Name, wgan.Discriminator!.Name, wgan.Discriminator.Hyperparameters!["norm"].GetString()));

        // The older recipes keep their single phase.
        Assert.Equal(["gan-1"], TrainingSchedule.From(RecipeCatalog.Load("pix2pix")).Phases.Select(p => p.Name));
        Assert.Equal(["pretrain-128"], TrainingSchedule.From(RecipeCatalog.Load("unet-l1")).Phases.Select(p => p.Name));
    }

    [Fact]
    public void NoGan_TrainsThroughEveryPhase_ResumesExactlyInItsGanPhase_AndItsPackInstallsAndColorizes()
    {
        // Four photos in batches of two: pretrain-32 is steps 1–2, critic-1 3–4, gan-1 5–6. The interrupted run stops
        // after step 5, in the middle of the GAN phase.
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        var config = TinyNoGan() with { CheckpointEverySteps = 5 };
        string runDir = photos.Run("straight");
        // Checkpointing does not change training; the straight run skips the 250 MB mid-epoch one.
        var run = TrainingRun.Start(config with { CheckpointEverySteps = 0 }, runDir, resume: false, TextWriter.Null);
        var records = run.Train(PhotoDataset.Prepare(photos.Data, runDir, run.Config, TextWriter.Null));

        Assert.Equal(["pretrain-32", "critic-1", "gan-1"], records.Select(r => r.Phase));
        Assert.All(records.Where(r => r.Phase!.StartsWith("pretrain", StringComparison.Ordinal)), r => Assert.True(r.LossG is not null && r.LossGAdv is null && r.LossD is null));
        Assert.All(records.Where(r => r.Phase!.StartsWith("critic", StringComparison.Ordinal)), r => Assert.True(r.LossG is null && r.LossD is not null));
        // Two batches per GAN epoch with a high threshold: one critic step, then one generator step.
        Assert.All(records.Where(r => r.Phase!.StartsWith("gan", StringComparison.Ordinal)), r => Assert.True(r.LossG is not null && r.LossGAdv is not null && r.LossD is not null));
        Assert.All(records, r => Assert.True(double.IsFinite(r.Psnr) && double.IsFinite(r.LossL1)));
        // The best checkpoint is the GAN epoch, not the pretraining one (which trains on L1 alone, PSNR's ally).
        Assert.Equal(3, Checkpoints.ReadState(runDir, Checkpoints.Best)!.BestEpoch);

        string interrupted = photos.Run("interrupted");
        var b1 = TrainingRun.Start(config, interrupted, resume: false, TextWriter.Null);
        b1.Train(PhotoDataset.Prepare(photos.Data, interrupted, b1.Config, TextWriter.Null), stopAfterStep: 5);
        var state = Checkpoints.ReadState(interrupted, Checkpoints.Last)!;
        Assert.Equal(("gan-1", 1), (b1.Schedule.Phases[state.Phase].Name, state.WithinEpoch!.BatchesDone));
        Assert.False(state.CriticMode); // the critic's loss was under the threshold: the generator has the next turn
        var resumed = TrainingRun.Start(config, interrupted, resume: true, TextWriter.Null);
        Assert.Single(resumed.Train(PhotoDataset.Prepare(photos.Data, interrupted, resumed.Config, TextWriter.Null)));
        AssertSameLastCheckpointAndMetrics(runDir, interrupted);

        string cpack = Path.Combine(photos.Root, "nogan.cpack");
        var manifest = PackWriter.Write(runDir, "tiny-nogan", "1.0.0", cpack, SafeTensorsDType.F16);
        Assert.Equal("resnet-unet", manifest.Architecture.Name);
        Assert.Equal("resnet-unet-nogan", manifest.Training!.Recipe);
        Assert.Equal(3, manifest.Training.Epochs);
        TrainerTests.InstallAndColorize(cpack, photos);
    }

    [Fact]
    public void WganGp_ThroughTheCommandLine_PretrainsAtProgressiveSizes_RunsTwoCycles_AndPacks()
    {
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        string runDir = photos.Run("run");
        string configFile = Path.Combine(photos.Root, "tiny.json");
        var tiny = TinyWgan(ganEpochs: 5);
        File.WriteAllBytes(configFile, JsonSerializer.SerializeToUtf8Bytes(tiny with { Pretrain = tiny.Pretrain! with { Sizes = [32, 64], EpochsPerSize = 3 } }, TrainConfig.Json));
        var output = new StringWriter();
        int code = Program.Run(["wgan-gp", "--config", configFile, "--data", photos.Data, "--out", runDir, "--epochs", "1", "--pretrain-epochs", "1", "--cycles", "2", "--critic-epochs", "1"], output, output);
        Assert.True(code == 0, output.ToString());

        var records = File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonSerializer.Deserialize<EpochRecord>(l, TrainConfig.Json)!).ToList();
        // Progressive pretraining sizes, then two cycles of critic refit + GAN phase at `size`, as the flags asked.
        Assert.Equal(["pretrain-32", "pretrain-64", "critic-1", "gan-1", "critic-2", "gan-2"], records.Select(r => r.Phase));
        Assert.Equal([32, 64, 32, 32, 32, 32], records.Select(r => r.Size!.Value));
        Assert.All(records.Take(2), r => Assert.True(r.LossD is null && r.LossGAdv is null && r.LossG is not null));
        Assert.All(new[] { records[2], records[4] }, r => Assert.True(r.LossD is { } d && double.IsFinite(d) && r.LossG is null));
        Assert.All(new[] { records[3], records[5] }, r => Assert.True(r.LossD is { } d && double.IsFinite(d) && r.LossGAdv is not null));
        // Per batch one critic step and two generator steps: the global step still counts batches.
        Assert.Equal([2L, 4L, 6L, 8L, 10L, 12L], records.Select(r => r.Step));

        string cpack = Path.Combine(photos.Root, "wgan.cpack");
        code = Program.Run(["pack", runDir, "--id", "tiny-wgan", "--version", "0.1.0", "-o", cpack], output, output);
        Assert.True(code == 0, output.ToString());
        TrainerTests.InstallAndColorize(cpack, photos);
    }

    /// <summary>
    /// The recipe's schedule compressed onto one fixed batch: L1 pretraining steps, then GAN-phase batches (critic and
    /// generator steps with the recipe's losses and step ratio); the generator's L1 must fall well below its start.
    /// Learning rates are raised (to <paramref name="lr"/> for both phases) so that a few steps show it; the ResNet
    /// U-Net gets few steps because each costs a ~21M-parameter Adam update.
    /// </summary>
    [Theory]
    [InlineData("resnet-unet-nogan", 8, 6, 3e-3)]
    [InlineData("wgan-gp", 10, 30, 1e-3)]
    public void Overfitting_OneBatch_ThroughPretrainingAndGanSteps_MakesTheL1LossFall(string recipe, int pretrainSteps, int ganBatches, double lr)
    {
        using var photos = new TinyPhotos(2, withGrayscale: false, withBroken: false);
        var tiny = recipe == "wgan-gp" ? TinyWgan() : TinyNoGan(pretrainSizes: [32]);
        var config = tiny with { LearningRate = lr, CropScaleMin = 1.0, Pretrain = tiny.Pretrain! with { LearningRate = lr } };
        var split = PhotoDataset.Prepare(photos.Data, photos.Run("cache"), config, TextWriter.Null);
        var batch = PhotoDataset.MakeBatch(split.Train, 32, 1.0, null);
        var run = TrainingRun.ForBenchmark(config);
        var pretrain = run.Schedule.Phases.First(p => p.Kind == PhaseKind.Pretrain);
        var gan = run.Schedule.Phases.First(p => p.Kind == PhaseKind.Gan);

        var l1 = new List<double>();
        for (int i = 0; i < pretrainSteps; i++)
        {
            l1.Add(run.Step(pretrain, batch).L1);
        }

        int generatorSteps = 0;
        for (int i = 0; i < ganBatches; i++)
        {
            var losses = run.Step(gan, batch);
            generatorSteps += losses.GSteps;
            l1.Add(losses.L1);
        }

        string trace = string.Join(" ", l1.Select(v => v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(generatorSteps >= ganBatches / 2, $"only {generatorSteps} generator steps");
        double first = l1[0], last = l1.TakeLast(3).Average();
        Assert.True(last < 0.75 * first, $"L1 went from {first} to {last}: {trace}");
    }

    [Fact]
    public void WganGp_ResumeInTheMiddleOfTheSecondCyclesGanPhase_GivesBitIdenticalWeights()
    {
        // Four photos in batches of two and two cycles: pretrain-32 is steps 1–2, critic-1 3–4, gan-1 5–6, critic-2
        // 7–8, gan-2 9–10; stop after step 9, in the second cycle's GAN phase (fresh optimizers of phase 4 inside).
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        var config = TinyWgan(ganEpochs: 1) with { CheckpointEverySteps = 9, Cycles = 2, CriticPretrainEpochs = 1 };
        string straight = photos.Run("straight");
        var a = TrainingRun.Start(config, straight, resume: false, TextWriter.Null);
        Assert.Equal(5, a.Train(PhotoDataset.Prepare(photos.Data, straight, a.Config, TextWriter.Null)).Count);

        string interrupted = photos.Run("interrupted");
        var b1 = TrainingRun.Start(config, interrupted, resume: false, TextWriter.Null);
        b1.Train(PhotoDataset.Prepare(photos.Data, interrupted, b1.Config, TextWriter.Null), stopAfterStep: 9);
        var state = Checkpoints.ReadState(interrupted, Checkpoints.Last)!;
        Assert.Equal(("gan-2", 4, 1), (b1.Schedule.Phases[state.Phase].Name, state.EpochsCompleted, state.WithinEpoch!.BatchesDone));
        var log = new StringWriter();
        var b2 = TrainingRun.Start(config, interrupted, resume: true, log);
        Assert.Single(b2.Train(PhotoDataset.Prepare(photos.Data, interrupted, b2.Config, TextWriter.Null)));
        Assert.Contains("after 1 batches", log.ToString(), StringComparison.Ordinal);
        AssertSameLastCheckpointAndMetrics(straight, interrupted);
    }

    private static void AssertSameLastCheckpointAndMetrics(string straight, string interrupted)
    {
        var expected = Checkpoints.Load(straight, Checkpoints.Last).Tensors;
        var actual = Checkpoints.Load(interrupted, Checkpoints.Last).Tensors;
        Assert.Contains(expected.Keys, k => k.StartsWith("optd.", StringComparison.Ordinal));
        SameWeights.Assert(expected, actual);

        var straightLast = JsonSerializer.Deserialize<EpochRecord>(File.ReadAllLines(Path.Combine(straight, "metrics.jsonl"))[^1], TrainConfig.Json)!;
        var resumedLast = JsonSerializer.Deserialize<EpochRecord>(File.ReadAllLines(Path.Combine(interrupted, "metrics.jsonl"))[^1], TrainConfig.Json)!;
        Assert.Equal((straightLast.LossG, straightLast.LossD, straightLast.LossL1), (resumedLast.LossG, resumedLast.LossD, resumedLast.LossL1));
    }

    [Fact]
    public void HingeLoss_WithTheAdaptiveSwitch_Trains_AndWassersteinRefusesTheSwitch()
    {
        // The small wgan-gp networks with NoGAN's GAN settings swapped in (hinge loss, adaptive critic switch), via flags.
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        string runDir = photos.Run("run");
        var tiny = TinyWgan(ganEpochs: 2);
        string configFile = Path.Combine(photos.Root, "tiny.json");
        File.WriteAllBytes(configFile, JsonSerializer.SerializeToUtf8Bytes(tiny with { Gan = tiny.Gan with { Loss = "bce", CriticLossThreshold = 5.0 } }, TrainConfig.Json));
        var output = new StringWriter();
        int code = Program.Run(["wgan-gp", "--config", configFile, "--data", photos.Data, "--out", runDir, "--gan-loss", "hinge", "--pretrain-epochs", "0"], output, output);
        Assert.True(code == 0, output.ToString());
        var records = File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonSerializer.Deserialize<EpochRecord>(l, TrainConfig.Json)!).ToList();
        Assert.Equal(["gan-1", "gan-1"], records.Select(r => r.Phase));
        // Two batches per epoch alternate critic and generator: each epoch has one step of each.
        Assert.All(records, r => Assert.True(r.LossD is { } d && double.IsFinite(d) && r.LossGAdv is { } a && double.IsFinite(a)));

        var error = new StringWriter();
        File.WriteAllBytes(configFile, JsonSerializer.SerializeToUtf8Bytes(tiny with { Gan = tiny.Gan with { CriticLossThreshold = 0.65 } }, TrainConfig.Json));
        Assert.Equal(1, Program.Run(["wgan-gp", "--config", configFile, "--data", photos.Data, "--out", photos.Run("bad")], error, error));
        Assert.Contains("criticLossThreshold", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Resume_WithAChangedSchedule_IsRefused()
    {
        using var photos = new TinyPhotos(2, withGrayscale: false, withBroken: false);
        string runDir = photos.Run("run");
        var run = TrainingRun.Start(TinyWgan(ganEpochs: 1), runDir, resume: false, TextWriter.Null);
        run.Train(PhotoDataset.Prepare(photos.Data, runDir, run.Config, TextWriter.Null));

        // The last checkpoint is from epoch 2, the GAN phase (phase 1); without pretraining the GAN phase is phase 0.
        File.WriteAllBytes(Path.Combine(runDir, "config.json"), JsonSerializer.SerializeToUtf8Bytes(TinyWgan(ganEpochs: 1) with { Pretrain = null }, TrainConfig.Json));
        var resumed = TrainingRun.Start(TinyWgan(), runDir, resume: true, TextWriter.Null);
        var e = Assert.Throws<TrainerException>(() => resumed.Train(PhotoDataset.Prepare(photos.Data, runDir, resumed.Config, TextWriter.Null)));
        Assert.Contains("schedule", e.Message, StringComparison.Ordinal);
    }
}
