namespace Colorize.Host.Tests;

/// <summary>
/// Colour hints in the web page, in a real browser (issue 16 §4): tests/browser/hints.mjs in Debian's chromium against
/// <c>colorize serve</c> with the hint-paint test engine, whose result paints each hint's disc in its colour on a grey
/// photo. The script pins a colour by clicking (the picker starting at the result's colour there), picks another, sees
/// the preview painted at that spot, drags the pin and sees the colour move, exports the pins, removes the pin, imports
/// the file and gets the same pin back, and checks that a pack without hints offers no pinning. Set up as
/// <see cref="BrowserTests"/> is (tests/browser/setup.sh).
/// </summary>
public sealed class BrowserHintTests : IDisposable
{
    private readonly HostHarness _host = new();

    public BrowserHintTests() => _host.InstallHintPacks();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void PinsInChromium_ColorizeThePreviewWhereTheyAre_MoveWithADrag_AndSurviveExportAndImport()
    {
        string browserFolder = Path.Combine(BrowserTests.RepositoryRoot, "tests", "browser");
        string script = Path.Combine(browserFolder, "hints.mjs");
        string setup = $"run ./test.sh, or tests/browser/setup.sh once (it installs Debian's chromium and runs npm ci in {browserFolder})";
        Assert.True(File.Exists(script), $"{script} is missing");
        Assert.True(File.Exists("/usr/bin/chromium"), $"/usr/bin/chromium is missing: {setup}");
        Assert.True(Directory.Exists(Path.Combine(browserFolder, "node_modules", "playwright-core")), $"playwright-core is not installed in {browserFolder}/node_modules: {setup}");

        // PNG, so that the result's pixels are exactly the painted colours; not square, so x and y cannot be swapped unseen.
        string photo = _host.WriteGray("street.png", 360, 240);
        string downloads = Path.Combine(_host.Root, "downloads");
        Directory.CreateDirectory(downloads);
        using var server = new ServeHarness(_host);

        string screenshot = Path.Combine(downloads, "web-ui-hints.png");

        var run = BrowserTests.RunNode(browserFolder, script, server.Url.ToString(), photo, HintSupport.Pack, HintSupport.NoHintsPackId + "@1.0.0", downloads, screenshot);

        Assert.True(run.ExitCode == 0, $"{run}\nserver stdout:\n{server.Out}\nserver stderr:\n{server.Error}");
        Assert.Contains("\"ok\":true", run.Out, StringComparison.Ordinal);
        Assert.Equal(0, server.Stop());

        // Kept when asked for (COLORIZE_SCREENSHOT_DIR), as BrowserTests keeps its own: the temp folder goes with the harness.
        if (Environment.GetEnvironmentVariable("COLORIZE_SCREENSHOT_DIR") is { Length: > 0 } keep && File.Exists(screenshot))
        {
            Directory.CreateDirectory(keep);
            File.Copy(screenshot, Path.Combine(keep, "web-ui-hints.png"), overwrite: true);
        }
    }
}
