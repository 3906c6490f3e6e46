using System.Text.Json;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Tests;

/// <summary>
/// Loading a pack builds its network without drawing initial weights (<see cref="Generator.ForLoading"/>): every
/// parameter and buffer is loaded right after, so the network is the one a randomly initialised build would give.
/// </summary>
[Collection("EngineTensorOptions")]
public sealed class PackLoadingTests
{
    [Fact]
    public void Create_DrawsNothingFromTheDefaultGenerator_BeyondWhatTheOptimiserDraws()
    {
        // Serial collection: no other test draws from the default generator meanwhile. InferenceOptimizer.Optimize
        // builds each folded convolution with the default initialisation before setting its weights; the network's
        // own construction draws nothing.
        var pack = TestPacks.TinyResNetUnet(hints: false);
        var start = Generator.Default.GetState();
        CpuColorizer.Create(pack).Dispose();
        var afterCreate = Generator.Default.GetState();

        Generator.Default.SetState(start);
        var net = ArchitectureRegistry.Build(pack.Manifest.Architecture, ArchitectureRole.Generator, Generator.ForLoading()).Module;
        Assert.Equal(start, Generator.Default.GetState());
        net.LoadStateDict(Packs.WeightsLoader.Read(pack, net));
        net.Eval();
        InferenceOptimizer.Optimize(net);
        Assert.Equal(Generator.Default.GetState(), afterCreate);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NetworkBuiltForLoading_AfterTheLoad_GivesTheBitsOfARandomlyInitialisedOne(bool hints)
    {
        var spec = DefaultLayout(hints);
        var state = ArchitectureRegistry.Build(spec, ArchitectureRole.Generator, new Generator(11)).Module.StateDict();
        var random = ArchitectureRegistry.Build(spec, ArchitectureRole.Generator, new Generator(12)).Module;
        var zeros = ArchitectureRegistry.Build(spec, ArchitectureRole.Generator, Generator.ForLoading()).Module;
        Assert.All(zeros.StateDict().Where(kv => kv.Key.EndsWith(".weight_orig", StringComparison.Ordinal)), kv => Assert.All(kv.Value.ToArray(), v => Assert.Equal(0f, v)));

        var outputs = new List<float[]>();
        foreach (var net in new[] { random, zeros })
        {
            net.LoadStateDict(state);
            net.Eval();
            InferenceOptimizer.Optimize(net);
            using (Tensor.NoGrad())
            {
                var l = Tensor.Rand(new Generator(3), -1f, 1f, 1, 1, 64, 64);
                var input = hints ? Tensor.Cat([l, Tensor.Zeros(1, ResNetUnet.HintChannels, 64, 64)], 1) : l;
                outputs.Add(net.Call(input).ToArray());
            }
        }

        Assert.Equal(outputs[0], outputs[1]);
    }

    /// <summary>The default pack's layout (spectral norm, self-attention, ImageNet input) at a quarter of its width.</summary>
    private static ArchitectureSpec DefaultLayout(bool hints) => new()
    {
        Name = "resnet-unet",
        Version = 1,
        Hyperparameters = new Dictionary<string, JsonElement>
        {
            ["encoderDepth"] = JsonSerializer.SerializeToElement(18),
            ["layer4Blocks"] = JsonSerializer.SerializeToElement(3),
            ["imageNetInput"] = JsonSerializer.SerializeToElement(true),
            ["width"] = JsonSerializer.SerializeToElement(0.125),
            ["selfAttention"] = JsonSerializer.SerializeToElement(true),
            ["spectralNorm"] = JsonSerializer.SerializeToElement(true),
            ["hints"] = JsonSerializer.SerializeToElement(hints),
        },
    };
}
