using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Plugins.Tests.Infrastructure;

namespace Colorize.Host.Tests;

/// <summary>
/// The hint tests' engine and packs: the test plugin Colorize.TestPlugins.Hints (architecture hint-paint) copied into a
/// harness's Colorize home, whose colorizer paints each hint's disc in its colour on a grey copy of the photo.
/// </summary>
internal static class HintSupport
{
    public const string PackId = "hint-paint";
    public const string Pack = PackId + "@1.0.0";
    public const string NoHintsPackId = "no-hints";

    /// <summary>Copies the hint-paint engine into the home's plugins/ and installs a pack that takes hints and one that does not.</summary>
    public static void InstallHintPacks(this HostHarness host)
    {
        string from = Path.Combine(AppContext.BaseDirectory, "testplugins", "Colorize.TestPlugins.Hints");
        string to = Path.Combine(host.Home, "plugins", "Colorize.TestPlugins.Hints");
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }

        foreach (var (id, hints) in new[] { (PackId, true), (NoHintsPackId, false) })
        {
            var pack = PackBuilder.Echo(id);
            pack.Manifest["architecture"]!["name"] = "hint-paint";
            pack.Manifest["input"]!["hints"] = hints;
            var run = host.Run("packs", "install", pack.Write(host.Root));
            Assert.True(run.ExitCode == 0, run.ToString());
        }
    }

    /// <summary>Whether the pixel (x, y) lies in the hint's disc as the hint-paint engine paints it (the contract's geometry).</summary>
    public static bool Covers(ColorHint hint, int x, int y)
    {
        double dx = x + 0.5 - hint.X, dy = y + 0.5 - hint.Y;
        return ((int)hint.X == x && (int)hint.Y == y) || (dx * dx) + (dy * dy) <= hint.Radius * hint.Radius;
    }

    /// <summary>
    /// Checks every pixel of a hint-paint result: the colour of the last hint covering it, else the source's grey, so
    /// the hints must have arrived with exactly these positions, radii and colours.
    /// </summary>
    public static void AssertPainted(Image source, Image result, IReadOnlyList<ColorHint> hints)
    {
        var gray = source.ConvertTo(PixelFormat.Gray8);
        var rgb = result.ConvertTo(PixelFormat.Rgb24);
        Assert.Equal((gray.Width, gray.Height), (rgb.Width, rgb.Height));
        int wrong = 0;
        string? first = null;
        for (int y = 0; y < rgb.Height; y++)
        {
            var row = rgb.GetRowBytes(y);
            for (int x = 0; x < rgb.Width; x++)
            {
                byte g = gray.GetRowBytes(y)[x];
                var expected = (g, g, g);
                foreach (var hint in hints)
                {
                    if (Covers(hint, x, y))
                    {
                        expected = (hint.Red, hint.Green, hint.Blue);
                    }
                }

                var actual = (row[3 * x], row[(3 * x) + 1], row[(3 * x) + 2]);
                if (actual != expected)
                {
                    wrong++;
                    first ??= $"({x}, {y}): expected {expected}, got {actual}";
                }
            }
        }

        Assert.True(wrong == 0, $"{wrong} pixels differ; first at {first}");
    }
}
