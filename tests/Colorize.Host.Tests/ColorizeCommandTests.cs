using System.Text.Json;
using Colorize.Abstractions;
using Colorize.Imaging;

namespace Colorize.Host.Tests;

public sealed class ColorizeCommandTests : IDisposable
{
    private readonly HostHarness _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void SingleInput_WithOutputFile_WritesAColourImageOfTheSameSize()
    {
        _host.InstallTinyPack();
        string input = _host.WriteGray("photo.png", 40, 30);

        var run = _host.Run(input, "-o", "result.png", "--pack", "tiny-unet");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Error);
        var result = Image.Load(_host.InWork("result.png"));
        Assert.Equal((40, 30), (result.Width, result.Height));
        Assert.True(HasColour(result), "the random network paints colour, so some pixel must not be gray");
    }

    [Fact]
    public void StrengthZero_GivesBackTheGrayPicture()
    {
        // Strength scales ab; at 0 the output is the input's own lightness: R = G = B = the input gray (±1 for Lab rounding).
        _host.InstallTinyPack();
        string input = _host.WriteGray("photo.png");

        var run = _host.Run(input, "-o", "flat.png", "--pack", "tiny-unet", "--strength", "0");

        Assert.True(run.ExitCode == 0, run.ToString());
        var source = Image.Load(input).ConvertTo(PixelFormat.Gray8);
        var result = Image.Load(_host.InWork("flat.png")).ConvertTo(PixelFormat.Rgb24);
        for (int y = 0; y < result.Height; y++)
        {
            var rgb = result.GetRowBytes(y);
            var gray = source.GetRowBytes(y);
            for (int x = 0; x < result.Width; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    Assert.InRange(rgb[(x * 3) + c], gray[x] - 1, gray[x] + 1);
                }
            }
        }
    }

    [Fact]
    public void KeepLuminance_DefaultsToTrue_KeepsLightness_AndFalseClipsInstead()
    {
        // At strength 2 the random network's colours leave the sRGB gamut, so the two settings must differ.
        _host.InstallTinyPack();
        string input = _host.WriteGray("photo.png", 48, 36);
        var runs = new[] { ("default.png", Array.Empty<string>()), ("kept.png", ["--keep-luminance", "true"]), ("clipped.png", ["--keep-luminance", "false"]) };
        foreach (var (name, extra) in runs)
        {
            var run = _host.Run([input, "-o", name, "--pack", "tiny-unet", "--strength", "2", .. extra]);
            Assert.True(run.ExitCode == 0, run.ToString());
        }

        byte[] Pixels(string name) => Image.Load(_host.InWork(name)).ConvertTo(PixelFormat.Rgb24).Buffer.Memory.ToArray();
        Assert.Equal(Pixels("kept.png"), Pixels("default.png"));
        Assert.NotEqual(Pixels("kept.png"), Pixels("clipped.png"));

        var source = Image.Load(input).ConvertTo(PixelFormat.Rgb24);
        var kept = Image.Load(_host.InWork("kept.png")).ConvertTo(PixelFormat.Rgb24);
        int n = source.Width * source.Height;
        var (ls, lk) = (new float[n], new float[n]);
        Colorize.Imaging.ColorSpaces.LabConverter.ToLab(source, ls, [], []);
        Colorize.Imaging.ColorSpaces.LabConverter.ToLab(kept, lk, [], []);
        Assert.All(Enumerable.Range(0, n), i => Assert.InRange(Math.Abs(lk[i] - ls[i]), 0, 0.5));
    }

    [Fact]
    public void FolderBatch_WithOneCorruptFile_WritesTheOthers_ReportsOneLine_AndExits1()
    {
        _host.InstallTinyPack();
        _host.WriteGray("in/a.png");
        _host.WriteGray("in/b.jpg");
        _host.WriteGray("in/sub/c.bmp");
        string bad = _host.InWork("in", "bad.png");
        File.WriteAllBytes(bad, [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 1, 2, 3, 4, 5]);

        var run = _host.Run("in", "-o", "out", "--pack", "tiny-unet");

        Assert.True(run.ExitCode == 1, run.ToString());
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith($"error: {bad}: ", line, StringComparison.Ordinal);
        Assert.True(File.Exists(_host.InWork("out", "a.png")));
        Assert.True(File.Exists(_host.InWork("out", "b.jpg")));
        Assert.True(File.Exists(_host.InWork("out", "sub", "c.bmp")));
        Assert.Equal(ImageFormat.Jpeg, Image.DetectFormat(File.ReadAllBytes(_host.InWork("out", "b.jpg"))));
        Assert.Equal(ImageFormat.Bmp, Image.DetectFormat(File.ReadAllBytes(_host.InWork("out", "sub", "c.bmp"))));

        // Nothing partial: no output for the bad input and no temporary file left behind.
        Assert.Equal(["a.png", "b.jpg", "c.bmp"], Directory.GetFiles(_host.InWork("out"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void SeveralInputs_WithoutOutput_GoToTheColorizedFolder_AndAMissingInputFailsAlone()
    {
        _host.InstallTinyPack();
        _host.WriteGray("one.png");
        _host.WriteGray("two.png");

        var run = _host.Run("one.png", "missing.png", "two.png", "--pack", "tiny-unet");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal("error: missing.png: no such file or folder", Assert.Single(run.ErrorLines));
        Assert.True(File.Exists(_host.InWork("colorized", "one.png")));
        Assert.True(File.Exists(_host.InWork("colorized", "two.png")));
    }

    [Fact]
    public void Glob_TakesOnlyTheMatchingImages()
    {
        _host.InstallTinyPack();
        _host.WriteGray("imgs/x1.png");
        _host.WriteGray("imgs/x2.png");
        _host.WriteGray("imgs/y.png");
        _host.WriteGray("imgs/deep/x3.png");

        var run = _host.Run("imgs/x*.png", "-o", "out", "--pack", "tiny-unet");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["x1.png", "x2.png"], Directory.GetFiles(_host.InWork("out"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Json_ReportsEveryInput()
    {
        _host.InstallTinyPack();
        string good = _host.WriteGray("good.png");
        string bad = _host.InWork("bad.png");
        File.WriteAllText(bad, "not an image");

        var run = _host.Run(good, bad, "-o", "out", "--pack", "tiny-unet", "--json");

        Assert.True(run.ExitCode == 1, run.ToString());
        using var doc = JsonDocument.Parse(run.Out);
        var root = doc.RootElement;
        Assert.Equal("tiny-unet@1.0.0", root.GetProperty("pack").GetString());
        Assert.Equal(1, root.GetProperty("succeeded").GetInt32());
        Assert.Equal(1, root.GetProperty("failed").GetInt32());
        var results = root.GetProperty("results").EnumerateArray().ToList();
        var ok = Assert.Single(results, r => r.GetProperty("status").GetString() == "ok");
        Assert.Equal(good, ok.GetProperty("input").GetString());
        Assert.True(File.Exists(ok.GetProperty("output").GetString()));
        var failed = Assert.Single(results, r => r.GetProperty("status").GetString() == "failed");
        Assert.Equal(bad, failed.GetProperty("input").GetString());
        Assert.False(string.IsNullOrEmpty(failed.GetProperty("error").GetString()));
    }

    [Fact]
    public void ExistingOutput_IsKept_UnlessOverwrite()
    {
        _host.InstallTinyPack();
        string input = _host.WriteGray("photo.png");
        string output = _host.InWork("result.png");
        File.WriteAllText(output, "keep me");

        var refused = _host.Run(input, "-o", output, "--pack", "tiny-unet");
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("--overwrite", Assert.Single(refused.ErrorLines), StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(output));

        var replaced = _host.Run(input, "-o", output, "--pack", "tiny-unet", "--overwrite");
        Assert.True(replaced.ExitCode == 0, replaced.ToString());
        Assert.Equal(ImageFormat.Png, Image.DetectFormat(File.ReadAllBytes(output)));
    }

    [Fact]
    public void TheInput_IsNeverOverwritten_EvenWithOverwrite()
    {
        _host.InstallTinyPack();
        string input = _host.WriteGray("photo.png");
        byte[] before = File.ReadAllBytes(input);

        var run = _host.Run(input, "-o", input, "--pack", "tiny-unet", "--overwrite");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.StartsWith($"error: {input}: ", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(input));
    }

    [Fact]
    public void OneInput_WithAFolderOutput_AndEngineOptions_IsWrittenInThatFolder()
    {
        _host.InstallTinyPack();
        _host.WriteGray("photo.jpg");

        var run = _host.Run("photo.jpg", "-o", "results/", "--pack", "tiny-unet@1", "--render-size", "32", "--threads", "1", "--strength", "1.5");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(ImageFormat.Jpeg, Image.DetectFormat(File.ReadAllBytes(_host.InWork("results", "photo.jpg"))));
    }

    [Fact]
    public void RedirectedOutput_GetsOnePlainLinePerImage()
    {
        _host.InstallTinyPack();
        _host.WriteGray("in/a.png");
        _host.WriteGray("in/b.png");

        var run = _host.Run("in", "-o", "out", "--pack", "tiny-unet");

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith($"[1/2] {_host.InWork("in", "a.png")} -> {_host.InWork("out", "a.png")} (", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"[2/2] {_host.InWork("in", "b.png")} -> {_host.InWork("out", "b.png")} (", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', run.Out);
    }

    [Fact]
    public void AnOutputFolderInsideTheInputFolder_IsNotTakenAsInput()
    {
        _host.InstallTinyPack();
        _host.WriteGray("in/a.png");

        Assert.Equal(0, _host.Run("in", "-o", "in/out", "--pack", "tiny-unet").ExitCode);
        var again = _host.Run("in", "-o", "in/out", "--pack", "tiny-unet", "--overwrite");

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal([_host.InWork("in", "a.png"), _host.InWork("in", "out", "a.png")], Directory.GetFiles(_host.InWork("in"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Alpha_IsKeptAsItWas()
    {
        _host.InstallTinyPack();
        var image = new Image(24, 20, PixelFormat.Rgba32);
        for (int y = 0; y < image.Height; y++)
        {
            var row = image.GetRowBytes(y);
            for (int x = 0; x < image.Width; x++)
            {
                byte v = (byte)(x * 10);
                row[(x * 4) + 0] = v;
                row[(x * 4) + 1] = v;
                row[(x * 4) + 2] = v;
                row[(x * 4) + 3] = (byte)((x * 7) + (y * 5));
            }
        }

        string input = _host.InWork("alpha.png");
        image.Save(input);

        var run = _host.Run(input, "-o", "alpha-out.png", "--pack", "tiny-unet");

        Assert.True(run.ExitCode == 0, run.ToString());
        var result = Image.Load(_host.InWork("alpha-out.png")).ConvertTo(PixelFormat.Rgba32);
        for (int y = 0; y < image.Height; y++)
        {
            var expected = image.GetRowBytes(y);
            var actual = result.GetRowBytes(y);
            for (int x = 0; x < image.Width; x++)
            {
                Assert.Equal(expected[(x * 4) + 3], actual[(x * 4) + 3]);
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("a.png|--strength|5")]
    [InlineData("a.png|--render-size|3")]
    [InlineData("a.png|--threads|0")]
    [InlineData("a.png|--strength|lots")]
    [InlineData("a.png|--keep-luminance|maybe")]
    [InlineData("a.png|--keep-luminance")]
    [InlineData("a.png|--no-such-option")]
    [InlineData("a.png|--pack|Not A Pack!")]
    [InlineData("a.png|b.png|-o|one.png")]
    [InlineData("a.png|-o|out.xyz")]
    [InlineData("packs")]
    [InlineData("packs|install")]
    [InlineData("serve|--port|-1")]
    [InlineData("serve|--host|localhost|--urls|http://127.0.0.1:5000")]
    public void UsageErrors_Exit2_WithOneLineErrors(string joinedArgs)
    {
        string[] args = joinedArgs.Split('|', StringSplitOptions.RemoveEmptyEntries);
        _host.WriteGray("a.png");
        _host.WriteGray("b.png");

        var run = _host.Run(args);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.NotEmpty(run.ErrorLines);
        Assert.All(run.ErrorLines, l => Assert.StartsWith("error: ", l, StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_host.InWork("colorized")));
    }

    [Fact]
    public void NoDefaultPack_Exits3_AndSaysHowToGetOne()
    {
        string input = _host.WriteGray("photo.png");

        var run = _host.Run(input);

        Assert.True(run.ExitCode == 3, run.ToString());
        string line = Assert.Single(run.ErrorLines);
        Assert.Contains("--pack", line, StringComparison.Ordinal);
        Assert.Contains("colorize packs install", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_host.InWork("colorized")));
    }

    [Fact]
    public void UnknownPack_Exits3_NamingWhatIsInstalled()
    {
        _host.InstallTinyPack();
        string input = _host.WriteGray("photo.png");

        var run = _host.Run(input, "--pack", "tiny-unet@2");

        Assert.True(run.ExitCode == 3, run.ToString());
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: tiny-unet@2: ", line, StringComparison.Ordinal);
        Assert.Contains("tiny-unet@1.0.0", line, StringComparison.Ordinal);
    }

    private static bool HasColour(Image image)
    {
        var rgb = image.ConvertTo(PixelFormat.Rgb24);
        for (int y = 0; y < rgb.Height; y++)
        {
            var row = rgb.GetRowBytes(y);
            for (int x = 0; x < rgb.Width; x++)
            {
                int r = row[x * 3], g = row[(x * 3) + 1], b = row[(x * 3) + 2];
                if (Math.Abs(r - g) > 3 || Math.Abs(g - b) > 3)
                {
                    return true;
                }
            }
        }

        return false;
    }

    [Theory]
    [InlineData("serve", "--port", "abc", "error: --port: 'abc' is not a port number (1-65535, or 0 for any free port)")]
    [InlineData("serve", "--port", "70000", "error: --port: '70000' is not a port number (1-65535, or 0 for any free port)")]
    [InlineData("serve", "--max-megapixels", "lots", "error: --max-megapixels: 'lots' is not a number")]
    [InlineData("x.png", "--strength", "1,5", "error: --strength: '1,5' is not a number")]
    [InlineData("x.png", "--render-size", "256px", "error: --render-size: '256px' is not a whole number")]
    public void ANonNumericValue_ForANumericOption_IsOnePlainLine_WithoutTypeNames(string first, string option, string value, string expected)
    {
        var run = _host.Run(first, option, value);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal(expected, Assert.Single(run.ErrorLines));
    }

    [Theory]
    [InlineData("packs")]
    [InlineData("packs", "list")]
    [InlineData("packs", "install")]
    [InlineData("plugins")]
    [InlineData("serve")]
    public void SubcommandHelp_DoesNotOfferTheRootInputs(params string[] command)
    {
        // The root command's <inputs> argument belongs to colorizing; `colorize packs --help` listed it as its own.
        var run = _host.Run([.. command, "--help"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Usage:", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("<inputs>", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void RootHelp_ShowsTheInputs_AndThatKeepLuminanceTakesTrueOrFalse()
    {
        var run = _host.Run("--help");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("<inputs>", run.Out, StringComparison.Ordinal);
        Assert.Contains("--keep-luminance <true|false>", run.Out, StringComparison.Ordinal);
        Assert.Contains("--allow-truncated", run.Out, StringComparison.Ordinal);
    }
}
