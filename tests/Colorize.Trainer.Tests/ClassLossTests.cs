using System.Text.Json;
using Colorize.Engine.Architectures;
using Colorize.Tensors;
using Colorize.Tensors.NN;
using Colorize.Tensors.Serialization;

namespace Colorize.Trainer.Tests;

/// <summary>
/// The <c>classLoss</c> option (issue 14): Zhang et al. 2016's cross-entropy over ab bins for a resnet-unet with the
/// class head, its soft-encoded targets, its place in the generator loss and a run with it end to end.
/// </summary>
public sealed class ClassLossTests
{
    private const string ClassHyper = """{ "encoderDepth": 18, "width": 0.25, "selfAttention": false, "spectralNorm": false, "abHead": "classes" }""";

    private static TrainConfig ClassConfig(double weight = 2, float l1Weight = 10) => TinyPhotos.TinyConfig("unet-l1", 1) with
    {
        Generator = new Colorize.Abstractions.Packs.ArchitectureSpec { Name = "resnet-unet", Version = 1, Hyperparameters = TinyPhotos.Hyper(ClassHyper) },
        ClassLoss = new ClassLossConfig { Weight = weight },
        L1Weight = l1Weight,
    };

    [Fact]
    public void TargetsLossAndGradient_MatchPyTorch()
    {
        var file = SafeTensorsFile.FromMemory(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "golden", "trainer", "class_loss.safetensors")));
        Tensor Get(string key) => Tensor.FromArray(file.ReadFloat32(key), file.GetEntry(key).GetShapeInt32());
        var head = new AbClassHead(10);
        // The script's bins come from the colour-space formulas in numpy: the same set and order as the engine's.
        Assert.Equal(Get("centres").ToArray(), head.Centres.SelectMany(c => new float[] { c.A, c.B }).ToArray());
        var loss = new ClassLoss(new ClassLossConfig(), head);

        var targets = loss.Targets(Get("in/ab"));
        var expectedTargets = Get("target").ToArray();
        var actualTargets = targets.ToArray();
        Assert.Equal(expectedTargets.Length, actualTargets.Length);
        Assert.All(Enumerable.Range(0, actualTargets.Length), i => Assert.True(Math.Abs(expectedTargets[i] - actualTargets[i]) <= 1e-6, $"target {i}: {actualTargets[i]} vs PyTorch's {expectedTargets[i]}"));

        foreach (var (suffix, weights) in new[] { ("", (Tensor?)null), ("_weighted", Get("in/weights")) })
        {
            var logits = Get("in/logits").SetRequiresGrad();
            var ce = ClassLoss.CrossEntropy(logits, targets, weights);
            double expected = Get($"loss{suffix}").Item();
            Assert.True(Math.Abs(ce.Item() - expected) <= 1e-5 * Math.Abs(expected), $"loss{suffix}: {ce.Item()} vs PyTorch's {expected}");
            ce.Backward();
            var expectedGrad = Get($"grad{suffix}/logits").ToArray();
            var grad = Assert.IsType<Tensor>(logits.Grad).ToArray();
            double scale = expectedGrad.Max(MathF.Abs);
            double worst = Enumerable.Range(0, grad.Length).Max(i => Math.Abs(grad[i] - expectedGrad[i]));
            Assert.True(worst <= 1e-5 * scale, $"grad{suffix}: max |diff| {worst:E2} against a largest element of {scale:E2}");
        }
    }

    [Fact]
    public void SoftEncoding_FiveNearestBins_SumToOne_NearestLargest()
    {
        var head = new AbClassHead(10);
        var loss = new ClassLoss(new ClassLossConfig(), head);
        var ab = (Tensor.Rand(new Generator(3), 2, 2, 6, 7) - 0.5f) * 1.6f;
        var t = loss.Targets(ab).ToArray();
        var truth = ab.ToArray();
        int m = 42, q = head.Count;
        for (int i = 0; i < 2; i++)
        {
            for (int p = 0; p < m; p++)
            {
                var w = Enumerable.Range(0, q).Select(c => t[(((i * q) + c) * m) + p]).ToArray();
                Assert.Equal(5, w.Count(v => v > 0));
                Assert.Equal(1.0, w.Sum(v => (double)v), 5);
                double a = truth[(i * 2 * m) + p] * 110, b = truth[(i * 2 * m) + m + p] * 110;
                var byDistance = Enumerable.Range(0, q).OrderBy(c => Math.Pow(head.Centres[c].A - a, 2) + Math.Pow(head.Centres[c].B - b, 2)).ToArray();
                Assert.Equal(byDistance.Take(5).Order(), Enumerable.Range(0, q).Where(c => w[c] > 0));
                Assert.Equal(byDistance[0], Array.IndexOf(w, w.Max()));
            }
        }
    }

    [Fact]
    public void Config_NeedsTheClassHead_AndSaneValues()
    {
        ClassConfig().Validate();
        (ClassConfig() with { L1Weight = 0 }).Validate();
        var tanh = ClassConfig() with { Generator = ClassConfig().Generator with { Hyperparameters = TinyPhotos.Hyper("""{ "encoderDepth": 18, "width": 0.25 }""") } };
        Assert.Contains("abHead", Assert.Throws<TrainerException>(() => tanh.Validate()).Message, StringComparison.Ordinal);
        Assert.Throws<TrainerException>(() => (TinyPhotos.TinyConfig("unet-l1", 1) with { ClassLoss = new ClassLossConfig() }).Validate());
        foreach (var (bad, name) in new[] { (new ClassLossConfig { Weight = 0 }, "weight"), (new ClassLossConfig { Sigma = 0 }, "sigma"), (new ClassLossConfig { Neighbours = 0 }, "neighbours"), (new ClassLossConfig { HeadLrMultiplier = 0 }, "headLrMultiplier") })
        {
            Assert.Contains($"classLoss.{name}", Assert.Throws<TrainerException>(() => (ClassConfig() with { ClassLoss = bad }).Validate()).Message, StringComparison.Ordinal);
        }

        Assert.Contains("l1Weight", Assert.Throws<TrainerException>(() => (ClassConfig() with { L1Weight = -1 }).Validate()).Message, StringComparison.Ordinal);
        var parsed = JsonSerializer.Deserialize<TrainConfig>("""{ "recipe": "x", "generator": { "name": "resnet-unet", "version": 1 }, "classLoss": { "weight": 1.5, "sigma": 4, "neighbours": 3, "headLrMultiplier": 10 } }""", TrainConfig.Json)!;
        Assert.Equal(new ClassLossConfig { Weight = 1.5, Sigma = 4, Neighbours = 3, HeadLrMultiplier = 10 }, parsed.ClassLoss);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(10.0)]
    public void ClassHead_GetsItsOwnLearningRate_WhenAMultiplierIsSet(double multiplier)
    {
        var config = ClassConfig() with { ClassLoss = new ClassLossConfig { HeadLrMultiplier = multiplier } };
        var generator = ArchitectureRegistry.Build(config.Generator, ArchitectureRole.Generator, new Generator(1));
        var named = generator.Module.NamedParameters().ToList();
        var groups = GeneratorParamGroups.Build(generator.Module, 1e-3, 0.9, 0.999, config, frozenEncoder: false);

        // Every parameter in exactly one group; head.* (and only it) at the multiplied rate.
        Assert.Equal(named.Count, groups.Sum(g => g.Parameters.Count));
        var rateOf = ParamGroupRates.Of(groups);

        Assert.Contains(named, n => n.Name.StartsWith("head.", StringComparison.Ordinal));
        foreach (var (name, parameter) in named)
        {
            double expected = name.StartsWith("head.", StringComparison.Ordinal) ? 1e-3 * multiplier : 1e-3;
            Assert.Equal(expected, rateOf[parameter], 12);
        }
    }

    [Fact]
    public void ClassHead_IsAPlainConvolution_EvenWithSpectralNorm()
    {
        // Spectral norm caps a 1×1 conv's output at its input's size: too flat a softmax over 261 bins. The tanh head
        // of the same network keeps it.
        var hyper = """{ "encoderDepth": 18, "width": 0.25, "selfAttention": false, "spectralNorm": true, "abHead": "classes" }""";
        var spec = new Colorize.Abstractions.Packs.ArchitectureSpec { Name = "resnet-unet", Version = 1, Hyperparameters = TinyPhotos.Hyper(hyper) };
        var classes = ArchitectureRegistry.Build(spec, ArchitectureRole.Generator, new Generator(1)).Module.StateDict().Keys.Where(k => k.StartsWith("head.", StringComparison.Ordinal)).Order().ToList();
        var tanhSpec = spec with { Hyperparameters = TinyPhotos.Hyper("""{ "encoderDepth": 18, "width": 0.25, "selfAttention": false, "spectralNorm": true }""") };
        var tanh = ArchitectureRegistry.Build(tanhSpec, ArchitectureRole.Generator, new Generator(1)).Module.StateDict().Keys.Where(k => k.StartsWith("head.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["head.bias", "head.weight"], classes);
        Assert.Contains(tanh, k => k.Contains("weight_orig", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Step_LossIsL1WeightTimesL1_PlusWeightTimesCrossEntropy(bool rebalance)
    {
        var config = ClassConfig(weight: 2, l1Weight: 10);
        var run = TrainingRun.ForBenchmark(config);
        var net = Assert.IsType<ResNetUnet>(run.GeneratorModule);
        var random = new Generator(5);
        var batch = new Batch(Tensor.Rand(random, 2, 1, 32, 32) * 2f - 1f, (Tensor.Rand(random, 2, 2, 32, 32) - 0.5f) * 1.2f);
        Tensor? weights = null;
        if (rebalance)
        {
            var grid = AbGrid.Srgb(10);
            var p = grid.InGamut.Select((g, i) => g ? 1.0 + (i % 7) : 0).ToArray();
            double total = p.Sum();
            run.Rebalance = ColourRebalance.FromHistogram(new RebalanceConfig(), grid, [.. p.Select(v => v / total)], 1);
            weights = run.Rebalance.WeightMap(batch.AB);
        }

        double l1, ce, weightedL1;
        net.Train();
        using (Tensor.NoGrad())
        {
            var (ab, logits) = net.ForwardWithLogits(batch.L);
            l1 = Losses.L1(ab, batch.AB).Item();
            ce = ClassLoss.CrossEntropy(logits, new ClassLoss(config.ClassLoss!, net.ClassHead!).Targets(batch.AB), weights).Item();
            weightedL1 = weights is null ? l1 : ColourRebalance.WeightedL1(ab, batch.AB, weights).Item();
        }

        var losses = run.Step(run.Schedule.Phases[0], batch);
        Assert.Equal(l1, losses.L1, 5);
        Assert.Equal(ce, losses.SumClass, 4);
        Assert.Equal((10 * weightedL1) + (2 * ce), losses.SumG, 3);

        Assert.InRange(ce, 1, 20);
    }

    [Fact]
    public void Run_WithTheClassHead_LogsTheCrossEntropy_AndInitFromATanhRunLeavesTheHeadOut()
    {
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        var config = ClassConfig() with { Split = new SplitConfig(1.0, 0.0) };
        string run = photos.Run("classes");
        var log = new StringWriter();
        var training = TrainingRun.Start(config, run, resume: false, log);
        var records = training.Train(PhotoDataset.Prepare(photos.Data, run, training.Config, TextWriter.Null));
        Assert.NotNull(Assert.Single(records).LossClass);
        using (var line = JsonDocument.Parse(File.ReadLines(Path.Combine(run, "metrics.jsonl")).Single()))
        {
            Assert.True(line.RootElement.GetProperty("lossClass").GetDouble() > 0);
        }

        Assert.Contains(", CE ", log.ToString(), StringComparison.Ordinal);

        // A tanh-head run of the same trunk starts a class-head run with everything but head.*.
        var tanhConfig = config with { ClassLoss = null, Generator = config.Generator with { Hyperparameters = TinyPhotos.Hyper("""{ "encoderDepth": 18, "width": 0.25, "selfAttention": false, "spectralNorm": false }""") } };
        string tanhRun = photos.Run("tanh");
        var tanh = TrainingRun.Start(tanhConfig, tanhRun, resume: false, TextWriter.Null);
        tanh.Train(PhotoDataset.Prepare(photos.Data, tanhRun, tanh.Config, TextWriter.Null));
        var initLog = new StringWriter();
        var fine = TrainingRun.Start(config with { Init = new InitConfig { Run = tanhRun } }, photos.Run("fine"), resume: false, initLog);
        Assert.Contains("head.*", initLog.ToString(), StringComparison.Ordinal);
        var source = tanh.GeneratorModule.StateDict();
        foreach (var (key, value) in fine.GeneratorModule.StateDict())
        {
            if (key.StartsWith("head.", StringComparison.Ordinal))
            {
                Assert.Equal(261, value.Shape[0]);
            }
            else
            {
                Assert.Equal(source[key].ToArray(), value.ToArray());
            }
        }
    }
}
