using System.Text.Json;
using Colorize.Abstractions;
using Colorize.Engine;
using Colorize.Plugins.Packs;
using Colorize.Tensors;
using Colorize.Tensors.Serialization;

namespace Colorize.Trainer.Tests;

public sealed class TrainerTests
{
    [Fact]
    public void Prepare_SkipsBrokenAndGrayscale_AndSplitsTheSameWayTwice()
    {
        using var photos = new TinyPhotos(6);
        var config = TinyPhotos.TinyConfig("unet-l1", 1);
        var first = PhotoDataset.Prepare(photos.Data, photos.Run("a"), config, TextWriter.Null);
        var second = PhotoDataset.Prepare(photos.Data, photos.Run("b"), config, TextWriter.Null);

        Assert.Equal(["broken.jpg"], first.Unreadable);
        Assert.Equal(["gray.png"], first.Grayscale);
        Assert.Equal(6, first.Train.Count + first.Validation.Count + first.Test.Count);
        Assert.Contains(first.Train.Concat(first.Validation), e => e.RelativePath.StartsWith("sub/", StringComparison.Ordinal));
        Assert.Equal(first.Train.Select(e => e.RelativePath), second.Train.Select(e => e.RelativePath));
        Assert.Equal(first.Validation.Select(e => e.RelativePath), second.Validation.Select(e => e.RelativePath));
        Assert.True(File.Exists(Path.Combine(photos.Run("a"), "split.json")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(photos.Run("a"), "cache"), "*.lab"));
    }

    [Fact]
    public void SplitHash_GivesRoughlySeventyFifteenFifteen()
    {
        var u = Enumerable.Range(0, 20000).Select(i => PhotoDataset.SplitHash($"dir/photo{i}.jpg", 42)).ToList();
        double train = u.Count(v => v < 0.70) / (double)u.Count;
        double validation = u.Count(v => v is >= 0.70 and < 0.85) / (double)u.Count;
        Assert.InRange(train, 0.68, 0.72);
        Assert.InRange(validation, 0.135, 0.165);
        Assert.NotEqual(PhotoDataset.SplitHash("a.jpg", 1), PhotoDataset.SplitHash("a.jpg", 2));
    }

    [Fact]
    public void Sample_CentredFullCrop_AtNativeSize_IsTheNormalisedPlanes()
    {
        const int w = 8, h = 8;
        var planes = new float[3 * w * h];
        for (int i = 0; i < w * h; i++)
        {
            planes[i] = i % 100;
            planes[w * h + i] = i - 30;
            planes[2 * w * h + i] = 40 - i;
        }

        var l = new float[w * h];
        var ab = new float[2 * w * h];
        PhotoDataset.Sample(planes, w, h, w, 1, null, l, ab);
        for (int i = 0; i < w * h; i++)
        {
            Assert.Equal(planes[i] / 50 - 1, l[i], 5);
            Assert.Equal(planes[w * h + i] / 110, ab[i], 5);
            Assert.Equal(planes[2 * w * h + i] / 110, ab[w * h + i], 5);
        }
    }

    [Fact]
    public void UnetL1_TrainsEndToEnd_AndItsPackInstallsAndColorizes()
    {
        using var photos = new TinyPhotos(6);
        string runDir = photos.Run("run");
        var run = TrainingRun.Start(TinyPhotos.TinyConfig("unet-l1", 2), runDir, resume: false, TextWriter.Null);
        var records = run.Train(PhotoDataset.Prepare(photos.Data, runDir, run.Config, TextWriter.Null));

        Assert.Equal(2, records.Count);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Length);
        Assert.All(records, r => Assert.True(double.IsFinite(r.Psnr) && r.Psnr > 0 && double.IsFinite(r.LossL1)));
        InstallAndColorize(PackAndCheck(runDir, photos, "tiny-unet", SafeTensorsDType.F32), photos);
    }

    [Fact]
    public void Pix2Pix_ThroughTheCommandLine_TrainsAndPacks()
    {
        using var photos = new TinyPhotos(6);
        string runDir = photos.Run("run");
        string configFile = Path.Combine(photos.Root, "tiny.json");
        File.WriteAllBytes(configFile, JsonSerializer.SerializeToUtf8Bytes(TinyPhotos.TinyConfig("pix2pix", 3), TrainConfig.Json));
        var output = new StringWriter();
        int code = Program.Run(["pix2pix", "--config", configFile, "--data", photos.Data, "--out", runDir, "--epochs", "1", "--real-label", "0.9"], output, output);
        Assert.True(code == 0, output.ToString());

        var lines = File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl"));
        var record = JsonSerializer.Deserialize<EpochRecord>(Assert.Single(lines), TrainConfig.Json)!;
        Assert.NotNull(record.LossD);
        Assert.NotNull(record.LossGAdv);
        using (var saved = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(runDir, "config.json"))))
        {
            Assert.Equal(0.9, saved.RootElement.GetProperty("realLabel").GetDouble(), 6);
            Assert.Equal(1, saved.RootElement.GetProperty("epochs").GetInt32());
        }

        string cpack = Path.Combine(photos.Root, "tiny.cpack");
        code = Program.Run(["pack", runDir, "--id", "tiny-pix2pix", "--version", "0.1.0", "-o", cpack, "--dtype", "f16"], output, output);
        Assert.True(code == 0, output.ToString());
        var manifest = PackManifestJson.Parse(ReadEntry(cpack, "manifest.json"));
        Assert.Equal("pix2pix", manifest.Training!.Recipe);
        Assert.Equal(1, manifest.Training.Epochs);
        Assert.Equal("F16", manifest.Weights.DType);
        InstallAndColorize(cpack, photos);
    }

    [Fact]
    public void CommandLine_ListsRecipes_AndRejectsUnknownOptions()
    {
        var output = new StringWriter();
        Assert.Equal(0, Program.Run(["recipes"], output, output));
        Assert.Contains("unet-l1", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("pix2pix", output.ToString(), StringComparison.Ordinal);

        var error = new StringWriter();
        Assert.Equal(1, Program.Run(["unet-l1", "--data", "x", "--out", "y", "--bogus", "1"], error, error));
        Assert.Contains("--bogus", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, Program.Run(["no-such-recipe", "--data", "x", "--out", "y"], error, error));
    }

    [Fact]
    public void Overfitting_OnePhoto_MakesTheL1LossFall()
    {
        using var photos = new TinyPhotos(1, withGrayscale: false, withBroken: false);
        string runDir = photos.Run("run");
        var config = TinyPhotos.TinyConfig("unet-l1", 25, batch: 1) with
        {
            Split = new SplitConfig(1.0, 0.0),
            CropScaleMin = 1.0,
            LearningRate = 2e-3,
            Generator = TinyPhotos.TinyConfig("unet-l1", 1).Generator with { Hyperparameters = TinyPhotos.Hyper("""{ "numDowns": 5, "ngf": 8, "dropout": false }""") },
        };
        var run = TrainingRun.Start(config, runDir, resume: false, TextWriter.Null);
        var records = run.Train(PhotoDataset.Prepare(photos.Data, runDir, run.Config, TextWriter.Null));

        double first = records[0].LossL1, last = records[^1].LossL1;
        Assert.True(last < 0.5 * first, $"L1 went from {first} to {last}");
    }

    [Fact]
    public void Resume_AfterAnInterruption_GivesBitIdenticalWeights()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        var config = TinyPhotos.TinyConfig("pix2pix", 3);
        string straight = photos.Run("straight");
        var a = TrainingRun.Start(config, straight, resume: false, TextWriter.Null);
        a.Train(PhotoDataset.Prepare(photos.Data, straight, a.Config, TextWriter.Null));

        // The interrupted run stops after two epochs; a new TrainingRun (as a new process would) resumes it.
        string interrupted = photos.Run("interrupted");
        var b1 = TrainingRun.Start(config with { Epochs = 2 }, interrupted, resume: false, TextWriter.Null);
        b1.Train(PhotoDataset.Prepare(photos.Data, interrupted, b1.Config, TextWriter.Null));
        var b2 = TrainingRun.Start(config, interrupted, resume: true, TextWriter.Null, epochsOverride: 3);
        Assert.Single(b2.Train(PhotoDataset.Prepare(photos.Data, interrupted, b2.Config, TextWriter.Null)));

        var expected = Checkpoints.Load(straight, Checkpoints.Last).Tensors;
        var actual = Checkpoints.Load(interrupted, Checkpoints.Last).Tensors;
        Assert.Contains(expected.Keys, k => k.StartsWith("d.", StringComparison.Ordinal));
        Assert.Contains(expected.Keys, k => k.StartsWith("optg.", StringComparison.Ordinal));
        SameWeights.Assert(expected, actual);
    }

    [Fact]
    public void Resume_FromACheckpointInsideAnEpoch_GivesBitIdenticalWeights()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        // Six training photos in batches of two: three steps per epoch, a checkpoint after every step.
        var config = TinyPhotos.TinyConfig("pix2pix", 2) with { Split = new SplitConfig(1.0, 0.0), CheckpointEverySteps = 1 };
        string straight = photos.Run("straight");
        var a = TrainingRun.Start(config, straight, resume: false, TextWriter.Null);
        Assert.Equal(2, a.Train(PhotoDataset.Prepare(photos.Data, straight, a.Config, TextWriter.Null)).Count);

        // Killed right after step 4, the first step of the second epoch.
        string interrupted = photos.Run("interrupted");
        var b1 = TrainingRun.Start(config, interrupted, resume: false, TextWriter.Null);
        Assert.Single(b1.Train(PhotoDataset.Prepare(photos.Data, interrupted, b1.Config, TextWriter.Null), stopAfterStep: 4));
        Assert.Single(Directory.GetFiles(Path.Combine(interrupted, "checkpoints"), "epoch-0001-step-00000004.safetensors"));
        var log = new StringWriter();
        var b2 = TrainingRun.Start(config, interrupted, resume: true, log);
        Assert.Single(b2.Train(PhotoDataset.Prepare(photos.Data, interrupted, b2.Config, TextWriter.Null)));
        Assert.Contains("after 1 batches", log.ToString(), StringComparison.Ordinal);

        var expected = Checkpoints.Load(straight, Checkpoints.Last).Tensors;
        var actual = Checkpoints.Load(interrupted, Checkpoints.Last).Tensors;
        SameWeights.Assert(expected, actual);

        var straightLast = File.ReadAllLines(Path.Combine(straight, "metrics.jsonl"))[^1];
        var resumedLast = File.ReadAllLines(Path.Combine(interrupted, "metrics.jsonl"))[^1];
        Assert.Equal(JsonSerializer.Deserialize<EpochRecord>(straightLast, TrainConfig.Json)!.LossG, JsonSerializer.Deserialize<EpochRecord>(resumedLast, TrainConfig.Json)!.LossG);
    }

    [Fact]
    public void OneThreadAndTwoThreads_TrainTheSameWeights()
    {
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        var config = TinyPhotos.TinyConfig("pix2pix", 1) with { Split = new SplitConfig(1.0, 0.0) };
        int saved = TensorOptions.NumThreads;
        try
        {
            var weights = new List<IReadOnlyDictionary<string, float[]>>();
            foreach (int threads in new[] { 1, 2 })
            {
                TensorOptions.NumThreads = threads;
                string runDir = photos.Run($"threads{threads}");
                var run = TrainingRun.Start(config, runDir, resume: false, TextWriter.Null);
                run.Train(PhotoDataset.Prepare(photos.Data, runDir, run.Config, TextWriter.Null));
                weights.Add(Checkpoints.Load(runDir, Checkpoints.Last).Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()));
            }

            foreach (var (name, values) in weights[0])
            {
                Assert.True(values.AsSpan().SequenceEqual(weights[1][name]), $"tensor {name} differs");
            }
        }
        finally
        {
            TensorOptions.NumThreads = saved;
        }
    }

    [Fact]
    public void DamagedCheckpoint_IsDetected_AndResumeFallsBackToThePreviousOne()
    {
        using var photos = new TinyPhotos(3, withGrayscale: false, withBroken: false);
        string runDir = photos.Run("run");
        var run = TrainingRun.Start(TinyPhotos.TinyConfig("unet-l1", 2), runDir, resume: false, TextWriter.Null);
        run.Train(PhotoDataset.Prepare(photos.Data, runDir, run.Config, TextWriter.Null));
        string file = Path.Combine(runDir, "checkpoints", "epoch-0002.safetensors");
        var bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 0x55;
        File.WriteAllBytes(file, bytes);

        var e = Assert.Throws<TrainerException>(() => Checkpoints.Load(runDir, Checkpoints.Last));
        Assert.Contains("damaged", e.Message, StringComparison.Ordinal);

        var log = new StringWriter();
        var resumed = TrainingRun.Start(TinyPhotos.TinyConfig("unet-l1", 2), runDir, resume: true, log, epochsOverride: 3);
        var records = resumed.Train(PhotoDataset.Prepare(photos.Data, runDir, resumed.Config, TextWriter.Null));
        Assert.Contains("damaged", log.ToString(), StringComparison.Ordinal);
        Assert.Equal([2, 3], records.Select(r => r.Epoch));
    }

    private static string PackAndCheck(string runDir, TinyPhotos photos, string id, SafeTensorsDType dtype)
    {
        string cpack = Path.Combine(photos.Root, id + ".cpack");
        var manifest = PackWriter.Write(runDir, id, "1.0.0", cpack, dtype);
        Assert.Equal(7, manifest.Training!.Seed);
        Assert.Equal(2, manifest.Training.Epochs);
        Assert.InRange(manifest.Metrics!["epoch"], 1, 2);
        Assert.True(manifest.Metrics!.ContainsKey("psnr"));
        return cpack;
    }

    internal static void InstallAndColorize(string cpack, TinyPhotos photos)
    {
        var engine = new CpuColorizerEngine();
        var store = new PackStore(new PackStoreOptions { Home = Path.Combine(photos.Root, "home"), UseApplicationPacksFolder = false });
        var installed = store.Install(cpack, [engine]);
        var colorizer = engine.Load(store.Resolve(installed.Reference));
        var source = PixelBuffer.Allocate(64, 48, PixelFormat.Bgra32);
        source.GetRow(10)[20] = 200;
        var destination = PixelBuffer.Allocate(64, 48, PixelFormat.Bgra32);
        colorizer.Colorize(source, destination);
    }

    private static byte[] ReadEntry(string zipPath, string name)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(zipPath);
        using var stream = zip.GetEntry(name)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
