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

    [Theory]
    [InlineData("F32", false)]
    [InlineData("F16", false)]
    [InlineData("F16", true)]
    public void LoadInto_GivesTheStateOfReadAndLoadStateDict(string dtype, bool unseekable)
    {
        var pack = TestPacks.TinyPix2Pix(dtype: dtype, f32Statistics: dtype == "F16");
        IModelPackContent source = unseekable ? new UnseekablePack(pack) : pack;
        var spec = pack.Manifest.Architecture;
        var viaRead = ArchitectureRegistry.Build(spec, ArchitectureRole.Generator, new Generator(5)).Module;
        viaRead.LoadStateDict(Packs.WeightsLoader.Read(pack, viaRead));
        var direct = ArchitectureRegistry.Build(spec, ArchitectureRole.Generator, Generator.ForLoading()).Module;
        Packs.WeightsLoader.LoadInto(source, direct);

        var expected = viaRead.StateDict();
        var actual = direct.StateDict();
        Assert.Equal(expected.Keys, actual.Keys);
        Assert.All(expected, kv => Assert.Equal(kv.Value.ToArray(), actual[kv.Key].ToArray()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(1000)]
    [InlineData(1036)]
    public void IndexOfNonFinite_FindsTheFirstNaNOrInfinity_InTheVectorsAndTheTail(int at)
    {
        var values = Enumerable.Range(0, 1037).Select(i => (i - 500) * 1e35f).ToArray();
        values[1] = float.MaxValue;
        values[2] = -float.Epsilon;
        Assert.Equal(-1, Packs.WeightsLoader.IndexOfNonFinite(values));
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.UInt32BitsToSingle(0xFFC0_0001) })
        {
            var copy = (float[])values.Clone();
            copy[at] = bad;
            copy[^1] = float.NaN;
            Assert.Equal(at, Packs.WeightsLoader.IndexOfNonFinite(copy));
        }
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

/// <summary>A pack whose files come as streams that cannot seek (the loader then reads them with a size bound).</summary>
internal sealed class UnseekablePack(IModelPackContent inner) : IModelPackContent
{
    public PackManifest Manifest => inner.Manifest;

    public Stream OpenFile(string name) => new Unseekable(inner.OpenFile(name));

    private sealed class Unseekable(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
