using System.Diagnostics;
using System.Reflection;
using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Plugins.Tests.Infrastructure;

namespace Colorize.Host.Tests;

/// <summary>
/// The web UI in a real browser: Debian's chromium, headless, driven by tests/browser/upload.mjs (playwright-core)
/// against <c>colorize serve</c> on a free loopback port. It uploads a photo through the file input, waits for the
/// result, drags the before/after divider, downloads the result and checks it, runs a small batch, sends a truncated
/// photo (refused, then colorized with "Colorize damaged photos" ticked), and saves a screenshot. The page is 1280 px
/// wide, the pack list is held back at first (the form must work without it) and the pack has a long name (the
/// options must still fit on one row). ./test.sh runs tests/browser/setup.sh first (chromium and node_modules); run through `dotnet test`
/// alone without them, it fails and says so.
/// </summary>
public sealed class BrowserTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly HostHarness _host = new();

    public void Dispose() => _host.Dispose();

    internal static string RepositoryRoot => typeof(BrowserTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    [Fact]
    public void UploadInChromium_ShowsTheResult_DragsTheDivider_DownloadsIt_AndSavesAScreenshot()
    {
        string browserFolder = Path.Combine(RepositoryRoot, "tests", "browser");
        string script = Path.Combine(browserFolder, "upload.mjs");
        string setup = $"run ./test.sh, or tests/browser/setup.sh once (it installs Debian's chromium and runs npm ci in {browserFolder})";
        Assert.True(File.Exists(script), $"{script} is missing");
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: {setup}");
        Assert.True(Directory.Exists(Path.Combine(browserFolder, "node_modules", "playwright-core")), $"playwright-core is not installed in {browserFolder}/node_modules: {setup}");

        // A name as long as the real default pack's ("Colorize base 0.2.0 (pix2pix U-Net)"), and then some.
        var pack = PackBuilder.Pix2Pix("colorize-base", "1.0.0");
        pack.Manifest["name"] = "Colorize base 1.0.0 (pix2pix U-Net, trained on the test photos of a long afternoon)";
        var install = _host.Run("packs", "install", pack.Write(_host.Root));
        Assert.True(install.ExitCode == 0, install.ToString());
        // The repository's sample, a real black-and-white photo (samples/README.md), copied so the upload's name is known.
        string sample = Path.Combine(RepositoryRoot, "samples", "picos-de-europa-bw.jpg");
        Assert.True(File.Exists(sample), $"{sample} is missing");
        string photo = _host.InWork("picos-de-europa.jpg");
        File.Copy(sample, photo);
        string second = WritePhoto("street.png", 200, 260);
        string third = WritePhoto("portrait.jpg", 240, 300);
        byte[] whole = File.ReadAllBytes(sample);
        string damaged = _host.InWork("picos-cut.jpg");
        File.WriteAllBytes(damaged, whole[..(whole.Length / 2)]);
        string screenshot = Path.Combine(_host.Root, "output", "web-ui.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        using var server = new ServeHarness(_host);

        var run = RunNode(browserFolder, script, server.Url.ToString(), photo, screenshot, "--damaged", damaged, second, third);

        Assert.True(run.ExitCode == 0, $"{run}\nserver stdout:\n{server.Out}\nserver stderr:\n{server.Error}");
        Assert.Contains("\"ok\":true", run.Out, StringComparison.Ordinal);
        Assert.Contains("\"damaged\":true", run.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(screenshot), "no screenshot was written");
        var image = Image.Load(screenshot);
        Assert.True(image.Width >= 800 && image.Height >= 400, $"the screenshot is {image.Width}x{image.Height}");
        Assert.Equal(0, server.Stop());

        // Kept for the README when asked for (COLORIZE_SCREENSHOT_DIR): the temp folder is deleted with the harness.
        if (Environment.GetEnvironmentVariable("COLORIZE_SCREENSHOT_DIR") is { Length: > 0 } keep)
        {
            Directory.CreateDirectory(keep);
            File.Copy(screenshot, Path.Combine(keep, "web-ui.png"), overwrite: true);
        }
    }

    /// <summary>Runs a node script of tests/browser (also <see cref="BrowserHintTests"/>), killed after 90 s.</summary>
    internal static CliRun RunNode(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"cannot start node ({e.Message}): install Node.js, then run tests/browser/setup.sh");
            throw;
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(90_000))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"the browser test did not finish in 90 s\n{stdout.Result}\n{stderr.Result}");
            }

            return new CliRun(process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>A gray "photo": soft light from the top left, a horizon, round shapes and some grain, saved by extension.</summary>
    private string WritePhoto(string name, int width, int height)
    {
        var image = new Image(width, height, PixelFormat.Gray8);
        var random = new Random(7);
        for (int y = 0; y < height; y++)
        {
            var row = image.GetRowBytes(y);
            for (int x = 0; x < width; x++)
            {
                double light = 200 - (120.0 * (x + y) / (width + height));
                if (y > height * 0.62)
                {
                    light = 70 + (40.0 * (y - (height * 0.62)) / height);
                }

                double dx = x - (width * 0.3), dy = y - (height * 0.45);
                if ((dx * dx) + (dy * dy) < width * height * 0.01)
                {
                    light = 230 - (Math.Sqrt((dx * dx) + (dy * dy)) * 1.5);
                }

                if (Math.Abs(x - (width * 0.7)) < width * 0.06 && y > height * 0.25)
                {
                    light = 40 + (y % 20);
                }

                row[x] = (byte)Math.Clamp(light + random.Next(-6, 7), 0, 255);
            }
        }

        string path = _host.InWork(name);
        image.Save(path);
        return path;
    }
}
