using System.IO.Compression;
using System.Text.Json;

namespace Colorize.Trainer.Tests;

/// <summary>Checkpoints kept every N epochs (<c>--keep-every</c>) and packing one of them.</summary>
public sealed class KeptCheckpointTests
{
    [Fact]
    public void KeepEvery_KeepsThoseEpochs_AndPackingOneGivesItsWeights()
    {
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        string run = photos.Run("kept");
        var config = TinyPhotos.TinyConfig("unet-l1", 5) with { KeepEveryEpochs = 2 };
        var training = TrainingRun.Start(config, run, resume: false, TextWriter.Null);
        training.Train(PhotoDataset.Prepare(photos.Data, run, training.Config, TextWriter.Null));

        Assert.Equal([2, 4], Checkpoints.KeptEpochs(run));
        // Their tensor files survived the pruning that later epochs do.
        var epoch2 = Checkpoints.Load(run, Checkpoints.KeptPointer(2));
        Assert.Equal(2, epoch2.State.EpochsCompleted);
        Assert.Equal(5, Checkpoints.Load(run, Checkpoints.Last).State.EpochsCompleted);

        string pack = Path.Combine(photos.Root, "epoch2.cpack");
        var manifest = PackWriter.Write(run, "kept-test", "1.0.0", pack, new PackOptions { Checkpoint = "epoch-2" });
        Assert.Equal(2, manifest.Metrics!["epoch"]);
        Assert.Equal(5, manifest.Training!.Epochs);
        using var zip = ZipFile.OpenRead(pack);
        using var stream = zip.GetEntry("weights.safetensors")!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var packed = Colorize.Tensors.Serialization.StateDictIO.Load(copy.ToArray());
        var expected = TrainingRun.Prefixed(epoch2.Tensors, "g.");
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), packed.Keys.Order(StringComparer.Ordinal));
        Assert.All(expected, kv => Assert.Equal(kv.Value.ToArray(), packed[kv.Key].ToArray()));
        // …and not the last epoch's.
        var last = TrainingRun.Prefixed(Checkpoints.Load(run, Checkpoints.Last).Tensors, "g.");
        Assert.Contains(expected, kv => !kv.Value.ToArray().AsSpan().SequenceEqual(last[kv.Key].ToArray()));

        var error = Assert.Throws<TrainerException>(() => PackWriter.Write(run, "kept-test", "1.0.0", Path.Combine(photos.Root, "x.cpack"), new PackOptions { Checkpoint = "epoch-3" }));
        Assert.Contains("kept epochs: 2, 4", error.Message, StringComparison.Ordinal);
        Assert.Throws<TrainerException>(() => PackWriter.Write(run, "kept-test", "1.0.0", Path.Combine(photos.Root, "y.cpack"), new PackOptions { Checkpoint = "epoch-two" }));
    }

    [Fact]
    public void EpochRepeats_PassesOverThePhotosThatManyTimesPerEpoch_AndResumesExactly()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        var config = TinyPhotos.TinyConfig("unet-l1", 2, batch: 2) with { EpochRepeats = 3 };
        string straight = photos.Run("straight");
        var a = TrainingRun.Start(config, straight, resume: false, TextWriter.Null);
        var split = PhotoDataset.Prepare(photos.Data, straight, a.Config, TextWriter.Null);
        a.Train(split);
        int stepsPerEpoch = (split.Train.Count * 3 + 1) / 2;
        Assert.Equal(2 * stepsPerEpoch, Checkpoints.Load(straight, Checkpoints.Last).State.Step);

        // Killed in the middle of the second epoch (a checkpoint every step), then resumed: the same weights.
        string interrupted = photos.Run("interrupted");
        var b1 = TrainingRun.Start(config with { CheckpointEverySteps = 1 }, interrupted, resume: false, TextWriter.Null);
        b1.Train(PhotoDataset.Prepare(photos.Data, interrupted, b1.Config, TextWriter.Null), stopAfterStep: stepsPerEpoch + 2);
        var b2 = TrainingRun.Start(config, interrupted, resume: true, TextWriter.Null);
        b2.Train(PhotoDataset.Prepare(photos.Data, interrupted, b2.Config, TextWriter.Null));
        var expected = Checkpoints.Load(straight, Checkpoints.Last).Tensors;
        var actual = Checkpoints.Load(interrupted, Checkpoints.Last).Tensors;
        Assert.All(expected, kv => Assert.True(kv.Value.ToArray().AsSpan().SequenceEqual(actual[kv.Key].ToArray()), kv.Key));
    }

    [Fact]
    public void WithoutKeepEvery_OnlyLastPreviousAndBestStay()
    {
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        string run = photos.Run("plain");
        var training = TrainingRun.Start(TinyPhotos.TinyConfig("unet-l1", 4), run, resume: false, TextWriter.Null);
        training.Train(PhotoDataset.Prepare(photos.Data, run, training.Config, TextWriter.Null));

        Assert.Empty(Checkpoints.KeptEpochs(run));
        Assert.InRange(Directory.GetFiles(Path.Combine(run, "checkpoints"), "*.safetensors").Length, 1, 3);
    }
}
