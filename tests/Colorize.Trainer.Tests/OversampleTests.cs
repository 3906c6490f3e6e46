using System.Text.Json;
using Colorize.Tensors;

namespace Colorize.Trainer.Tests;

/// <summary>The <c>oversample</c> option: listed training photos appear several times in each epoch's order.</summary>
public sealed class OversampleTests
{
    // TinyPhotos(6): photo0, sub/photo1, photo2, sub/photo3, photo4, sub/photo5. photo0 validates (val.txt), the rest train.
    private static readonly string[] s_listed = ["sub/photo1.png", "photo4.png"];

    private static TrainConfig Config(TinyPhotos photos, int epochs = 2, int factor = 3, int repeats = 2)
    {
        File.WriteAllLines(Path.Combine(photos.Data, "val.txt"), ["photo0.png"]);
        File.WriteAllLines(Path.Combine(photos.Data, "green.txt"), ["# green scenes", "", "sub/photo1.png", "  photo4.png  "]);
        return TinyPhotos.TinyConfig("unet-l1", epochs) with
        {
            Split = new SplitConfig { ValidationList = "val.txt" },
            EpochRepeats = repeats,
            CheckpointEverySteps = 1,
            Oversample = new OversampleConfig { List = "green.txt", Factor = factor },
        };
    }

    [Fact]
    public void ListedPhotos_AppearFactorTimesPerEpoch_OthersOnce_AndStepsProgressAndOneCycleFollow()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        // One-cycle over the whole (only) L1 phase: its last step must be the cycle's last, which needs the right epoch length.
        var config = Config(photos) with { Pretrain = new PretrainConfig { OneCycle = new OneCycleConfig() } };
        string runDir = photos.Run("run");
        var first = TrainingRun.Start(config, runDir, resume: false, TextWriter.Null);
        var log = new StringWriter();
        var split = PhotoDataset.Prepare(photos.Data, runDir, first.Config, log);
        Assert.Equal(5, split.Train.Count);
        Assert.Equal(["photo0.png"], split.Validation.Select(e => e.RelativePath));
        // 5 photos + 2 more rounds of the 2 listed ones.
        Assert.Equal(9, split.EpochPhotos.Count);
        Assert.Contains("oversampling 2 listed training photos x3: 9 samples", log.ToString(), StringComparison.Ordinal);

        first.Train(split, stopAfterStep: 1);
        var order = Checkpoints.ReadState(runDir, Checkpoints.Last)!.WithinEpoch!.Order;
        Assert.Equal(18, order.Length);
        var counts = order.GroupBy(i => split.EpochPhotos[i % split.EpochPhotos.Count].RelativePath).ToDictionary(g => g.Key, g => g.Count());
        // factor × epochRepeats for the listed photos, epochRepeats for the others; the validation photo never.
        Assert.Equal(
            new Dictionary<string, int> { ["sub/photo1.png"] = 6, ["photo4.png"] = 6, ["photo2.png"] = 2, ["sub/photo3.png"] = 2, ["sub/photo5.png"] = 2 },
            counts);

        var resumed = TrainingRun.Start(config, runDir, resume: true, TextWriter.Null);
        var progress = new EpochLengths();
        var records = resumed.Train(PhotoDataset.Prepare(photos.Data, runDir, resumed.Config, TextWriter.Null), progress: progress);
        Assert.Equal([18, 18], progress.Photos);
        Assert.Equal(18, progress.LastDone);
        // Batches of 2 over 18 samples: 9 steps an epoch.
        Assert.Equal([9L, 18L], records.Select(r => r.Step));
        Assert.Equal(OneCycle.Rate(config.LearningRate, 17, 18, config.Pretrain!.OneCycle!), records[^1].LearningRate);
        // Validation saw its one photo once, not oversampled.
        Assert.All(records, r => Assert.Equal(1, r.ValidationImages));
    }

    [Fact]
    public void Off_KeepsTheTrainingPhotosAndTheEpochOrderOfBeforeTheOption()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        var config = Config(photos) with { Oversample = null };
        string runDir = photos.Run("run");
        var run = TrainingRun.Start(config, runDir, resume: false, TextWriter.Null);
        var split = PhotoDataset.Prepare(photos.Data, runDir, run.Config, TextWriter.Null);
        Assert.Same(split.Train, split.EpochPhotos);
        run.Train(split, stopAfterStep: 1);

        // The order as the trainer drew it before oversampling existed: the run's third stream forked from the seed,
        // Fisher-Yates over photos × epochRepeats.
        var root = new Generator(unchecked((ulong)config.Seed));
        root.Fork();
        root.Fork();
        var data = root.Fork();
        int[] expected = [.. Enumerable.Range(0, split.Train.Count * config.EpochRepeats)];
        for (int i = expected.Length - 1; i > 0; i--)
        {
            int j = data.NextInt(i + 1);
            (expected[i], expected[j]) = (expected[j], expected[i]);
        }

        Assert.Equal(expected, Checkpoints.ReadState(runDir, Checkpoints.Last)!.WithinEpoch!.Order);
    }

    [Fact]
    public void KilledInsideEpochs_AndResumed_GivesTheWeightsOfAnUninterruptedRun()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        var config = Config(photos) with
        {
            Noise = new NoiseConfig { Probability = 0.8, GaussianSigma = 6, JpegProbability = 0.5, JpegQualityMin = 10, JpegQualityMax = 70 },
        };
        string straight = photos.Run("straight");
        var a = TrainingRun.Start(config, straight, resume: false, TextWriter.Null);
        a.Train(PhotoDataset.Prepare(photos.Data, straight, a.Config, TextWriter.Null));

        // 9 steps an epoch: stopped inside the first (step 4) and the second (step 13).
        string interrupted = photos.Run("interrupted");
        var log = new StringWriter();
        foreach (long? stop in new long?[] { 4, 13, null })
        {
            var b = TrainingRun.Start(config, interrupted, resume: stop != 4, log);
            b.Train(PhotoDataset.Prepare(photos.Data, interrupted, b.Config, TextWriter.Null), stopAfterStep: stop);
        }

        Assert.Contains("resuming in epoch 1 after 4 batches (step 4)", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("resuming in epoch 2 after 4 batches (step 13)", log.ToString(), StringComparison.Ordinal);
        var expected = Checkpoints.Load(straight, Checkpoints.Last);
        var actual = Checkpoints.Load(interrupted, Checkpoints.Last);
        Assert.Equal(18, actual.State.Step);
        SameWeights.Assert(expected.Tensors, actual.Tensors);
    }

    [Fact]
    public void OversampledRun_TrainsOtherWeightsThanThePlainOne()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        var config = Config(photos, epochs: 1, repeats: 1);
        string plain = photos.Run("plain"), oversampled = photos.Run("oversampled");
        var p = TrainingRun.Start(config with { Oversample = null }, plain, resume: false, TextWriter.Null);
        p.Train(PhotoDataset.Prepare(photos.Data, plain, p.Config, TextWriter.Null));
        var o = TrainingRun.Start(config, oversampled, resume: false, TextWriter.Null);
        o.Train(PhotoDataset.Prepare(photos.Data, oversampled, o.Config, TextWriter.Null));

        Assert.Equal(3, Checkpoints.ReadState(plain, Checkpoints.Last)!.Step);
        Assert.Equal(5, Checkpoints.ReadState(oversampled, Checkpoints.Last)!.Step);
        var plainWeights = Checkpoints.Load(plain, Checkpoints.Last).Tensors;
        var oversampledWeights = Checkpoints.Load(oversampled, Checkpoints.Last).Tensors;
        Assert.Contains(plainWeights.Keys, k => k.StartsWith("g.", StringComparison.Ordinal)
            && !plainWeights[k].ToArray().AsSpan().SequenceEqual(oversampledWeights[k].ToArray()));
    }

    [Fact]
    public void PerLineFactors_OverrideTheConfigFactor_PhotoByPhoto()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        var config = Config(photos, repeats: 1);
        // photo1 ×4 (its own), photo4 ×3 (the config's), photo2 ×2 (its own).
        File.WriteAllLines(Path.Combine(photos.Data, "green.txt"), ["sub/photo1.png\t4", "photo4.png", " photo2.png \t 2 "]);
        string runDir = photos.Run("run");
        var run = TrainingRun.Start(config, runDir, resume: false, TextWriter.Null);
        var log = new StringWriter();
        var split = PhotoDataset.Prepare(photos.Data, runDir, run.Config, log);
        // 5 photos + 3 + 2 + 1 more.
        Assert.Equal(11, split.EpochPhotos.Count);
        Assert.Contains("oversampling listed training photos 1 x4, 1 x3, 1 x2: 11 samples", log.ToString(), StringComparison.Ordinal);
        var counts = split.EpochPhotos.GroupBy(e => e.RelativePath).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(
            new Dictionary<string, int> { ["sub/photo1.png"] = 4, ["photo4.png"] = 3, ["photo2.png"] = 2, ["sub/photo3.png"] = 1, ["sub/photo5.png"] = 1 },
            counts);

        run.Train(split, stopAfterStep: 1);
        Assert.Equal(11, Checkpoints.ReadState(runDir, Checkpoints.Last)!.WithinEpoch!.Order.Length);
    }

    [Fact]
    public void UniformPerLineFactors_GiveTheSameEpochPhotosAsTheConfigFactor()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        var config = Config(photos);
        var byConfig = PhotoDataset.Prepare(photos.Data, photos.Run("a"), config, TextWriter.Null).EpochPhotos.Select(e => e.RelativePath).ToList();
        File.WriteAllLines(Path.Combine(photos.Data, "green.txt"), ["sub/photo1.png\t3", "photo4.png\t3"]);
        var byLine = PhotoDataset.Prepare(photos.Data, photos.Run("b"), config with { Oversample = config.Oversample! with { Factor = 2 } }, TextWriter.Null)
            .EpochPhotos.Select(e => e.RelativePath).ToList();
        Assert.Equal(byConfig, byLine);
    }

    [Theory]
    [InlineData("photo2.png\t1", "Line 1 of the oversample list")]
    [InlineData("photo2.png\t21", "Line 1 of the oversample list")]
    [InlineData("photo2.png\tthree", "Line 1 of the oversample list")]
    [InlineData("photo2.png\t3\t4", "Line 1 of the oversample list")]
    [InlineData("photo2.png\nphoto4.png\t3\nphoto2.png\t2", "names 'photo2.png' twice (line 3)")]
    public void MalformedOrRepeatedListLines_AreRefusedBeforeDecoding(string content, string message)
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        var config = Config(photos);
        File.WriteAllText(Path.Combine(photos.Data, "green.txt"), content + "\n");
        string runDir = photos.Run("run");
        var e = Assert.Throws<TrainerException>(() => PhotoDataset.Prepare(photos.Data, runDir, config, TextWriter.Null));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(runDir, "cache")) && Directory.EnumerateFiles(Path.Combine(runDir, "cache")).Any());
    }

    [Theory]
    [InlineData("photo0.png", "'photo0.png' of the oversample list is not a training photo: it is a validation photo")]
    [InlineData("sub/photo9.png", "'sub/photo9.png' of the oversample list is not a training photo: it is not a photo in")]
    [InlineData("gray.png", "'gray.png' of the oversample list is not a training photo: it is grayscale")]
    [InlineData("broken.jpg", "'broken.jpg' of the oversample list is not a training photo: it is unreadable")]
    public void ListedPhotoOutsideTheTrainingSplit_IsRefusedByName(string listed, string message)
    {
        using var photos = new TinyPhotos(6);
        var config = Config(photos);
        File.WriteAllLines(Path.Combine(photos.Data, "green.txt"), ["photo2.png", listed]);
        var e = Assert.Throws<TrainerException>(() => PhotoDataset.Prepare(photos.Data, photos.Run("run"), config, TextWriter.Null));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ListedTestPhoto_IsRefused()
    {
        using var photos = new TinyPhotos(12, withGrayscale: false, withBroken: false);
        var config = Config(photos) with { Split = new SplitConfig(0.5, 0.2) };
        var split = PhotoDataset.Prepare(photos.Data, photos.Run("plain"), config with { Oversample = null }, TextWriter.Null);
        Assert.NotEmpty(split.Test);
        string test = split.Test[0].RelativePath;
        File.WriteAllLines(Path.Combine(photos.Data, "green.txt"), [split.Train[0].RelativePath, test]);

        var e = Assert.Throws<TrainerException>(() => PhotoDataset.Prepare(photos.Data, photos.Run("run"), config, TextWriter.Null));
        Assert.Equal($"'{test}' of the oversample list is not a training photo: it is a test photo. Only training photos can be oversampled.", e.Message);
    }

    [Fact]
    public void MissingOrEmptyList_AndFactorsOutOfRange_AreRefused()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        var config = Config(photos);
        var missing = config with { Oversample = config.Oversample! with { List = "nope.txt" } };
        Assert.Contains("nope.txt' (oversample.list) does not exist", Assert.Throws<TrainerException>(() => PhotoDataset.Prepare(photos.Data, photos.Run("a"), missing, TextWriter.Null)).Message, StringComparison.Ordinal);
        // Refused before any photo is decoded.
        Assert.False(Directory.Exists(Path.Combine(photos.Run("a"), "cache")) && Directory.EnumerateFiles(Path.Combine(photos.Run("a"), "cache")).Any());

        File.WriteAllLines(Path.Combine(photos.Data, "green.txt"), ["# nothing yet", ""]);
        Assert.Contains("names no photos", Assert.Throws<TrainerException>(() => PhotoDataset.Prepare(photos.Data, photos.Run("b"), config, TextWriter.Null)).Message, StringComparison.Ordinal);

        foreach (int factor in new[] { 1, 21, 0 })
        {
            var e = Assert.Throws<TrainerException>(() => (config with { Oversample = config.Oversample! with { Factor = factor } }).Validate());
            Assert.Equal($"oversample.factor must be from 2 to 20, got {factor}.", e.Message);
        }

        Assert.Contains("oversample.list", Assert.Throws<TrainerException>(() => (config with { Oversample = new OversampleConfig { Factor = 3 } }).Validate()).Message, StringComparison.Ordinal);
        (config with { Oversample = config.Oversample! with { Factor = 20 } }).Validate();
        (config with { Oversample = config.Oversample! with { Factor = 2 } }).Validate();
    }

    [Fact]
    public void Config_RoundTripsThroughJson_AndReadsTheDocumentedShape()
    {
        var config = TinyPhotos.TinyConfig("unet-l1", 1) with { Oversample = new OversampleConfig { List = "green-1.3.txt", Factor = 3 } };
        var back = JsonSerializer.Deserialize<TrainConfig>(JsonSerializer.SerializeToUtf8Bytes(config, TrainConfig.Json), TrainConfig.Json)!;
        Assert.Equal(config.Oversample, back.Oversample);
        Assert.Null(JsonSerializer.Deserialize<TrainConfig>(JsonSerializer.SerializeToUtf8Bytes(config with { Oversample = null }, TrainConfig.Json), TrainConfig.Json)!.Oversample);

        string json = JsonSerializer.Serialize(config with { Oversample = null }, TrainConfig.Json);
        json = json.Replace("\"oversample\": null", "\"oversample\": { \"list\": \"green-1.3.txt\", \"factor\": 3 }", StringComparison.Ordinal);
        Assert.Equal(new OversampleConfig { List = "green-1.3.txt", Factor = 3 }, JsonSerializer.Deserialize<TrainConfig>(json, TrainConfig.Json)!.Validate().Oversample);
    }

    [Fact]
    public void GreenPackConfig_OversamplesOnlyPhotosOfTheTrainingList()
    {
        string data = Path.Combine(RepositoryRoot(), "packaging", "data");
        var config = JsonSerializer.Deserialize<TrainConfig>(File.ReadAllBytes(Path.Combine(data, "default-pack-1.3-oversample-green.json")), TrainConfig.Json)!.Validate();
        Assert.Equal(new OversampleConfig { List = "green-1.3.txt", Factor = 3 }, config.Oversample);

        static HashSet<string> Read(string path) =>
            File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToHashSet(StringComparer.Ordinal);
        var green = Read(Path.Combine(data, "green-1.3.txt"));
        Assert.NotEmpty(green);
        Assert.Subset(Read(Path.Combine(data, "train-1.0.txt")), green);
        Assert.Empty(green.Intersect(Read(Path.Combine(data, "validation-1.0.txt"))));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "packaging", "data", "default-pack-1.3-oversample-green.json")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("The repository root (with packaging/data) was not found above the test assembly.");
    }

    /// <summary>The epoch lengths the progress bars are given.</summary>
    private sealed class EpochLengths : ITrainingProgress
    {
        public List<int> Photos { get; } = [];

        public int LastDone { get; private set; }

        public T Run<T>(Func<T> training) => training();

        public void EpochStarted(EpochStart epoch) => Photos.Add(epoch.Photos);

        public void BatchDone(BatchDone batch) => LastDone = batch.PhotosDone;

        public void EpochFinished(int epoch)
        {
        }
    }
}
