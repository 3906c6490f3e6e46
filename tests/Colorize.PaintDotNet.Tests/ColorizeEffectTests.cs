using System.Diagnostics;
using System.Reflection;
using Colorize.Abstractions;
using Colorize.Plugins;
using Colorize.Plugins.Packs;
using PaintDotNet;
using PaintDotNet.Effects;
using PaintDotNet.Imaging;
using PaintDotNet.PropertySystem;
using PaintDotNet.Rendering;
using PdnSdk.Hosting;
using ColorizeImage = Colorize.Imaging.Image;
using ColorizePixelFormat = Colorize.Abstractions.PixelFormat;

namespace Colorize.PaintDotNet.Tests;

/// <summary>
/// The installed effect driven as Paint.NET drives it, compared pixel for pixel with what the <c>colorize</c> app
/// writes for the same image, pack and options.
/// </summary>
[Collection(EffectFixture.Name)]
public sealed class ColorizeEffectTests(EffectInstallation install)
{
    // The names are the dialog's labels; a test written against them notices when a label changes.
    private const string Pack = "Model pack";
    private const string RenderSize = "Render size (0 = pack default)";
    private const string Strength = "Colour strength";
    private const string KeepLuminance = "Keep original luminance";

    [Fact]
    public void TheEffect_IsColorizeInThePhotoSubmenu_ConfigurableWithSupportInfo()
    {
        using var renderer = new PdnLikeRenderer(install.CreateEffect(), Layer(8, 8));

        Assert.Equal("Colorize", renderer.Host.Name);
        Assert.Equal(SubmenuNames.Photo, renderer.Host.SubmenuName);
        Assert.True(renderer.Host.Options.IsConfigurable);
        Assert.True(install.EffectType.IsSealed);
        var info = Assert.IsAssignableFrom<IPluginSupportInfo>(install.EffectType.GetCustomAttributes(inherit: false).Single(a => a is PluginSupportInfoAttribute));
        Assert.Equal("Colorize", info.DisplayName);
        Assert.Equal(new Version(0, 1, 0, 0), info.Version);
    }

    [Fact]
    public void ThePropertyCollection_OffersThePacksBesideTheEffect_WithTheDocumentedDefaults()
    {
        using var renderer = new PdnLikeRenderer(install.CreateEffect(), Layer(8, 8));
        var props = renderer.Properties;

        Assert.Equal([Pack, RenderSize, Strength, KeepLuminance, "Hint layer"], props.PropertyNames);
        var pack = Assert.IsType<StaticListChoiceProperty>(props[Pack]);
        Assert.Equal([EffectInstallation.PackReference], pack.ValueChoices);
        Assert.Equal(EffectInstallation.PackReference, pack.Value);
        var size = Assert.IsType<Int32Property>(props[RenderSize]);
        Assert.Equal((0, 0, 4096), (size.Value, size.MinValue, size.MaxValue));
        var strength = Assert.IsType<DoubleProperty>(props[Strength]);
        Assert.Equal((1.0, 0.0, 2.0), (strength.Value, strength.MinValue, strength.MaxValue));
        Assert.True(Assert.IsType<BooleanProperty>(props[KeepLuminance]).Value);
        // A one-layer document has no other layer to read hints from.
        var hints = Assert.IsType<StaticListChoiceProperty>(props["Hint layer"]);
        Assert.Equal(["none"], hints.ValueChoices);
        Assert.Equal("none", hints.Value);
    }

    [Fact]
    public void ParallelTiles_EqualTheColorizeApp_BitForBit_AndFollowATokenChangeMidway()
    {
        var layer = Layer(300, 213);
        string png = WritePng(layer, "tokens.png");
        using var renderer = new PdnLikeRenderer(install.CreateEffect(), layer);
        var all = Selection.All(layer.Size);

        renderer.With(RenderSize, 96).With(Strength, 1.0).SetToken();
        var first = renderer.Render(all);
        Assert.Equal(PdnLikeRenderer.Tiles(all.Bounds).Count, first.TilesRendered);
        var cliStrength1 = RunCli(png, 96, "1");
        AssertMatches(cliStrength1, layer, all, first.Canvas);
        Assert.NotEqual(layer.Pixels.ToArray(), first.Canvas.Pixels.ToArray());

        // The user moves the strength slider while tiles are still rendering: Paint.NET sets the new token and
        // renders everything again on top of the half-finished canvas.
        var halfway = renderer.Render(all, tileCount: 3);
        renderer.With(Strength, 0.5).SetToken();
        var second = renderer.Render(all, canvas: halfway.Canvas);
        AssertMatches(RunCli(png, 96, "0.5"), layer, all, second.Canvas);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 5)]
    [InlineData(129, 3)]
    public void TinyAndOddLayers_EqualTheColorizeApp(int width, int height)
    {
        var layer = Layer(width, height);
        string png = WritePng(layer, $"odd-{width}x{height}.png");
        using var renderer = new PdnLikeRenderer(install.CreateEffect(), layer);
        var all = Selection.All(layer.Size);

        renderer.With(RenderSize, 32).SetToken();
        var outcome = renderer.Render(all);

        Assert.Equal(PdnLikeRenderer.Tiles(all.Bounds).Count, outcome.TilesRendered);
        AssertMatches(RunCli(png, 32, "1"), layer, all, outcome.Canvas);
    }

    [Fact]
    public void TheSelection_ClipsTheOutput_PixelsOutsideKeepTheSource()
    {
        var layer = Layer(260, 190);
        string png = WritePng(layer, "selection.png");
        using var renderer = new PdnLikeRenderer(install.CreateEffect(), layer);
        var ellipse = Selection.Ellipse(new RectInt32(37, 21, 170, 150));

        renderer.With(RenderSize, 64).With(Strength, 1.25).SetToken();
        var outcome = renderer.Render(ellipse);

        Assert.Equal(4, outcome.TilesRendered);
        AssertMatches(RunCli(png, 64, "1.25"), layer, ellipse, outcome.Canvas);
        Assert.False(ellipse.Contains(37, 21));
        Assert.Equal(layer[37, 21], outcome.Canvas[37, 21]);
        Assert.NotEqual(layer[120, 95], outcome.Canvas[120, 95]);
    }

    [Fact]
    public async Task Cancelling_StopsTheTokenAndTheRender_AndTheNextTokenRendersCorrectly()
    {
        var layer = Layer(1100, 800);
        string png = WritePng(layer, "cancel.png");
        using var renderer = new PdnLikeRenderer(install.CreateEffect(), layer);
        var all = Selection.All(layer.Size);
        renderer.With(RenderSize, 256);

        // Cancelled while the network runs: OnSetToken returns (no exception), and rendering the cancelled token
        // writes nothing, as Paint.NET expects of a cancelled effect.
        var work = renderer.SetTokenOnWorkerThread();
        renderer.Host.RequestCancel();
        await work.WaitAsync(TimeSpan.FromSeconds(60));
        var cancelled = renderer.Render(all);
        Assert.Equal(0, cancelled.TilesRendered);

        // A complete token, then a cancelled render: every tile returns without writing.
        renderer.SetToken();
        renderer.Host.RequestCancel();
        Assert.Equal(0, renderer.Render(all).TilesRendered);

        // Nothing was left half-done: the next token's render is exactly the app's result.
        renderer.SetToken();
        var outcome = renderer.Render(all);
        Assert.Equal(PdnLikeRenderer.Tiles(all.Bounds).Count, outcome.TilesRendered);
        AssertMatches(RunCli(png, 256, "1"), layer, all, outcome.Canvas);
    }

    [Fact]
    public void PackDefaultRenderSize_AndLuminanceOff_ReachTheEngine()
    {
        var layer = Layer(150, 100);
        using var renderer = new PdnLikeRenderer(install.CreateEffect(), layer);
        renderer.With(RenderSize, 0).With(Strength, 2.0).With(KeepLuminance, false).SetToken();
        var outcome = renderer.Render(Selection.All(layer.Size));

        // The same engine plugin and pack, called directly with the options the dialog stands for.
        using var loader = new PluginLoader();
        loader.LoadAll([Path.Combine(install.EffectFolder, "plugins")]);
        var store = new PackStore(new PackStoreOptions { Home = Path.Combine(install.Root, "direct-home"), UseApplicationPacksFolder = false, BundledFolders = { Path.Combine(install.EffectFolder, "packs") } });
        using var colorizer = Assert.Single(loader.Engines).Load(store.Resolve(EffectInstallation.PackReference));
        byte[] Direct(bool keep)
        {
            var buffer = PixelBuffer.Allocate(layer.Width, layer.Height, ColorizePixelFormat.Bgra32);
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(layer.Pixels).CopyTo(buffer.Memory.Span);
            colorizer.Colorize(buffer, buffer, new ColorizeOptions { RenderSize = null, Strength = 2f, KeepOriginalLuminance = keep });
            return buffer.Memory.ToArray();
        }

        // At strength 2 some colours leave the sRGB gamut, where the two settings differ (chroma lowered at constant L
        // versus per-channel clipping): the effect's bits must be the "off" ones, not the default's.
        byte[] rendered = System.Runtime.InteropServices.MemoryMarshal.AsBytes(outcome.Canvas.Pixels).ToArray();
        Assert.Equal(Direct(keep: false), rendered);
        Assert.NotEqual(Direct(keep: true), rendered);
    }

    [Fact]
    public void WithNoPackAnywhere_TheDialogSaysSo_AndSettingTheTokenExplainsWhere()
    {
        string folder = install.Install(Path.Combine(install.Root, "Effects-nopacks", "Colorize"), withPack: false);
        var effect = (PropertyBasedBitmapEffect)Activator.CreateInstance(EffectInstallation.LoadEffectType(folder))!;
        using var renderer = new PdnLikeRenderer(effect, Layer(8, 8));

        Assert.Equal(["(no model pack found)"], Assert.IsType<StaticListChoiceProperty>(renderer.Properties[Pack]).ValueChoices);
        var error = Assert.Throws<InvalidOperationException>(renderer.SetToken);
        Assert.Contains(Path.Combine(folder, "packs"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheBuildOutput_IsASelfContainedEffectsFolder()
    {
        string built = EffectInstallation.BuiltEffectFolder;
        string[] top = [.. Directory.GetFiles(built).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

        Assert.Contains("Colorize.PaintDotNet.dll", top);
        Assert.Contains("Colorize.PaintDotNet.deps.json", top);
        Assert.Contains("Colorize.Plugins.dll", top);
        Assert.Contains("Colorize.Abstractions.dll", top);
        Assert.Contains("Microsoft.Extensions.DependencyInjection.dll", top);
        // Paint.NET provides its own assemblies, and the engine is a plugin, never beside the effect.
        Assert.DoesNotContain(top, f => f!.StartsWith("PaintDotNet.", StringComparison.Ordinal));
        Assert.DoesNotContain("Colorize.Engine.dll", top);
        Assert.DoesNotContain("\"PaintDotNet.", File.ReadAllText(Path.Combine(built, "Colorize.PaintDotNet.deps.json")), StringComparison.Ordinal);
        string engine = Path.Combine(built, "plugins", "Colorize.Engine");
        Assert.True(File.Exists(Path.Combine(engine, "Colorize.Engine.dll")));
        Assert.True(File.Exists(Path.Combine(engine, "Colorize.Engine.deps.json")));
        Assert.False(File.Exists(Path.Combine(engine, "Colorize.Abstractions.dll")), "the contracts must come from the effect");
        // packs/ holds exactly what packaging/packs/ holds (nothing when it has nothing).
        static string[] Files(string folder) => Directory.Exists(folder)
            ? [.. Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal)]
            : [];
        Assert.Equal(Files(EffectInstallation.PackagingPacks), Files(Path.Combine(built, "packs")));
    }

    /// <summary>A layer with structure, colour and every kind of alpha (opaque, transparent, in between).</summary>
    private static Bgra32Bitmap Layer(int width, int height)
    {
        var layer = new Bgra32Bitmap(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte r = (byte)(((x * 255 / width) + y) % 256);
                byte g = (byte)(((y * 255 / height) + (x / 2)) % 256);
                byte b = (byte)(((x ^ y) * 3) % 256);
                byte a = x < width / 4 ? (byte)255 : (byte)((x + (2 * y)) % 256);
                layer[x, y] = new ColorBgra32(b, g, r, a);
            }
        }

        return layer;
    }

    private string WritePng(Bgra32Bitmap layer, string name)
    {
        var image = new ColorizeImage(layer.Width, layer.Height, ColorizePixelFormat.Rgba32);
        for (int y = 0; y < layer.Height; y++)
        {
            var row = image.GetRowBytes(y);
            for (int x = 0; x < layer.Width; x++)
            {
                var p = layer[x, y];
                (row[4 * x], row[(4 * x) + 1], row[(4 * x) + 2], row[(4 * x) + 3]) = (p.R, p.G, p.B, p.A);
            }
        }

        string path = Path.Combine(install.Root, name);
        image.Save(path);
        return path;
    }

    private ColorizeImage RunCli(string png, int renderSize, string strength)
    {
        string output = Path.ChangeExtension(png, null) + $"-{renderSize}-{strength}-cli.png";
        var run = install.RunCli(png, "-o", output, "--pack", EffectInstallation.PackReference, "--render-size", renderSize.ToString(System.Globalization.CultureInfo.InvariantCulture), "--strength", strength, "--overwrite");
        Assert.True(run.ExitCode == 0, run.ToString());
        var image = ColorizeImage.Load(output);
        Assert.Equal(ColorizePixelFormat.Rgba32, image.PixelFormat);
        return image;
    }

    /// <summary>Every pixel: the app's inside the selection, the source outside.</summary>
    private static void AssertMatches(ColorizeImage cli, Bgra32Bitmap source, Selection selection, Bgra32Bitmap actual)
    {
        Assert.Equal((source.Width, source.Height), (cli.Width, cli.Height));
        int differing = 0;
        string? first = null;
        for (int y = 0; y < source.Height; y++)
        {
            var row = cli.GetRowBytes(y);
            for (int x = 0; x < source.Width; x++)
            {
                var expected = selection.Contains(x, y)
                    ? new ColorBgra32(row[(4 * x) + 2], row[(4 * x) + 1], row[4 * x], row[(4 * x) + 3])
                    : source[x, y];
                if (actual[x, y] != expected)
                {
                    differing++;
                    first ??= $"({x}, {y}): expected {expected}, got {actual[x, y]}";
                }
            }
        }

        Assert.True(differing == 0, $"{differing} of {source.Width * source.Height} pixels differ; first at {first}");
    }
}
