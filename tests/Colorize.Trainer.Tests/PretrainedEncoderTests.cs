using Colorize.Engine.Architectures;
using Colorize.Tensors;

namespace Colorize.Trainer.Tests;

/// <summary>The ImageNet encoder start, its frozen phase, the feature loss and the explicit validation list.</summary>
public sealed class PretrainedEncoderTests
{
    private static TrainConfig PretrainedConfig(int frozenEpochs, int pretrainEpochs, FeatureLossConfig? featureLoss = null)
    {
        var config = TinyPhotos.TinyConfig("resnet-unet-nogan", 1);
        return config with
        {
            Generator = config.Generator with
            {
                Hyperparameters = TinyPhotos.Hyper("""{ "encoderDepth": 18, "layer4Blocks": 3, "imageNetInput": true, "width": 0.125, "selfAttention": true, "spectralNorm": true }"""),
            },
            Discriminator = config.Discriminator! with { Hyperparameters = TinyPhotos.Hyper("""{ "nf": 8, "blocks": 1, "dropout": 0.0 }""") },
            Pretrain = new PretrainConfig { Sizes = [32], EpochsPerSize = pretrainEpochs },
            PretrainedEncoder = new PretrainedEncoderConfig { FrozenEpochs = frozenEpochs, LrMultiplier = 0.1 },
            FeatureLoss = featureLoss,
            CriticPretrainEpochs = 0,
            Cycles = 1,
            Epochs = 1,
        };
    }

    [Fact]
    public void Schedule_PutsTheFrozenPhaseFirst_AtTheFirstPretrainingSize()
    {
        var schedule = TrainingSchedule.From(PretrainedConfig(frozenEpochs: 2, pretrainEpochs: 3));
        Assert.Equal(["pretrain-frozen-32", "pretrain-32", "gan-1"], schedule.Phases.Select(p => p.Name));
        Assert.True(schedule.Phases[0].FrozenEncoder);
        Assert.Equal(6, schedule.TotalEpochs);
    }

    [Fact]
    public void Validate_RefusesAPretrainedEncoderOnAnotherLayout()
    {
        var config = PretrainedConfig(1, 1);
        var wrong = config with { Generator = config.Generator with { Hyperparameters = TinyPhotos.Hyper("""{ "encoderDepth": 18, "width": 0.125 }""") } };
        Assert.Contains("layer4Blocks 3", Assert.Throws<TrainerException>(() => wrong.Validate()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NewRun_StartsFromTheImageNetWeights_AndTheFrozenPhaseLeavesThemAlone()
    {
        using var photos = new TinyPhotos(6);
        string runDir = photos.Run("run");
        var run = TrainingRun.Start(PretrainedConfig(frozenEpochs: 1, pretrainEpochs: 1), runDir, resume: false, TextWriter.Null);
        var imageNet = PretrainedWeights.LoadResNet18();
        var state = run.GeneratorModule.StateDict();
        Assert.Equal(imageNet["layer4.2.conv2.weight"].ToArray(), state["encoder.layer4.2.conv2.weight"].ToArray());
        Assert.Equal(imageNet["conv1.weight"].ToArray(), state["encoder.conv1.weight"].ToArray());

        var data = PhotoDataset.Prepare(photos.Data, runDir, run.Config, TextWriter.Null);
        var batch = PhotoDataset.MakeBatch([.. data.Train.Take(2)], 32, 1, null);
        float[] encoderBefore = state["encoder.layer1.0.conv1.weight"].ToArray();
        float[] headBefore = state["head.weight_orig"].ToArray();
        run.Step(run.Schedule.Phases[0], batch);
        var after = run.GeneratorModule.StateDict();
        Assert.Equal(encoderBefore, after["encoder.layer1.0.conv1.weight"].ToArray());
        Assert.NotEqual(headBefore, after["head.weight_orig"].ToArray());
    }

    [Fact]
    public void Training_MovesTheEncoderAfterTheFrozenPhase()
    {
        using var photos = new TinyPhotos(6);
        string runDir = photos.Run("run");
        var run = TrainingRun.Start(PretrainedConfig(frozenEpochs: 1, pretrainEpochs: 1, new FeatureLossConfig { Weight = 0.5f, StageWeights = [0f, 1f, 1f] }), runDir, resume: false, TextWriter.Null);
        float[] before = run.GeneratorModule.StateDict()["encoder.layer1.0.conv1.weight"].ToArray();
        var records = run.Train(PhotoDataset.Prepare(photos.Data, runDir, run.Config, TextWriter.Null), stopAfterStep: null);
        Assert.Equal(["pretrain-frozen-32", "pretrain-32", "gan-1"], records.Select(r => r.Phase));
        Assert.All(records, r => Assert.True(double.IsFinite(r.LossL1) && double.IsFinite(r.Psnr)));
        Assert.NotEqual(before, run.GeneratorModule.StateDict()["encoder.layer1.0.conv1.weight"].ToArray());
    }

    [Fact]
    public void FeatureLoss_IsZeroForTheTruth_AndPullsAWrongColourBack()
    {
        var loss = new FeatureLoss(new FeatureLossConfig { StageWeights = [0f, 1f, 1f, 1f] });
        var image = TinyPhotos.Colourful(32, 32, 3);
        var l = new float[32 * 32];
        var ab = new float[2 * 32 * 32];
        var planes = new float[3 * 32 * 32];
        Colorize.Imaging.ColorSpaces.LabConverter.ToLab(image, planes.AsSpan(0, 1024), planes.AsSpan(1024, 1024), planes.AsSpan(2048, 1024));
        PhotoDataset.Sample(planes, 32, 32, 32, 1, null, l, ab);
        var lt = Tensor.FromArray(l, 1, 1, 32, 32);
        var truth = Tensor.FromArray(ab, 1, 2, 32, 32);
        using (Tensor.NoGrad())
        {
            Assert.Equal(0f, loss.Compute(lt, truth, truth).Item());
        }

        var shifted = Tensor.FromArray([.. ab.Select((v, i) => i < 32 * 32 ? v + 0.3f : v)], 1, 2, 32, 32).SetRequiresGrad();
        var value = loss.Compute(lt, shifted, truth);
        value.Backward();
        Assert.True(value.Item() > 0);
        // The gradient of a (first plane) points back towards the truth on average: positive, as a was raised.
        Assert.True(shifted.Grad!.ToArray().Take(32 * 32).Average() > 0);
    }

    [Fact]
    public void ValidationList_ValidatesOnTheListedPhotos_AndTrainsOnTheRest()
    {
        using var photos = new TinyPhotos(6);
        File.WriteAllLines(Path.Combine(photos.Root, "validation.txt"), ["photo0.png", "sub/photo1.png", ""]);
        var config = TinyPhotos.TinyConfig("unet-l1", 1) with { Split = new SplitConfig { ValidationList = Path.Combine(photos.Root, "validation.txt") } };
        var split = PhotoDataset.Prepare(photos.Data, photos.Run("a"), config, TextWriter.Null);
        Assert.Equal(["photo0.png", "sub/photo1.png"], split.Validation.Select(e => e.RelativePath).Order(StringComparer.Ordinal));
        Assert.Equal(4, split.Train.Count);
        Assert.Empty(split.Test);

        File.WriteAllLines(Path.Combine(photos.Root, "validation.txt"), ["photo0.png", "nowhere.png"]);
        Assert.Contains("nowhere.png", Assert.Throws<TrainerException>(() => PhotoDataset.Prepare(photos.Data, photos.Run("b"), config, TextWriter.Null)).Message, StringComparison.Ordinal);
    }
}
