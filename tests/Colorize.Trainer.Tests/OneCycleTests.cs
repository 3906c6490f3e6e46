using System.Text.Json;
using System.Text.Json.Nodes;
using Colorize.Tensors;
using Colorize.Tensors.Optim;

namespace Colorize.Trainer.Tests;

/// <summary>
/// pretrain.oneCycle: the rate against PyTorch's OneCycleLR (tests/golden/generate_trainer.py), one cycle per L1
/// phase peaking at each group's own rate, constant critic and GAN phases, exact resume, and configs without it unchanged.
/// </summary>
public sealed class OneCycleTests
{
    [Fact]
    public void Rate_ReproducesPyTorchsOneCycleLR()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "golden", "trainer", "one_cycle_lr.json")));
        int cases = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string name = c.GetProperty("name").GetString()!;
            var config = new OneCycleConfig
            {
                PctStart = c.GetProperty("pct_start").GetDouble(),
                DivFactor = c.GetProperty("div_factor").GetDouble(),
                FinalDivFactor = c.GetProperty("final_div_factor").GetDouble(),
            };
            long total = c.GetProperty("total_steps").GetInt64();
            var maxLr = c.GetProperty("max_lr").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var lr = c.GetProperty("lr").EnumerateArray().Select(g => g.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
            Assert.Equal(maxLr.Length, lr.Length);
            for (int g = 0; g < maxLr.Length; g++)
            {
                Assert.Equal(total, lr[g].Length);
                for (int step = 0; step < total; step++)
                {
                    double expected = lr[g][step], actual = OneCycle.Rate(maxLr[g], step, total, config);
                    Assert.True(Math.Abs(actual - expected) <= 1e-12 * Math.Abs(expected), $"{name}, group {g}, step {step}: PyTorch {expected:R}, ours {actual:R}");
                }
            }

            cases++;
        }

        Assert.Equal(7, cases);
    }

    [Fact]
    public void Rate_WhereTheWarmUpEndsAtStepZero_StartsAtThePeak()
    {
        // 0.25 × 4 − 1 = 0: PyTorch divides 0 by 0 here; the trainer must not stop a run over its step count.
        var config = new OneCycleConfig { PctStart = 0.25 };
        Assert.Equal(1e-3, OneCycle.Rate(1e-3, 0, 4, config));
        Assert.Equal(1e-3 / 25 / 1e4, OneCycle.Rate(1e-3, 3, 4, config), 1e-20);
        Assert.Throws<ArgumentOutOfRangeException>(() => OneCycle.Rate(1e-3, 4, 4, config));
    }

    [Fact]
    public void SetRates_GivesEveryGroupTheCycleOfItsOwnRate_OverThePhasesSteps_AndLeavesOtherPhasesAlone()
    {
        var config = new OneCycleConfig { PctStart = 0.25, DivFactor = 10, FinalDivFactor = 100 };
        // As GeneratorParamGroups builds them: the main group at the rate, the encoder at 0.1 × it.
        var adam = new Adam([new ParamGroup([Tensor.Zeros(2)], 1e-3), new ParamGroup([Tensor.Zeros(3)], 1e-4)]);
        // Epochs 2–5 of a run; 10 samples in batches of 4 are 3 steps an epoch (the last one of 2), 12 in the phase, the
        // warm-up ending at 0.25 × 12 − 1 = step 2.
        var phase = new TrainingPhase(1, PhaseKind.Pretrain, 32, FirstEpoch: 2, Epochs: 4, Cycle: 0);
        var seen = new List<double>();
        for (int epoch = 2; epoch < 6; epoch++)
        {
            for (int batch = 0; batch < 3; batch++)
            {
                OneCycle.SetRates(config, phase, adam, epoch, batch, 10, 4);
                long step = ((epoch - 2) * 3) + batch;
                Assert.Equal(OneCycle.Rate(1e-3, step, 12, config), adam.ParamGroups[0].LearningRate);
                Assert.Equal(OneCycle.Rate(1e-4, step, 12, config), adam.ParamGroups[1].LearningRate);
                Assert.Equal(adam.ParamGroups[0].LearningRate / 10, adam.ParamGroups[1].LearningRate, 1e-15);
                seen.Add(adam.ParamGroups[0].LearningRate);
            }
        }

        Assert.Equal(1e-4, seen[0], 1e-15);
        Assert.Equal(1e-3, seen.Max());
        Assert.Equal(1e-6, seen[^1], 1e-15);
        Assert.Equal(new[] { 1e-3, 1e-4 }, adam.ParamGroups.Select(g => g.InitialLearningRate));

        // Critic and GAN phases, and a run without the key, keep the optimizer's rates.
        var constant = new Adam([new ParamGroup([Tensor.Zeros(2)], 2e-4)]);
        OneCycle.SetRates(config, new TrainingPhase(2, PhaseKind.Gan, 32, 6, 1, 1), constant, 6, 1, 10, 4);
        OneCycle.SetRates(config, new TrainingPhase(2, PhaseKind.Critic, 32, 6, 1, 1), constant, 6, 1, 10, 4);
        OneCycle.SetRates(null, phase, constant, 3, 1, 10, 4);
        Assert.Equal(2e-4, constant.ParamGroups[0].LearningRate);
    }

    [Fact]
    public void Config_HasPyTorchsFactorsAndFastaisPctStart_RefusesBadValuesAndThePlateauDecay_AndRecipesLeaveItOff()
    {
        var defaults = new OneCycleConfig();
        Assert.Equal((0.25, 25.0, 1e4), (defaults.PctStart, defaults.DivFactor, defaults.FinalDivFactor));
        var recipe = RecipeCatalog.Load("resnet-unet-nogan");
        TrainConfig With(OneCycleConfig? oneCycle) => recipe with { Pretrain = recipe.Pretrain! with { OneCycle = oneCycle } };
        With(new OneCycleConfig()).Validate();
        With(new OneCycleConfig { PctStart = 1e-8, DivFactor = 1, FinalDivFactor = 1 }).Validate();
        foreach (var bad in new OneCycleConfig[]
        {
            new() { PctStart = 0 }, new() { PctStart = 1 }, new() { PctStart = double.NaN },
            new() { DivFactor = 0.5 }, new() { FinalDivFactor = 0.99 }, new() { DivFactor = double.PositiveInfinity },
        })
        {
            var e = Assert.Throws<TrainerException>(() => With(bad).Validate());
            Assert.StartsWith("pretrain.oneCycle.", e.Message, StringComparison.Ordinal);
        }

        var both = Assert.Throws<TrainerException>(() => (With(new OneCycleConfig()) with { LrDecayOnPlateau = new LrPlateauConfig() }).Validate());
        Assert.Contains("lrDecayOnPlateau", both.Message, StringComparison.Ordinal);
        Assert.All(RecipeCatalog.Names, name => Assert.Null(RecipeCatalog.Load(name).Pretrain?.OneCycle));
    }

    [Fact]
    public void Run_RecordsTheCycleOfEachPretrainingPhase_ThenTheConfiguredCriticAndGanRates()
    {
        using var photos = new TinyPhotos(4, size: 64, withGrayscale: false, withBroken: false);
        // Two pretraining sizes of 2 epochs × 2 batches: each a 4-step cycle whose warm-up ends at 0.5 × 4 − 1 = step 1.
        var oneCycle = new OneCycleConfig { PctStart = 0.5 };
        var config = TinyPhotos.TinyConfig("pix2pix", 1) with
        {
            Split = new SplitConfig(1.0, 0.0),
            Pretrain = new PretrainConfig { Sizes = [32, 64], EpochsPerSize = 2, LearningRate = 1e-3, OneCycle = oneCycle },
            CriticPretrainEpochs = 1,
        };
        string runDir = photos.Run("run");
        var run = TrainingRun.Start(config, runDir, resume: false, TextWriter.Null);
        Assert.Equal(new[] { "pretrain-32", "pretrain-64", "critic-1", "gan-1" }, run.Schedule.Phases.Select(p => p.Name));
        var records = run.Train(PhotoDataset.Prepare(photos.Data, runDir, run.Config, TextWriter.Null));

        // Each epoch records the rate of its last step: the peak (step 1), the end (step 3), and again in the next cycle.
        double peak = OneCycle.Rate(1e-3, 1, 4, oneCycle), end = OneCycle.Rate(1e-3, 3, 4, oneCycle);
        Assert.Equal(1e-3, peak);
        Assert.Equal(1e-3 / 25 / 1e4, end, 1e-20);
        double gan = config.LearningRate;
        double?[] expected = [peak, end, peak, end, gan, gan];
        Assert.Equal(expected, records.Select(r => r.LearningRate));
        var logged = File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonSerializer.Deserialize<EpochRecord>(l, TrainConfig.Json)!.LearningRate);
        Assert.Equal(expected, logged);

        // The critic's rate is the configured one too.
        var state = Checkpoints.ReadState(runDir, Checkpoints.Last)!;
        Assert.Equal(gan, state.OptimizerGScalars["param_groups.0.lr"]);
        Assert.Equal(gan * config.Gan.CriticLrMultiplier, state.OptimizerDScalars!["param_groups.0.lr"]);
    }

    [Fact]
    public void RunWithOneCycle_ResumedInsideEpochsOfBothPhases_GivesBitIdenticalWeightsAndRates()
    {
        // Five photos in batches of 2 are 3 steps an epoch (the last one of 1 photo); unet-l1's pretraining phase and
        // its main L1 phase are each a 6-step cycle. Stopped after step 4 (epoch 2, pretrain-32) and step 8 (epoch 3, main phase).
        using var photos = new TinyPhotos(5, withGrayscale: false, withBroken: false);
        var config = TinyPhotos.TinyConfig("unet-l1", 2) with
        {
            Split = new SplitConfig(1.0, 0.0),
            CheckpointEverySteps = 1,
            Pretrain = new PretrainConfig { Sizes = [32], EpochsPerSize = 2, OneCycle = new OneCycleConfig { PctStart = 0.3 } },
        };
        string straight = photos.Run("straight");
        var a = TrainingRun.Start(config, straight, resume: false, TextWriter.Null);
        Assert.Equal(2, a.Schedule.Phases.Count);
        a.Train(PhotoDataset.Prepare(photos.Data, straight, a.Config, TextWriter.Null));

        string interrupted = photos.Run("interrupted");
        var log = new StringWriter();
        foreach (long? stop in new long?[] { 4, 8, null })
        {
            var b = TrainingRun.Start(config, interrupted, resume: stop != 4, log);
            b.Train(PhotoDataset.Prepare(photos.Data, interrupted, b.Config, TextWriter.Null), stopAfterStep: stop);
        }

        Assert.Contains("resuming in epoch 2 after 1 batches (step 4)", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("resuming in epoch 3 after 2 batches (step 8)", log.ToString(), StringComparison.Ordinal);
        var expected = Checkpoints.Load(straight, Checkpoints.Last);
        var actual = Checkpoints.Load(interrupted, Checkpoints.Last);
        SameWeights.Assert(expected.Tensors, actual.Tensors);

        Assert.Equal(expected.State.OptimizerGScalars, actual.State.OptimizerGScalars);
        var straightRates = Rates(straight);
        Assert.Equal(straightRates, Rates(interrupted));
        Assert.Equal(4, straightRates.Count);
        Assert.True(straightRates.Select(r => r.Rate).Distinct().Count() == 2 && straightRates[0].Rate < config.LearningRate, "the rates did not follow a cycle");

        static List<(double? Rate, double Loss)> Rates(string runDir) =>
            [.. File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonSerializer.Deserialize<EpochRecord>(l, TrainConfig.Json)!).Select(r => (r.LearningRate, r.LossL1))];
    }

    [Fact]
    public void WithoutOneCycle_AbsentOrNull_TrainsTheSameWeightsAtTheConfiguredRate()
    {
        using var photos = new TinyPhotos(3, withGrayscale: false, withBroken: false);
        var tiny = TinyPhotos.TinyConfig("pix2pix", 1) with
        {
            Split = new SplitConfig(1.0, 0.0),
            Pretrain = new PretrainConfig { Sizes = [32], EpochsPerSize = 1, LearningRate = 1e-3 },
        };
        // Configs written before the key existed lack it; config.json files of newer runs say null.
        var node = JsonSerializer.SerializeToNode(tiny, TrainConfig.Json)!.AsObject();
        var pretrain = node["pretrain"]!.AsObject();
        Assert.True(pretrain.ContainsKey("oneCycle"));
        Assert.Null(pretrain["oneCycle"]);
        string withNull = node.ToJsonString();
        pretrain.Remove("oneCycle");
        string absent = node.ToJsonString();

        var weights = new List<Dictionary<string, float[]>>();
        foreach (var (name, json) in new[] { ("absent", absent), ("null", withNull) })
        {
            var config = JsonSerializer.Deserialize<TrainConfig>(json, TrainConfig.Json)!;
            Assert.Null(config.Pretrain!.OneCycle);
            string runDir = photos.Run(name);
            var run = TrainingRun.Start(config, runDir, resume: false, TextWriter.Null);
            var records = run.Train(PhotoDataset.Prepare(photos.Data, runDir, run.Config, TextWriter.Null));
            Assert.Equal(new double?[] { 1e-3, tiny.LearningRate }, records.Select(r => r.LearningRate));
            weights.Add(Checkpoints.Load(runDir, Checkpoints.Last).Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()));
        }

        foreach (var (name, values) in weights[0])
        {
            Assert.True(values.AsSpan().SequenceEqual(weights[1][name]), $"tensor {name} differs");
        }
    }
}
