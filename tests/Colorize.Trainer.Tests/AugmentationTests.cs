using Colorize.Tensors;

namespace Colorize.Trainer.Tests;

public sealed class AugmentationTests
{
    [Fact]
    public void Noise_Off_ChangesNothing_AndDrawsNothing()
    {
        var batch = MakeBatch();
        var before = batch.L.ToArray();
        var random = new Generator(5);
        var state = random.GetState();
        NoiseAugmentation.Apply(batch, null, random);
        Assert.Equal(before, batch.L.ToArray());
        Assert.Equal(state, random.GetState());
    }

    [Fact]
    public void Noise_On_DegradesLOnly_WithinRange_AndTheSameWayForTheSameSeed()
    {
        var config = new NoiseConfig { Probability = 1, GaussianSigma = 8, JpegProbability = 1, JpegQualityMin = 10, JpegQualityMax = 30 };
        var a = MakeBatch();
        var b = MakeBatch();
        var clean = a.L.ToArray();
        var ab = a.AB.ToArray();
        NoiseAugmentation.Apply(a, config, new Generator(9));
        NoiseAugmentation.Apply(b, config, new Generator(9));

        Assert.Equal(a.L.ToArray(), b.L.ToArray());
        Assert.Equal(ab, a.AB.ToArray());
        Assert.All(a.L.ToArray(), v => Assert.InRange(v, -1f, 1f));
        double meanAbsChange = a.L.ToArray().Zip(clean, (x, y) => Math.Abs(x - y)).Average();
        Assert.True(meanAbsChange > 0.01, $"L barely changed ({meanAbsChange})");
    }

    [Fact]
    public void Config_RejectsBadNoiseAndPlateauSettings_AndRecipesLeaveBothOff()
    {
        var recipe = RecipeCatalog.Load("pix2pix");
        Assert.Null(recipe.Noise);
        Assert.Null(recipe.LrDecayOnPlateau);
        Assert.Throws<TrainerException>(() => (recipe with { Noise = new NoiseConfig { Probability = 2 } }).Validate());
        Assert.Throws<TrainerException>(() => (recipe with { Noise = new NoiseConfig { JpegQualityMin = 80, JpegQualityMax = 20 } }).Validate());
        Assert.Throws<TrainerException>(() => (recipe with { LrDecayOnPlateau = new LrPlateauConfig { Metric = "ssim" } }).Validate());
        Assert.Throws<TrainerException>(() => (recipe with { LrDecayOnPlateau = new LrPlateauConfig { Factor = 1 } }).Validate());
        (recipe with { Noise = new NoiseConfig(), LrDecayOnPlateau = new LrPlateauConfig() }).Validate();
    }

    [Fact]
    public void LrPlateau_LowersTheRateAfterPatienceFlatEpochs_AndRestoresItsCounters()
    {
        var p = new[] { Tensor.Zeros(2) };
        var optimizer = new Colorize.Tensors.Optim.Adam(p, 0.01);
        var plateau = new LrPlateau(new LrPlateauConfig { Metric = "psnr", Factor = 0.5, Patience = 1 }, optimizer, null);
        Assert.False(plateau.Step(Metrics(20)));
        Assert.False(plateau.Step(Metrics(20))); // one flat epoch is tolerated
        Assert.True(plateau.Step(Metrics(19)));
        Assert.Equal(0.005, optimizer.ParamGroups[0].LearningRate, 12);

        var copy = new LrPlateau(new LrPlateauConfig { Metric = "psnr", Factor = 0.5, Patience = 1 }, new Colorize.Tensors.Optim.Adam(p, 0.01), null);
        copy.Restore(plateau.State);
        Assert.Equal(plateau.State, copy.State);
    }

    private static ValidationMetrics Metrics(double psnr) => new(psnr, 10, 5, 1, 2, 1, 1);

    private static Batch MakeBatch()
    {
        const int n = 2, s = 16;
        var l = new float[n * s * s];
        var ab = new float[n * 2 * s * s];
        for (int i = 0; i < l.Length; i++)
        {
            l[i] = (i % s) / (float)s * 1.6f - 0.8f;
        }

        for (int i = 0; i < ab.Length; i++)
        {
            ab[i] = (i % 7) / 10f;
        }

        return new Batch(Tensor.Wrap(l, n, 1, s, s), Tensor.Wrap(ab, n, 2, s, s));
    }
}
