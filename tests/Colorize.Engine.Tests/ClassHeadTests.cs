using System.Text.Json;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Engine.Tests.Golden;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Tests;

/// <summary>
/// resnet-unet's classification head (abHead "classes", issue 14): its bins, its hyperparameters, its place in the
/// state dict and what it decodes to. Its parity with PyTorch (forward, gradients) is in the golden tests
/// (<c>resnet_unet18_classes</c>).
/// </summary>
[Collection("EngineTensorOptions")]
public sealed class ClassHeadTests
{
    private static ArchitectureSpec Spec(params (string Name, object Value)[] extra)
    {
        var hyper = new Dictionary<string, JsonElement>
        {
            ["encoderDepth"] = JsonSerializer.SerializeToElement(18),
            ["width"] = JsonSerializer.SerializeToElement(0.25),
            ["selfAttention"] = JsonSerializer.SerializeToElement(false),
        };
        foreach (var (name, value) in extra)
        {
            hyper[name] = JsonSerializer.SerializeToElement(value);
        }

        return new ArchitectureSpec { Name = "resnet-unet", Version = 1, Hyperparameters = hyper };
    }

    [Fact]
    public void Gamut_IsTheBinsTheGoldenScriptComputed()
    {
        // The script computes the gamut from the colour-space formulas in numpy; the engine's own computation must
        // give the same set, in the same (a-major) order, since the class index is the position in it.
        var expected = ArchitectureFixture.Open("resnet_unet18_classes").Get("classes/centres").ToArray();
        var centres = AbGamut.Centres(10);
        Assert.Equal(261, centres.Length);
        Assert.Equal(expected, centres.SelectMany(c => new float[] { c.A, c.B }).ToArray());
    }

    [Fact]
    public void ClassHead_HasOneLogitPerBin_AndNothingElseInTheStateDict()
    {
        var tanh = ArchitectureRegistry.Build(Spec(), ArchitectureRole.Generator, new Generator(3)).Module.StateDict();
        var classes = ArchitectureRegistry.Build(Spec(("abHead", "classes")), ArchitectureRole.Generator, new Generator(3)).Module.StateDict();
        static bool IsHead(string key) => key.StartsWith("head.", StringComparison.Ordinal);

        // The trunk is the same; the head is a plain 1×1 convolution with one output per bin (no spectral norm's
        // weight_orig/u/v even where the tanh head has them: it would cap the logits' spread).
        Assert.Equal(tanh.Keys.Where(k => !IsHead(k)), classes.Keys.Where(k => !IsHead(k)));
        foreach (var (key, value) in tanh.Where(kv => !IsHead(kv.Key)))
        {
            Assert.Equal(value.GetShape(), classes[key].GetShape());
        }

        Assert.Equal(["head.bias", "head.weight"], classes.Keys.Where(IsHead).Order());
        Assert.Equal([261, tanh.Single(kv => kv.Key is "head.weight" or "head.weight_orig").Value.Shape[1], 1, 1], classes["head.weight"].GetShape());
        Assert.Equal([261], classes["head.bias"].GetShape());
    }

    [Fact]
    public void Decode_IsTheAnnealedMeanOfTheCentres()
    {
        var head = new AbClassHead(10, 0.5f);
        int q = head.Count;
        // Pixel 0: one dominant logit (the output is nearly its centre); pixel 1: two equal logits, the others far
        // below (the midpoint of the two centres); pixel 2: all equal (the plain mean of every centre).
        var logits = Tensor.Full(-40f, 1, q, 1, 3);
        int green = IndexOf(head, -40, 40), brown = IndexOf(head, 10, 40);
        logits[0, green, 0, 0] = 10f;
        logits[0, green, 0, 1] = 3f;
        logits[0, brown, 0, 1] = 3f;
        for (int c = 0; c < q; c++)
        {
            logits[0, c, 0, 2] = 1f;
        }

        var ab = head.Decode(logits);
        Assert.Equal([1, 2, 1, 3], ab.GetShape());
        Assert.Equal(-40 / 110.0, ab[0, 0, 0, 0], 5);
        Assert.Equal(40 / 110.0, ab[0, 1, 0, 0], 5);
        Assert.Equal(-15 / 110.0, ab[0, 0, 0, 1], 5);
        Assert.Equal(40 / 110.0, ab[0, 1, 0, 1], 5);
        Assert.Equal(head.Centres.Average(c => c.A) / 110.0, ab[0, 0, 0, 2], 5);
        Assert.Equal(head.Centres.Average(c => c.B) / 110.0, ab[0, 1, 0, 2], 5);
    }

    [Fact]
    public void Temperature_SharpensTowardsTheMode()
    {
        // Two logits 1 apart: at T 1 the mean lies between the centres by e:1, at T 0.38 much closer to the larger.
        var logits = Tensor.Full(-40f, 1, 261, 1, 1);
        var cold = new AbClassHead(10, 0.38f);
        var plain = new AbClassHead(10, 1f);
        int a = IndexOf(plain, 0, 60), b = IndexOf(plain, 0, -40);
        logits[0, a, 0, 0] = 1f;
        logits[0, b, 0, 0] = 0f;
        double wPlain = 1 / (1 + Math.Exp(-1)), wCold = 1 / (1 + Math.Exp(-1 / 0.38));
        Assert.Equal(((60 * wPlain) - (40 * (1 - wPlain))) / 110, plain.Decode(logits)[0, 1, 0, 0], 5);
        Assert.Equal(((60 * wCold) - (40 * (1 - wCold))) / 110, cold.Decode(logits)[0, 1, 0, 0], 5);
    }

    [Fact]
    public void ForwardWithLogits_GivesForwardsOutputAndItsLogits_TheTanhHeadNone()
    {
        var built = ArchitectureRegistry.Build(Spec(("abHead", "classes"), ("spectralNorm", false)), ArchitectureRole.Generator, new Generator(4));
        var net = Assert.IsType<ResNetUnet>(built.Module);
        net.Eval();
        var x = Tensor.Rand(new Generator(6), -1f, 1f, 1, 1, 32, 64);
        using (Tensor.NoGrad())
        {
            var (ab, logits) = net.ForwardWithLogits(x);
            Assert.Equal([1, 261, 32, 64], logits.GetShape());
            Assert.Equal(net.ClassHead!.Decode(logits).ToArray(), ab.ToArray());

            // Call without autograd takes the fused head (no logits planes): the same colours to rounding.
            float[] fused = net.Call(x).ToArray(), unfused = ab.ToArray();
            Assert.Equal(unfused.Length, fused.Length);
            Assert.All(Enumerable.Range(0, fused.Length), i => Assert.True(MathF.Abs(fused[i] - unfused[i]) <= 1e-5f, $"element {i}: {fused[i]} against {unfused[i]}"));
        }

        var tanh = Assert.IsType<ResNetUnet>(ArchitectureRegistry.Build(Spec(), ArchitectureRole.Generator, new Generator(4)).Module);
        Assert.Null(tanh.ClassHead);
        Assert.Throws<InvalidOperationException>(() => tanh.ForwardWithLogits(x));
    }

    [Fact]
    public void FusedDecode_IsTheUnfusedDecode_ForLogitsOfLargeSpread_WithTheSameBitsForAnyThreadCount()
    {
        // The fused inference path takes the trunk's features and the head convolution; an identity convolution makes
        // its logits exactly the random ones here, ±50 (±130 after 1/T): exp of them overflows unless the maximum is
        // subtracted first. 37×45 positions cross the kernel's 256-position tiles; two images.
        var head = new AbClassHead();
        int q = head.Count;
        var logits = Tensor.Rand(new Generator(14), -50f, 50f, 2, q, 37, 45);
        var identity = new Conv2d(q, q, 1, bias: false);
        identity.Weight.Data.Clear();
        for (int c = 0; c < q; c++)
        {
            identity.Weight[c, c, 0, 0] = 1f;
        }

        float[] expected;
        using (Tensor.NoGrad())
        {
            expected = head.Decode(logits).ToArray();
        }

        float[]? first = null;
        foreach (int threads in new[] { 1, 2 })
        {
            int saved = TensorOptions.NumThreads;
            try
            {
                TensorOptions.NumThreads = threads;
                float[] actual;
                using (Tensor.NoGrad())
                {
                    actual = head.Decode(logits, identity).ToArray();
                }

                Assert.Equal(expected.Length, actual.Length);
                Assert.All(Enumerable.Range(0, actual.Length), i => Assert.True(MathF.Abs(actual[i] - expected[i]) <= 1e-5f, $"element {i}: {actual[i]} against {expected[i]}"));
                first ??= actual;
                Assert.Equal(first, actual);
            }
            finally
            {
                TensorOptions.NumThreads = saved;
            }
        }

        // With autograd recording, Decode(features, head) is the unfused ops: the same bits as Decode(head(features)).
        var features = logits.Detach().SetRequiresGrad();
        var recorded = head.Decode(features, identity);
        Assert.False(recorded.IsLeaf);
        Assert.Equal(head.Decode(identity.Call(features)).ToArray(), recorded.ToArray());
    }

    [Theory]
    [InlineData("abHead", "softmax", "'abHead' must be one of tanh, classes")]
    [InlineData("abBinSize", 10, "'abBinSize' applies only with abHead \"classes\"")]
    [InlineData("annealTemperature", 0.38, "'annealTemperature' applies only with abHead \"classes\"")]
    public void TanhHead_RefusesClassSettings(string name, object value, string message)
    {
        var e = Assert.Throws<ModelPackException>(() => ArchitectureRegistry.Build(Spec((name, value)), ArchitectureRole.Generator));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abBinSize", 4)]
    [InlineData("abBinSize", 56)]
    [InlineData("abBinSize", 10.5)]
    [InlineData("annealTemperature", 0)]
    [InlineData("annealTemperature", 11)]
    [InlineData("annealTemperature", "cold")]
    public void ClassHead_RefusesOutOfRangeSettings_NamingThem(string name, object value)
    {
        var e = Assert.Throws<ModelPackException>(() => ArchitectureRegistry.Build(Spec(("abHead", "classes"), (name, value)), ArchitectureRole.Generator));
        Assert.Contains($"'{name}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClassHead_TakesOtherBinsAndTemperature()
    {
        var built = ArchitectureRegistry.Build(Spec(("abHead", "classes"), ("abBinSize", 20), ("annealTemperature", 1)), ArchitectureRole.Generator);
        var head = Assert.IsType<ResNetUnet>(built.Module).ClassHead!;
        Assert.Equal((20, 1f), (head.BinSize, head.Temperature));
        Assert.Equal(AbGamut.Centres(20).Length, head.Count);
    }

    private static int IndexOf(AbClassHead head, int a, int b)
    {
        for (int q = 0; q < head.Count; q++)
        {
            if (head.Centres[q] == (a, b))
            {
                return q;
            }
        }

        throw new InvalidOperationException($"no bin at a {a}, b {b}");
    }
}
