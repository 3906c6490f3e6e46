using System.Text.Json;

namespace Colorize.Trainer.Tests;

/// <summary>The background loader and the CPU budget of a run.</summary>
public sealed class BatchLoaderTests
{
    [Fact]
    public void Loader_GivesTheSameBatchesAsPreparingThemOneByOne_InOrder()
    {
        using var photos = new TinyPhotos(7, withGrayscale: false, withBroken: false);
        var config = TinyPhotos.TinyConfig("pix2pix", 1, batch: 2) with
        {
            Noise = new NoiseConfig { Probability = 1, GaussianSigma = 4, JpegProbability = 0.5, JpegQualityMin = 30, JpegQualityMax = 60 },
        };
        var split = PhotoDataset.Prepare(photos.Data, photos.Run("a"), config, TextWriter.Null);
        var all = split.Train.Concat(split.Validation).Concat(split.Test).ToList();
        int[] order = [.. Enumerable.Range(0, all.Count).Reverse()];

        using var loader = new BatchLoader(all, order, firstBatch: 0, batchSize: 2, size: 32, config, epoch: 3, prefetch: 1);
        var loaded = loader.Batches().ToList();

        Assert.Equal((all.Count + 1) / 2, loaded.Count);
        Assert.Equal(1, loaded[^1].L.Shape[0]); // 7 photos: the last batch holds one
        for (int b = 0; b < loaded.Count; b++)
        {
            var entries = order.Skip(2 * b).Take(2).Select(i => all[i]).ToList();
            var random = BatchLoader.BatchRandom(config.Seed, 3, b);
            var expected = PhotoDataset.MakeBatch(entries, 32, config.CropScaleMin, random);
            NoiseAugmentation.Apply(expected, config.Noise, random);
            Assert.Equal(expected.L.ToArray(), loaded[b].L.ToArray());
            Assert.Equal(expected.AB.ToArray(), loaded[b].AB.ToArray());
        }
    }

    [Fact]
    public void Loader_StartingMidEpoch_GivesTheTailOfTheFullEpoch()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        var config = TinyPhotos.TinyConfig("unet-l1", 1, batch: 2);
        var split = PhotoDataset.Prepare(photos.Data, photos.Run("a"), config, TextWriter.Null);
        var all = split.Train.Concat(split.Validation).Concat(split.Test).ToList();
        int[] order = [.. Enumerable.Range(0, all.Count)];

        using var full = new BatchLoader(all, order, 0, 2, 32, config, epoch: 0);
        using var tail = new BatchLoader(all, order, 1, 2, 32, config, epoch: 0);
        var fullBatches = full.Batches().ToList();
        var tailBatches = tail.Batches().ToList();

        Assert.Equal(fullBatches.Count - 1, tailBatches.Count);
        for (int i = 0; i < tailBatches.Count; i++)
        {
            Assert.Equal(fullBatches[i + 1].L.ToArray(), tailBatches[i].L.ToArray());
            Assert.Equal(fullBatches[i + 1].AB.ToArray(), tailBatches[i].AB.ToArray());
        }

        // Another epoch draws other crops of the same photos.
        using var nextEpoch = new BatchLoader(all, order, 0, 2, 32, config, epoch: 1);
        Assert.NotEqual(fullBatches[0].L.ToArray(), nextEpoch.Batches().First().L.ToArray());
    }

    [Fact]
    public void Loader_ReportsADamagedCacheFile_ToTheTrainingLoop()
    {
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        var config = TinyPhotos.TinyConfig("unet-l1", 1, batch: 1);
        var split = PhotoDataset.Prepare(photos.Data, photos.Run("a"), config, TextWriter.Null);
        var all = split.Train.Concat(split.Validation).Concat(split.Test).ToList();
        File.Delete(all[2].CacheFile);

        using var loader = new BatchLoader(all, [0, 1, 2, 3], 0, 1, 32, config, epoch: 0);
        var seen = new List<Batch>();
        Assert.ThrowsAny<IOException>(() =>
        {
            foreach (var batch in loader.Batches())
            {
                seen.Add(batch);
            }
        });
        Assert.Equal(2, seen.Count); // the two batches before the damaged photo still arrived
    }

    [Fact]
    public async Task Loader_DisposedBeforeTheEndOfTheEpoch_StopsItsThread()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        var config = TinyPhotos.TinyConfig("unet-l1", 1, batch: 1);
        var split = PhotoDataset.Prepare(photos.Data, photos.Run("a"), config, TextWriter.Null);
        var all = split.Train.Concat(split.Validation).Concat(split.Test).ToList();

        var loader = new BatchLoader(all, [.. Enumerable.Range(0, all.Count)], 0, 1, 32, config, epoch: 0, prefetch: 1);
        Assert.NotNull(loader.Batches().First());
        // The producer is blocked on the full queue; Dispose must wake it rather than hang.
        await Task.Run(loader.Dispose).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void CpuBudget_StopsTheRunAtAnEpochBoundary_AndResumeWithMoreBudgetContinues()
    {
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        string run = photos.Run("budget");
        // A budget far below one epoch's processor time: the first epoch always completes, then the run stops.
        var config = TinyPhotos.TinyConfig("unet-l1", 5) with { CpuBudgetMinutes = 1e-6 };
        var log = new StringWriter();
        var first = TrainingRun.Start(config, run, resume: false, log);
        var firstRecords = first.Train(PhotoDataset.Prepare(photos.Data, run, first.Config, TextWriter.Null));

        Assert.Single(firstRecords);
        Assert.Contains("CPU budget", log.ToString(), StringComparison.Ordinal);
        Assert.True(firstRecords[0].CpuSeconds > 0);

        var resumed = TrainingRun.Start(config, run, resume: true, TextWriter.Null, cpuBudgetOverride: 1000);
        Assert.Equal(1000, resumed.Config.CpuBudgetMinutes);
        var more = resumed.Train(PhotoDataset.Prepare(photos.Data, run, resumed.Config, TextWriter.Null));
        Assert.Equal([2, 3, 4, 5], more.Select(r => r.Epoch));
        // Processor time accumulates over the sessions of a run.
        var cpu = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("cpuSeconds").GetDouble()).ToList();
        Assert.Equal(5, cpu.Count);
        Assert.True(cpu.Zip(cpu.Skip(1)).All(p => p.Second > p.First), string.Join(", ", cpu));
    }

    [Fact]
    public void CpuBudget_MustBePositive()
    {
        var config = TinyPhotos.TinyConfig("unet-l1", 1) with { CpuBudgetMinutes = 0 };
        Assert.Contains("cpuBudgetMinutes", Assert.Throws<TrainerException>(() => config.Validate()).Message, StringComparison.Ordinal);
    }
}
