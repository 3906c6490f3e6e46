using System.Text.Json;
using Colorize.Engine.Architectures;
using Colorize.Tensors;

namespace Colorize.Trainer.Tests;

/// <summary>
/// The trainer's <c>sceneLoss</c> (issue 14): the global-context block's photo summary predicts the crop's ab
/// histogram through a head only the trainer holds; the head trains with the generator, is checkpointed and resumed,
/// and never reaches a pack.
/// </summary>
public sealed class SceneLossTests
{
    private const string GatedHyper = """{ "encoderDepth": 18, "width": 0.25, "selfAttention": false, "spectralNorm": false, "globalContext": true, "globalContextGate": true }""";

    private static TrainConfig Config(string hyper, SceneLossConfig? scene) => TinyPhotos.TinyConfig("unet-l1", 2) with
    {
        Generator = new Colorize.Abstractions.Packs.ArchitectureSpec { Name = "resnet-unet", Version = 1, Hyperparameters = TinyPhotos.Hyper(hyper) },
        Split = new SplitConfig(1.0, 0.0),
        SceneLoss = scene,
        GlobalContextLrMultiplier = 3,
    };

    [Fact]
    public void Validate_RefusesBadValues_AndGeneratorsWithoutTheBlockOrWithTheClassHead()
    {
        Assert.Contains("sceneLoss.weight", Assert.Throws<TrainerException>(() => Config(GatedHyper, new() { Weight = 0 }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("sceneLoss.binSize", Assert.Throws<TrainerException>(() => Config(GatedHyper, new() { BinSize = 4 }).Validate()).Message, StringComparison.Ordinal);
        string noBlock = """{ "encoderDepth": 18, "width": 0.25, "selfAttention": false, "spectralNorm": false }""";
        Assert.Contains("\"globalContext\": true", Assert.Throws<TrainerException>(() => (Config(noBlock, new()) with { GlobalContextLrMultiplier = 1 }).Validate()).Message, StringComparison.Ordinal);
        string classes = """{ "encoderDepth": 18, "width": 0.25, "selfAttention": false, "spectralNorm": false, "globalContext": true, "abHead": "classes" }""";
        Assert.Contains("tanh head", Assert.Throws<TrainerException>(() => Config(classes, new()).Validate()).Message, StringComparison.Ordinal);
        Config(GatedHyper, new()).Validate();
    }

    [Fact]
    public void Targets_AreEachPhotosHistogramOverTheBins()
    {
        var loss = new SceneLoss(new SceneLossConfig { BinSize = 20 }, new Generator(1));
        Assert.Equal(121, loss.Bins);
        // Photo 0: every pixel at (a, b) = (40, −60), the centre of cell (5 + 2, 5 − 3). Photo 1: half at (0, 0), half at (20, 20).
        const int m = 4;
        var ab = new float[2 * 2 * m];
        for (int p = 0; p < m; p++)
        {
            ab[p] = 40f / 110;
            ab[m + p] = -60f / 110;
            ab[(2 * m) + p] = p < 2 ? 0f : 20f / 110;
            ab[(3 * m) + p] = p < 2 ? 0f : 20f / 110;
        }

        var targets = loss.Targets(Tensor.Wrap(ab, 2, 2, 2, 2));
        Assert.Equal([2, 121, 1, 1], targets.GetShape());
        var t = targets.ToArray();
        Assert.Equal(1f, t[(7 * 11) + 2]);
        Assert.Equal(0.5f, t[121 + (5 * 11) + 5]);
        Assert.Equal(0.5f, t[121 + (6 * 11) + 6]);
        Assert.Equal(2f, t.Sum(), 5);
    }

    [Fact]
    public void Run_TrainsTheSceneHead_LogsItsCrossEntropy_ResumesBitIdentically_AndPacksWithoutIt()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        var config = Config(GatedHyper, new SceneLossConfig { Weight = 2 }) with { CheckpointEverySteps = 1 };
        string straight = photos.Run("straight");
        var a = TrainingRun.Start(config, straight, resume: false, TextWriter.Null);
        var records = a.Train(PhotoDataset.Prepare(photos.Data, straight, a.Config, TextWriter.Null));
        Assert.All(records, r => Assert.True(r.LossClass > 0));

        var tensors = Checkpoints.Load(straight, Checkpoints.Last).Tensors;
        var head = TrainingRun.Prefixed(tensors, SceneLoss.CheckpointPrefix);
        Assert.Equal(["bias", "weight"], head.Keys.Order(StringComparer.Ordinal));
        var fresh = new SceneLoss(config.SceneLoss!, new Generator(1)).Head.StateDict();
        Assert.False(fresh["weight"].ToArray().AsSpan().SequenceEqual(head["weight"].ToArray()));
        Assert.Contains(tensors["g.global_context.gate"].ToArray(), g => g != 0f);

        string interrupted = photos.Run("interrupted");
        var b1 = TrainingRun.Start(config, interrupted, resume: false, TextWriter.Null);
        b1.Train(PhotoDataset.Prepare(photos.Data, interrupted, b1.Config, TextWriter.Null), stopAfterStep: 3);
        var b2 = TrainingRun.Start(config, interrupted, resume: true, TextWriter.Null);
        b2.Train(PhotoDataset.Prepare(photos.Data, interrupted, b2.Config, TextWriter.Null));
        SameWeights.Assert(tensors, Checkpoints.Load(interrupted, Checkpoints.Last).Tensors);

        // The objective changes the weights it trains (the same run without it ends elsewhere).
        string plain = photos.Run("plain");
        var c = TrainingRun.Start(config with { SceneLoss = null }, plain, resume: false, TextWriter.Null);
        c.Train(PhotoDataset.Prepare(photos.Data, plain, c.Config, TextWriter.Null));
        var other = Checkpoints.Load(plain, Checkpoints.Last).Tensors;
        Assert.Contains(other, kv => !kv.Value.ToArray().AsSpan().SequenceEqual(tensors[kv.Key].ToArray()));
        Assert.DoesNotContain(other.Keys, k => k.StartsWith(SceneLoss.CheckpointPrefix, StringComparison.Ordinal));

        // The generator's weights are what a pack holds: the scene head is not among them.
        Assert.DoesNotContain(a.GeneratorModule.StateDict().Keys, k => k.Contains("scene", StringComparison.Ordinal));
    }
}
