using System.Text.Json;
using System.Text.Json.Nodes;
using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Trainer.Tests;

/// <summary>The <c>rebalance</c> option: Zhang et al. 2016's colour class rebalancing of the ab L1.</summary>
public sealed class RebalanceTests
{
    [Fact]
    public void Weights_HaveExpectationOne_UnderTheSmoothedDistribution()
    {
        var grid = AbGrid.Srgb(10);
        var random = new Random(3);
        var p = grid.InGamut.Select(g => g ? random.NextDouble() * random.NextDouble() : 0).ToArray();
        double total = p.Sum();
        p = [.. p.Select(v => v / total)];
        foreach (double lambda in new[] { 0.1, 0.5, 1.0 })
        {
            var r = ColourRebalance.FromHistogram(new RebalanceConfig { Weight = lambda, Sigma = 5 }, grid, p, 1);
            double expectation = Enumerable.Range(0, p.Length).Sum(q => r.Smoothed[q] * r.Weights[q]);
            Assert.Equal(1.0, expectation, 12);
            Assert.Equal(1.0, r.Smoothed.Sum(), 12);
            Assert.All(Enumerable.Range(0, p.Length).Where(q => !grid.InGamut[q]), q => Assert.Equal(0, r.Smoothed[q]));
        }
    }

    [Fact]
    public void UniformDistribution_GivesWeightOneEverywhere()
    {
        var inGamut = Gamut();
        int q = inGamut.Count(g => g);
        var uniform = inGamut.Select(g => g ? 1.0 / q : 0).ToArray();
        foreach (double lambda in new[] { 0.01, 0.5, 1.0 })
        {
            var w = ColourRebalance.BinWeights(uniform, inGamut, lambda);
            for (int i = 0; i < w.Length; i++)
            {
                Assert.Equal(inGamut[i] ? 1.0 : 0.0, w[i], 12);
            }
        }
    }

    [Fact]
    public void PeakedDistribution_LowersThePeaksWeight_AsTheFormulaSays()
    {
        var inGamut = Gamut();
        int q = inGamut.Count(g => g);
        int peak = Array.IndexOf(inGamut, true);
        var p = inGamut.Select((g, i) => !g ? 0 : i == peak ? 0.9 : 0.1 / (q - 1)).ToArray();
        const double lambda = 0.5;
        var w = ColourRebalance.BinWeights(p, inGamut, lambda);

        int other = Array.LastIndexOf(inGamut, true);
        Assert.True(w[peak] < 1, $"peak weight {w[peak]}");
        Assert.True(w[other] > 1, $"rare weight {w[other]}");
        // w ∝ 1 / ((1 − λ)p + λ/Q): the ratio of two weights is the inverse ratio of their mixtures.
        double ratio = ((1 - lambda) * p[other] + lambda / q) / ((1 - lambda) * p[peak] + lambda / q);
        Assert.Equal(ratio, w[peak] / w[other], 12);
        // λ = 1 ignores the distribution.
        Assert.All(ColourRebalance.BinWeights(p, inGamut, 1).Where((_, i) => inGamut[i]), v => Assert.Equal(1.0, v, 12));
    }

    [Fact]
    public void Smoothing_SpreadsOneBinToItsNeighboursByTheGaussian()
    {
        var grid = new AbGrid(10, Enumerable.Repeat(true, 23 * 23).ToArray());
        int centre = grid.BinOf(0, 0), right = grid.BinOf(10, 0), diagonal = grid.BinOf(10, 10);
        var p = new double[23 * 23];
        p[centre] = 1;
        var s = ColourRebalance.Smooth(p, grid, 5);
        Assert.Equal(1.0, s.Sum(), 12);
        Assert.Equal(Math.Exp(-100 / 50.0), s[right] / s[centre], 12);
        Assert.Equal(Math.Exp(-200 / 50.0), s[diagonal] / s[centre], 12);
        Assert.Equal(s[right], s[grid.BinOf(0, -10)], 15);
        Assert.Equal(p, ColourRebalance.Smooth(p, grid, 0));
    }

    [Fact]
    public void WeightedL1_ItsGradientIsTheWeightedGradient()
    {
        var random = new Generator(11);
        var prediction = Tensor.Rand(random, 2, 2, 3, 3).SetRequiresGrad();
        var truth = Tensor.Rand(random, 2, 2, 3, 3);
        var weights = Tensor.Rand(random, 2, 1, 3, 3) * 3f;
        var loss = ColourRebalance.WeightedL1(prediction, truth, weights);
        loss.Backward();

        float[] x = prediction.ToArray(), y = truth.ToArray(), w = weights.ToArray(), grad = prediction.Grad!.ToArray();
        int count = x.Length, m = 9;
        double byHand = 0;
        for (int i = 0; i < count; i++)
        {
            // element i is sample i / 18, channel (i / 9) % 2, pixel i % 9; its weight is the sample's pixel's
            double wi = w[i / (2 * m) * m + i % m];
            byHand += wi * Math.Abs(x[i] - y[i]) / count;
            Assert.Equal(wi * Math.Sign(x[i] - y[i]) / count, grad[i], 6);
        }

        Assert.Equal(byHand, loss.Item(), 5);

        // Finite differences agree too (away from the kinks of |d|).
        for (int i = 0; i < count; i += 5)
        {
            const float h = 1e-3f;
            var plus = x.ToArray();
            var minus = x.ToArray();
            plus[i] += h;
            minus[i] -= h;
            double numeric = (ColourRebalance.WeightedL1(Tensor.Wrap(plus, 2, 2, 3, 3), truth, weights).Item()
                - ColourRebalance.WeightedL1(Tensor.Wrap(minus, 2, 2, 3, 3), truth, weights).Item()) / (2 * h);
            Assert.Equal(grad[i], numeric, 3);
        }
    }

    [Fact]
    public void WeightMap_GivesEachPixelTheWeightOfItsTrueColoursBin()
    {
        var grid = AbGrid.Srgb(10);
        var p = grid.InGamut.Select((g, i) => g ? 1.0 + i % 7 : 0).ToArray();
        double total = p.Sum();
        var r = ColourRebalance.FromHistogram(new RebalanceConfig(), grid, [.. p.Select(v => v / total)], 1);
        // Three pixels: a bin centre, a value that rounds to a neighbour, and one far outside the gamut.
        float[] a = [20f / 110, 26f / 110, 1f], b = [-30f / 110, -34f / 110, 1f];
        var map = r.WeightMap(Tensor.Wrap([.. a, .. b], 1, 2, 1, 3)).ToArray();
        Assert.Equal((float)r.Weights[grid.BinOf(20, -30)], map[0]);
        Assert.Equal((float)r.Weights[grid.BinOf(30, -30)], map[1]);
        Assert.True(grid.InGamut[grid.BinOf(110, 110)]);
        Assert.Equal((float)r.Weights[grid.BinOf(110, 110)], map[2]);
        Assert.NotEqual(map[0], map[1]);
    }

    [Fact]
    public void Off_TheStepsLossIsThePlainL1_On_ItIsTheWeightedOne()
    {
        // No dropout, so a second forward pass in training mode gives the same output.
        var config = TinyPhotos.TinyConfig("unet-l1", 1) with { Generator = TinyPhotos.TinyConfig("unet-l1", 1).Generator with { Hyperparameters = TinyPhotos.Hyper("""{ "numDowns": 5, "ngf": 8, "norm": "batch", "dropout": false }""") } };
        var batch = RandomBatch();

        var off = TrainingRun.ForBenchmark(config);
        float[] fake = Forward(off, batch);
        double expected;
        using (Tensor.NoGrad())
        {
            expected = Losses.L1(Tensor.Wrap(fake, 2, 2, 32, 32), batch.AB).Mul(config.L1Weight).Item();
        }

        Assert.Equal(expected, off.Step(off.Schedule.Phases[0], batch).SumG);

        var on = TrainingRun.ForBenchmark(config with { Rebalance = new RebalanceConfig() });
        var grid = AbGrid.Srgb(10);
        var p = grid.InGamut.Select((g, i) => g ? 1.0 + i % 5 : 0).ToArray();
        double total = p.Sum();
        on.Rebalance = ColourRebalance.FromHistogram(new RebalanceConfig(), grid, [.. p.Select(v => v / total)], 1);
        fake = Forward(on, batch);
        var w = on.Rebalance.WeightMap(batch.AB).ToArray();
        var truth = batch.AB.ToArray();
        int m = 32 * 32;
        double weighted = Enumerable.Range(0, truth.Length).Sum(i => w[i / (2 * m) * m + i % m] * Math.Abs(fake[i] - truth[i])) / truth.Length;
        var losses = on.Step(on.Schedule.Phases[0], batch);
        Assert.Equal(config.L1Weight * weighted, losses.SumG, 3);
        // The reported L1 stays the unweighted one.
        Assert.Equal(Enumerable.Range(0, truth.Length).Average(i => Math.Abs(fake[i] - truth[i])), losses.L1, 5);
    }

    [Fact]
    public void Histogram_ComesFromTheTrainingPhotosOnly_AndAResumeReadsTheStoredWeights()
    {
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        // A pure blue validation photo: a colour no training photo has.
        var blue = new Image(32, 32, PixelFormat.Rgb24);
        for (int y = 0; y < 32; y++)
        {
            var row = blue.GetRowBytes(y);
            for (int x = 0; x < 32; x++)
            {
                row[3 * x + 2] = 255;
            }
        }

        blue.Save(Path.Combine(photos.Data, "blue.png"));
        File.WriteAllText(Path.Combine(photos.Data, "val.txt"), "blue.png\n");
        var config = TinyPhotos.TinyConfig("unet-l1", 1) with { Split = new SplitConfig { ValidationList = "val.txt" }, Rebalance = new RebalanceConfig() };
        string run = photos.Run("r");
        var split = PhotoDataset.Prepare(photos.Data, run, config, TextWriter.Null);
        var log = new StringWriter();

        var made = ColourRebalance.ForRun(run, config.Rebalance!, split.Train, resuming: false, log);
        Assert.Equal(4, made.Photos);
        Assert.Contains(ColourRebalance.FileName, log.ToString(), StringComparison.Ordinal);
        int blueBin = made.Grid.BinOf(79.2, -107.9); // pure blue's a, b
        Assert.Equal(0, made.Empirical[blueBin]);
        Assert.True(made.Weights[blueBin] > 0.999 * made.Weights.Max(), "a colour never seen in training has (nearly) the largest weight");
        Assert.Equal(ColourRebalance.Histogram(split.Train, made.Grid), made.Empirical);

        // The file is what a resume uses: change a weight in it and the resumed run has the changed weight.
        string path = Path.Combine(run, ColourRebalance.FileName);
        var doc = JsonNode.Parse(File.ReadAllText(path))!;
        doc["bins"]![0]!["w"] = 123.5;
        File.WriteAllText(path, doc.ToJsonString());
        var read = ColourRebalance.ForRun(run, config.Rebalance!, split.Train, resuming: true, TextWriter.Null);
        int first = Enumerable.Range(0, made.Grid.InGamut.Length).First(q => made.Grid.InGamut[q]);
        Assert.Equal(123.5, read.Weights[first]);
        Assert.Equal(made.Weights[blueBin], read.Weights[blueBin]);
        Assert.Equal(made.Grid.InGamut, read.Grid.InGamut);

        Assert.Throws<TrainerException>(() => ColourRebalance.ForRun(run, config.Rebalance! with { Weight = 0.3 }, split.Train, resuming: true, TextWriter.Null));
        File.Delete(path);
        Assert.Contains("missing", Assert.Throws<TrainerException>(() => ColourRebalance.ForRun(run, config.Rebalance!, split.Train, resuming: true, TextWriter.Null)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RunWithRebalance_ResumedInsideAnEpoch_GivesBitIdenticalWeights()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        // pix2pix: every batch is a critic step and a generator step, so the GAN phase's weighted L1 is covered too.
        var config = TinyPhotos.TinyConfig("pix2pix", 2) with
        {
            Split = new SplitConfig(1.0, 0.0),
            CheckpointEverySteps = 1,
            Rebalance = new RebalanceConfig(),
        };
        string straight = photos.Run("straight");
        var a = TrainingRun.Start(config, straight, resume: false, TextWriter.Null);
        a.Train(PhotoDataset.Prepare(photos.Data, straight, a.Config, TextWriter.Null));
        Assert.True(File.Exists(Path.Combine(straight, ColourRebalance.FileName)));

        string interrupted = photos.Run("interrupted");
        var b1 = TrainingRun.Start(config, interrupted, resume: false, TextWriter.Null);
        b1.Train(PhotoDataset.Prepare(photos.Data, interrupted, b1.Config, TextWriter.Null), stopAfterStep: 4);
        var b2 = TrainingRun.Start(config, interrupted, resume: true, TextWriter.Null);
        b2.Train(PhotoDataset.Prepare(photos.Data, interrupted, b2.Config, TextWriter.Null));

        var expected = Checkpoints.Load(straight, Checkpoints.Last).Tensors;
        var actual = Checkpoints.Load(interrupted, Checkpoints.Last).Tensors;
        SameWeights.Assert(expected, actual);

        string plain = photos.Run("plain");
        var c = TrainingRun.Start(config with { Rebalance = null }, plain, resume: false, TextWriter.Null);
        c.Train(PhotoDataset.Prepare(photos.Data, plain, c.Config, TextWriter.Null));
        var other = Checkpoints.Load(plain, Checkpoints.Last).Tensors;
        Assert.Contains(expected, kv => !kv.Value.ToArray().AsSpan().SequenceEqual(other[kv.Key].ToArray()));
        Assert.False(File.Exists(Path.Combine(plain, ColourRebalance.FileName)));
    }

    [Fact]
    public void Config_RejectsBadValues()
    {
        var recipe = TinyPhotos.TinyConfig("unet-l1", 1);
        Assert.Null(recipe.Rebalance);
        foreach (var bad in new[] { new RebalanceConfig { Weight = 0 }, new RebalanceConfig { Weight = 1.5 }, new RebalanceConfig { Sigma = -1 }, new RebalanceConfig { BinSize = 1 } })
        {
            Assert.Throws<TrainerException>(() => (recipe with { Rebalance = bad }).Validate());
        }

        (recipe with { Rebalance = new RebalanceConfig() }).Validate();
        var parsed = JsonSerializer.Deserialize<TrainConfig>("""{ "recipe": "x", "generator": { "name": "unet-classic", "version": 1 }, "rebalance": { "weight": 0.5, "sigma": 5, "binSize": 10 } }""", TrainConfig.Json)!;
        Assert.Equal(new RebalanceConfig { Weight = 0.5, Sigma = 5, BinSize = 10 }, parsed.Rebalance);
    }

    /// <summary>A 5×5 grid of bins of 55 whose corners are out of gamut.</summary>
    private static bool[] Gamut() => [.. Enumerable.Range(0, 25).Select(i => i is not (0 or 4 or 20 or 24))];

    private static float[] Forward(TrainingRun run, Batch batch)
    {
        run.GeneratorModule.Train();
        using (Tensor.NoGrad())
        {
            return run.GeneratorModule.Call(batch.L).ToArray();
        }
    }

    private static Batch RandomBatch()
    {
        var random = new Generator(5);
        var l = Tensor.Rand(random, 2, 1, 32, 32) * 2f - 1f;
        var ab = (Tensor.Rand(random, 2, 2, 32, 32) - 0.5f) * 1.2f;
        return new Batch(l, ab);
    }
}
