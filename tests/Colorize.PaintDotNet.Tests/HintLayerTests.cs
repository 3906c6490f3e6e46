using System.IO.Compression;
using Colorize.Plugins.Tests.Infrastructure;
using PaintDotNet.Effects;
using PaintDotNet.Imaging;
using PaintDotNet.PropertySystem;
using PaintDotNet.Rendering;
using PdnSdk.Hosting;

namespace Colorize.PaintDotNet.Tests;

/// <summary>
/// The effect's "Hint layer" (issue 16 §5) in a two-layer document: the photo, and a transparent layer with a red dot
/// and a blue stroke painted on it. The effect runs the hint-paint test engine (tests/plugins), which paints each
/// hint's disc on a grey copy of the photo, so the output shows where the hints the effect read from the layer landed.
/// </summary>
[Collection(EffectFixture.Name)]
public sealed class HintLayerTests(EffectInstallation install)
{
    private const string HintLayer = "Hint layer";
    private static readonly ColorBgra32 Red = new(0x20, 0x10, 0xe0, 255);
    private static readonly ColorBgra32 Blue = new(0xd0, 0x40, 0x10, 255);

    [Fact]
    public void TheDialogOffersNone_AndTheDocumentsOtherLayers()
    {
        var (photo, hints) = Document(160, 120);
        using var renderer = new PdnLikeRenderer(CreateEffect("hints-choices", takesHints: true), [new("Photo", photo), new("Hints", hints), new("Hints", hints)], 0);

        var choice = Assert.IsType<StaticListChoiceProperty>(renderer.Properties[HintLayer]);
        Assert.Equal(["none", "Hints (layer 2)", "Hints (layer 3)"], choice.ValueChoices);
        Assert.Equal("none", choice.Value);
    }

    [Fact]
    public void ThePaintedDotAndStroke_BecomeHints_InTheirColours_AndNoneReadsNothing()
    {
        var (photo, hints) = Document(160, 120);
        using var renderer = new PdnLikeRenderer(CreateEffect("hints", takesHints: true), [new("Photo", photo), new("Hints", hints)], 0);
        var all = Selection.All(photo.Size);

        renderer.SetToken();
        var none = renderer.Render(all).Canvas;
        renderer.With(HintLayer, "Hints (layer 2)").SetToken();
        var hinted = renderer.Render(all).Canvas;
        var paintedPixels = Pixels(photo.Size).Where(p => hints[p.X, p.Y].A == 255).ToList();

        // Without hints the engine gives the grey photo; with them, the dot and the whole stroke take their colours
        // (each painted pixel lies in the disc of the hint its piece became), and the photo elsewhere stays grey.
        Assert.All(Pixels(photo.Size), p => Assert.Equal(Gray(photo[p.X, p.Y]), none[p.X, p.Y]));
        foreach (var p in Pixels(photo.Size))
        {
            var painted = hints[p.X, p.Y];
            if (painted.A == 255)
            {
                Assert.True(Same(painted, hinted[p.X, p.Y]), $"({p.X}, {p.Y}) is {hinted[p.X, p.Y]}, painted {painted}");
            }
            else if (paintedPixels.Min(q => Math.Sqrt(((q.X - p.X) * (q.X - p.X)) + ((q.Y - p.Y) * (q.Y - p.Y)))) > 8)
            {
                Assert.Equal(Gray(photo[p.X, p.Y]), hinted[p.X, p.Y]);
            }
        }
    }

    [Fact]
    public void AFullyPaintedNoisyLayer_GivesAtMostMaxHints_AndStillColorizes()
    {
        var (photo, _) = Document(300, 300);
        var noise = new Bgra32Bitmap(300, 300);
        var random = new Random(5);
        foreach (var p in Pixels(noise.Size))
        {
            noise[p.X, p.Y] = new ColorBgra32((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), 255);
        }

        using var renderer = new PdnLikeRenderer(CreateEffect("hints-noise", takesHints: true), [new("Photo", photo), new("Noise", noise)], 0);
        renderer.With(HintLayer, "Noise (layer 2)").SetToken();

        var canvas = renderer.Render(Selection.All(photo.Size)).Canvas;
        Assert.Contains(Pixels(photo.Size), p => canvas[p.X, p.Y] != Gray(photo[p.X, p.Y]));
    }

    [Fact]
    public void AHintLayerWithAPackThatTakesNoHints_SaysSo()
    {
        var (photo, hints) = Document(64, 48);
        using var renderer = new PdnLikeRenderer(CreateEffect("hints-unsupported", takesHints: false), [new("Photo", photo), new("Hints", hints)], 0);

        renderer.With(HintLayer, "Hints (layer 2)");
        var error = Assert.Throws<InvalidOperationException>(renderer.SetToken);
        Assert.Contains("does not take colour hints", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The effect installed with the hint-paint engine beside the real one and one hint-paint pack.</summary>
    private PropertyBasedBitmapEffect CreateEffect(string name, bool takesHints)
    {
        string folder = install.Install(Path.Combine(install.Root, "Effects-" + name, "Colorize"), withPack: false);
        string plugin = Path.Combine(AppContext.BaseDirectory, "testplugins", "Colorize.TestPlugins.Hints");
        string target = Path.Combine(folder, "plugins", "Colorize.TestPlugins.Hints");
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(plugin))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        var pack = PackBuilder.Echo("hint-paint");
        pack.Manifest["architecture"]!["name"] = "hint-paint";
        pack.Manifest["input"]!["hints"] = takesHints;
        ZipFile.ExtractToDirectory(pack.Write(install.Root), Path.Combine(folder, "packs", "hint-paint", "1.0.0"));
        return (PropertyBasedBitmapEffect)Activator.CreateInstance(EffectInstallation.LoadEffectType(folder))!;
    }

    /// <summary>A grey gradient photo, and a transparent layer with a red dot (radius 4) and a blue stroke 3 px thick.</summary>
    private static (Bgra32Bitmap Photo, Bgra32Bitmap Hints) Document(int width, int height)
    {
        var photo = new Bgra32Bitmap(width, height);
        var hints = new Bgra32Bitmap(width, height);
        foreach (var p in Pixels(photo.Size))
        {
            byte g = (byte)((p.X * 200 / width) + (p.Y * 50 / height));
            photo[p.X, p.Y] = new ColorBgra32(g, g, g, 255);
            double dx = p.X + 0.5 - (width * 0.2), dy = p.Y + 0.5 - (height * 0.25);
            if ((dx * dx) + (dy * dy) <= 16)
            {
                hints[p.X, p.Y] = Red;
            }
            else if (p.X >= width * 0.3 && p.X < width * 0.9 && Math.Abs(p.Y - (height * 0.7)) < 1.5)
            {
                hints[p.X, p.Y] = Blue;
            }
            else if (Math.Abs(p.Y - (height * 0.7)) < 2.5 && p.X >= width * 0.3 && p.X < width * 0.9)
            {
                // The stroke's antialiased edge: too transparent to count.
                hints[p.X, p.Y] = Blue with { A = 60 };
            }
        }

        return (photo, hints);
    }

    private static IEnumerable<Point2Int32> Pixels(SizeInt32 size) =>
        Enumerable.Range(0, size.Height).SelectMany(y => Enumerable.Range(0, size.Width).Select(x => new Point2Int32(x, y)));

    /// <summary>What the hint-paint engine makes of a pixel no hint covers: the mean of its channels as grey.</summary>
    private static ColorBgra32 Gray(ColorBgra32 c)
    {
        byte g = (byte)((c.R + c.G + c.B) / 3);
        return new ColorBgra32(g, g, g, c.A);
    }

    private static bool Same(ColorBgra32 a, ColorBgra32 b) => a.R == b.R && a.G == b.G && a.B == b.B;
}
