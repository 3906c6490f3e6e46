using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Tensors.Tests.Modules;

/// <summary><see cref="Generator.ForLoading"/>: fills draw nothing, single draws stay random, forks inherit it.</summary>
public sealed class GeneratorForLoadingTests
{
    [Fact]
    public void Fills_LeaveTheDestination_AndInitialisersGiveZeros()
    {
        var g = Generator.ForLoading();
        Assert.True(g.SkipsFills);
        var values = new[] { 1f, 2f, 3f };
        g.FillNormal(values, 0f, 1f);
        g.FillUniform(values, -1f, 1f);
        Assert.Equal([1f, 2f, 3f], values);

        var conv = SpectralNorm.Apply(new Conv2d(3, 8, 3, generator: g), generator: g);
        Init.KaimingNormal(conv.StateDict()["weight_orig"], generator: g);
        Assert.All(conv.StateDict().Values.SelectMany(t => t.ToArray()), v => Assert.Equal(0f, v));
        Assert.All(Tensor.Randn(g, 16).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(Tensor.Rand(g.Fork(), 16).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void SingleDraws_AreThoseOfSeedZero_AndAnOrdinaryGeneratorStillFills()
    {
        var loading = Generator.ForLoading();
        var seeded = new Generator(0);
        Assert.Equal(seeded.NextUInt64(), loading.NextUInt64());
        Assert.Equal(seeded.NextNormal(), loading.NextNormal());
        Assert.Equal(seeded.NextFloat(), loading.NextFloat());
        Assert.False(seeded.SkipsFills);
        Assert.False(seeded.Fork().SkipsFills);
        Assert.Contains(Tensor.Randn(seeded, 16).ToArray(), v => v != 0f);
    }
}
