using Colorize.Engine.Architectures;
using Colorize.Tensors;

namespace Colorize.Trainer.Tests;

/// <summary>
/// Training a resnet-unet with the <c>globalContext</c> block (issue 14): its own learning rate, and a run without the
/// block starting one with it (the block's output at zero, everything else copied).
/// </summary>
public sealed class GlobalContextTrainingTests
{
    private const string PlainHyper = """{ "encoderDepth": 18, "width": 0.25, "selfAttention": false, "spectralNorm": false }""";
    private const string GlobalHyper = """{ "encoderDepth": 18, "width": 0.25, "selfAttention": false, "spectralNorm": false, "globalContext": true }""";

    private static TrainConfig Config(string hyper, double multiplier = 1) => TinyPhotos.TinyConfig("unet-l1", 1) with
    {
        Generator = new Colorize.Abstractions.Packs.ArchitectureSpec { Name = "resnet-unet", Version = 1, Hyperparameters = TinyPhotos.Hyper(hyper) },
        GlobalContextLrMultiplier = multiplier,
        Split = new SplitConfig(1.0, 0.0),
    };

    [Fact]
    public void Validate_RefusesAMultiplierOutOfRange_OrWithoutTheBlock()
    {
        Assert.Contains("globalContextLrMultiplier", Assert.Throws<TrainerException>(() => Config(GlobalHyper, 0).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("globalContextLrMultiplier", Assert.Throws<TrainerException>(() => Config(GlobalHyper, 1001).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("\"globalContext\": true", Assert.Throws<TrainerException>(() => Config(PlainHyper, 10).Validate()).Message, StringComparison.Ordinal);
        Config(GlobalHyper, 10).Validate();
        Config(PlainHyper).Validate();
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(30.0)]
    public void Block_GetsItsOwnLearningRate_WhenAMultiplierIsSet(double multiplier)
    {
        var config = Config(GlobalHyper, multiplier);
        var generator = ArchitectureRegistry.Build(config.Generator, ArchitectureRole.Generator, new Generator(1));
        var named = generator.Module.NamedParameters().ToList();
        var groups = GeneratorParamGroups.Build(generator.Module, 1e-3, 0.9, 0.999, config, frozenEncoder: false);

        Assert.Equal(named.Count, groups.Sum(g => g.Parameters.Count));
        var rateOf = ParamGroupRates.Of(groups);
        Assert.Equal(4, named.Count(n => n.Name.StartsWith(GlobalContext.KeyPrefix, StringComparison.Ordinal)));
        foreach (var (name, parameter) in named)
        {
            double expected = name.StartsWith(GlobalContext.KeyPrefix, StringComparison.Ordinal) ? 1e-3 * multiplier : 1e-3;
            Assert.Equal(expected, rateOf[parameter], 12);
        }
    }

    [Fact]
    public void InitFromARunWithoutTheBlock_CopiesEverythingElse_AndStartsTheBlocksOutputAtZero()
    {
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        string plainRun = photos.Run("plain");
        var plain = TrainingRun.Start(Config(PlainHyper), plainRun, resume: false, TextWriter.Null);
        plain.Train(PhotoDataset.Prepare(photos.Data, plainRun, plain.Config, TextWriter.Null));

        var log = new StringWriter();
        var global = TrainingRun.Start(Config(GlobalHyper, 30) with { Init = new InitConfig { Run = plainRun } }, photos.Run("global"), resume: false, log);
        Assert.Contains("4 global-context tensors start fresh", log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hint-branch", log.ToString(), StringComparison.Ordinal);

        var source = plain.GeneratorModule.StateDict();
        foreach (var (key, value) in global.GeneratorModule.StateDict())
        {
            if (key.StartsWith(GlobalContext.KeyPrefix + "expand.", StringComparison.Ordinal))
            {
                Assert.All(value.ToArray(), v => Assert.Equal(0f, v));
            }
            else if (!key.StartsWith(GlobalContext.KeyPrefix, StringComparison.Ordinal))
            {
                Assert.Equal(source[key].ToArray(), value.ToArray());
            }
        }
    }
}
