using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Plugins.Packs;
using Colorize.Plugins.Tests.Infrastructure;

namespace Colorize.Plugins.Tests;

/// <summary>Installs checked by engines loaded from their plugin folders, and the end-to-end path to a colour photo.</summary>
[Collection(EnginesGroup.Name)]
public sealed class EngineCheckedInstallTests(EnginesFixture engines) : IDisposable
{
    private readonly TestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("unknown-architecture", "is not one this engine runs")]
    [InlineData("engine-range", "the pack needs engine >=99.0.0")]
    [InlineData("nan", "non-finite value")]
    [InlineData("infinity", "non-finite value")]
    [InlineData("wrong-shape", "has shape [8, 1, 3, 3]")]
    [InlineData("missing-tensor", "missing 1 tensor(s): model.model.3.bias")]
    [InlineData("unexpected-tensor", "unexpected 1 tensor(s): model.extra.weight")]
    [InlineData("dtype-mismatch", "the manifest declares F16")]
    [InlineData("hyperparameters-mismatch", "has shape")]
    [InlineData("not-safetensors", "not valid safetensors")]
    public void PackTheEngineCannotRun_IsRefused_AndTheStoreIsUnchanged(string kind, string expected)
    {
        var store = NewStore();
        store.Install(PackBuilder.Echo().Write(_temp.Path), [engines.Echo]);
        string before = StoreSnapshot.Take(store.Home);
        var pack = kind switch
        {
            "unknown-architecture" => Modify(PackBuilder.Pix2Pix(), m => m["architecture"]!["name"] = "no-such-net"),
            "engine-range" => PackBuilder.Pix2Pix(engineRange: ">=99.0.0"),
            "nan" => PackBuilder.Pix2Pix(mutate: t => t[0].Values[5] = float.NaN),
            "infinity" => PackBuilder.Pix2Pix(mutate: t => t[^3].Values[0] = float.NegativeInfinity),
            "wrong-shape" => PackBuilder.Pix2Pix(mutate: t => t[0] = t[0] with { Shape = [8, 1, 3, 3], Values = new float[72] }),
            "missing-tensor" => PackBuilder.Pix2Pix(mutate: t => t.RemoveAll(x => x.Name == "model.model.3.bias")),
            "unexpected-tensor" => PackBuilder.Pix2Pix(mutate: t => t.Add(new SafeTensorsWriter.Tensor("model.extra.weight", [2], [1f, 2f]))),
            "dtype-mismatch" => Modify(PackBuilder.Pix2Pix(), m => m["weights"]!["dtype"] = "F16"),
            "hyperparameters-mismatch" => Modify(PackBuilder.Pix2Pix(), m => m["architecture"]!["hyperparameters"]!["ngf"] = 16),
            "not-safetensors" => WithWeights(PackBuilder.Pix2Pix(), "this is not a safetensors file"u8.ToArray()),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var error = Assert.Throws<ModelPackException>(() => store.Install(pack.Write(_temp.Path), [engines.Echo, engines.Cpu]));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("tiny-unet@1.0.0", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, StoreSnapshot.Take(store.Home));
    }

    [Fact]
    public void EveryEngineRefusing_NamesEachEnginesReason()
    {
        var store = NewStore();
        var pack = Modify(PackBuilder.Pix2Pix(), m => m["architecture"]!["name"] = "no-such-net");

        var error = Assert.Throws<ModelPackException>(() => store.Install(pack.Write(_temp.Path), [engines.Echo, engines.Cpu]));

        Assert.Contains("test-echo 1.0.0: architecture 'no-such-net' is not echo-net v1", error.Message, StringComparison.Ordinal);
        Assert.Contains("colorize-cpu", error.Message, StringComparison.Ordinal);
        Assert.Empty(store.List());
    }

    [Fact]
    public void NoEngineLoaded_RefusesThePack()
    {
        var store = NewStore();

        var error = Assert.Throws<ModelPackException>(() => store.Install(PackBuilder.Echo().Write(_temp.Path), []));

        Assert.Contains("no colorization engine is loaded", error.Message, StringComparison.Ordinal);
        Assert.Empty(store.List());
    }

    [Fact]
    public void EndToEnd_InstallResolveLoadWithThePluginEngine_ColorizesAGrayImage()
    {
        var store = NewStore();
        var stages = new List<PackInstallStage>();
        store.Install(PackBuilder.Pix2Pix().Write(_temp.Path), new PackInstallOptions { Engines = [engines.Echo, engines.Cpu], Progress = new SyncProgress<PackInstallStage>(stages.Add) });
        Assert.Equal([PackInstallStage.ManifestRead, PackInstallStage.Extracted, PackInstallStage.EngineChecked, PackInstallStage.Installed], stages);

        var pack = store.Resolve("tiny-unet");
        var factory = new ColorizerFactory(store, [engines.Echo, engines.Cpu]);
        Assert.Same(engines.Cpu, ColorizerFactory.SelectEngine(factory.Engines, pack.Manifest));
        using var colorizer = factory.Create("tiny-unet@1");

        // A gray ramp with a bright disc: structure for the network to respond to.
        const int width = 80, height = 56;
        var source = PixelBuffer.Allocate(width, height, PixelFormat.Gray8);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bool disc = ((x - 50) * (x - 50)) + ((y - 28) * (y - 28)) < 200;
                source.GetRow(y)[x] = (byte)(disc ? 230 : 30 + (x * 2));
            }
        }

        var first = PixelBuffer.Allocate(width, height, PixelFormat.Rgb24);
        var second = PixelBuffer.Allocate(width, height, PixelFormat.Rgb24);
        colorizer.Colorize(source, first, new ColorizeOptions { RenderSize = 64 });
        colorizer.Colorize(source, second, new ColorizeOptions { RenderSize = 64 });

        Assert.Equal(first.Memory.ToArray(), second.Memory.ToArray());
        double chroma = 0, lightnessError = 0;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                var rgb = first.GetRow(y).Slice(x * 3, 3);
                chroma += Math.Max(rgb[0], Math.Max(rgb[1], rgb[2])) - Math.Min(rgb[0], Math.Min(rgb[1], rgb[2]));
                lightnessError += Math.Abs(Lightness(rgb[0], rgb[1], rgb[2]) - Lightness(source.GetRow(y)[x], source.GetRow(y)[x], source.GetRow(y)[x]));
            }
        }

        int pixels = width * height;
        // The output is colour, yet keeps the photo's lightness (CIE L*, computed here from the sRGB formulas).
        Assert.True(chroma / pixels > 2, $"mean chroma {chroma / pixels:0.00} of 255: the output is still gray");
        Assert.True(lightnessError / pixels < 3, $"mean |ΔL*| {lightnessError / pixels:0.00}: lightness was not kept");
    }

    /// <summary>CIE L* of an sRGB colour (IEC 61966-2-1 decoding, Rec. 709 luminance, CIE 1976 lightness).</summary>
    private static double Lightness(byte r, byte g, byte b)
    {
        static double Linear(byte c) => c / 255.0 is var v && v <= 0.04045 ? v / 12.92 : Math.Pow((v + 0.055) / 1.055, 2.4);
        double y = (0.2126 * Linear(r)) + (0.7152 * Linear(g)) + (0.0722 * Linear(b));
        return y > 216.0 / 24389 ? (116 * Math.Cbrt(y)) - 16 : y * 24389 / 27;
    }

    private PackStore NewStore() => new(new PackStoreOptions { Home = _temp.Combine("home"), UseApplicationPacksFolder = false });

    private static PackBuilder Modify(PackBuilder builder, Action<System.Text.Json.Nodes.JsonObject> edit)
    {
        edit(builder.Manifest);
        return builder;
    }

    private static PackBuilder WithWeights(PackBuilder builder, byte[] weights)
    {
        builder.Files["weights.safetensors"] = weights;
        return builder;
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread, unlike <see cref="Progress{T}"/>.</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
