using System.Text.Json;
using Colorize.Abstractions;
using Colorize.Imaging;

namespace Colorize.Host.Tests;

/// <summary>
/// <c>colorize --hint</c> and <c>--hints file.json</c> (issue 16 §3), against the hint-paint test engine, whose output
/// shows where each hint landed, how large and in which colour.
/// </summary>
public sealed class HintCommandTests : IDisposable
{
    private readonly HostHarness _host = new();

    public HintCommandTests() => _host.InstallHintPacks();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void HintOptions_ReachTheColorizer_WithTheirPositionRadiusAndColour()
    {
        string input = _host.WriteGray("photo.png", 40, 30);

        var run = _host.Run(input, "-o", "out.png", "--pack", HintSupport.PackId, "--hint", "10,8,#ff0000,3", "--hint", "30.5, 20.5, #0033CC");

        Assert.True(run.ExitCode == 0, run.ToString());
        HintSupport.AssertPainted(Image.Load(input), Image.Load(_host.InWork("out.png")),
            [new ColorHint(10, 8, 255, 0, 0, 3), new ColorHint(30.5, 20.5, 0x00, 0x33, 0xcc)]);
    }

    [Fact]
    public void AHintsFile_MadeOnALargerCopy_IsScaledToThePhoto_AndEqualsTheSameHintsGivenAsOptions()
    {
        string input = _host.WriteGray("photo.png", 40, 30);
        File.WriteAllText(_host.InWork("hints.json"), """
            {"version": 1, "width": 80, "height": 60, "hints": [{"x": 20, "y": 16, "color": "#00ff00", "radius": 6}, {"x": 70, "y": 50, "color": "#102030"}]}
            """);

        var fromFile = _host.Run(input, "-o", "file.png", "--pack", HintSupport.PackId, "--hints", "hints.json");
        var fromOptions = _host.Run(input, "-o", "options.png", "--pack", HintSupport.PackId, "--hint", "10,8,#00ff00,3", "--hint", "35,25,#102030,2");

        Assert.True(fromFile.ExitCode == 0, fromFile.ToString());
        Assert.True(fromOptions.ExitCode == 0, fromOptions.ToString());
        var file = Image.Load(_host.InWork("file.png"));
        Assert.Equal(Image.Load(_host.InWork("options.png")).Buffer.Memory.ToArray(), file.Buffer.Memory.ToArray());
        HintSupport.AssertPainted(Image.Load(input), file, [new ColorHint(10, 8, 0, 255, 0, 3), new ColorHint(35, 25, 0x10, 0x20, 0x30, 2)]);
    }

    [Theory]
    [InlineData("--hint", "40,10,#ff0000", "outside the 40x30 image")]
    [InlineData("--hint", "10,30,#ff0000", "outside the 40x30 image")]
    [InlineData("--hint", "10,10,#ff00", "is not a colour #rrggbb")]
    [InlineData("--hint", "10,10,red", "is not a colour #rrggbb")]
    [InlineData("--hint", "ten,10,#ff0000", "x 'ten'")]
    [InlineData("--hint", "10,10,#ff0000,0", "radius 0 must be above 0")]
    [InlineData("--hint", "10,10", "is not x,y,#rrggbb[,radius]")]
    [InlineData("--hints", "{\"version\": 1, \"hints\": [{\"x\": 1, \"y\": 2, \"color\": \"#ffffff\"", "not valid JSON")]
    [InlineData("--hints", "{\"version\": 2, \"hints\": []}", "\"version\" must be 1")]
    [InlineData("--hints", "{\"version\": 1, \"hints\": [{\"x\": 1, \"y\": 2, \"colour\": \"#ffffff\"}]}", "unknown property \"colour\"")]
    [InlineData("--hints", "{\"version\": 1, \"hints\": [{\"x\": \"1\", \"y\": 2, \"color\": \"#ffffff\"}]}", "\"x\" must be a number")]
    [InlineData("--hints", "{\"version\": 1, \"width\": 80, \"hints\": []}", "both \"width\" and \"height\"")]
    [InlineData("--hints", "{\"version\": 1, \"width\": 80, \"height\": 80, \"hints\": [{\"x\": 1, \"y\": 2, \"color\": \"#ffffff\"}]}", "another shape")]
    [InlineData("--hints", "{\"version\": 1, \"hints\": [{\"x\": 41, \"y\": 2, \"color\": \"#ffffff\"}]}", "outside the 40x30 image")]
    public void ABadHint_IsAUsageError_OnOneLine_AndNothingIsWritten(string option, string value, string expected)
    {
        string input = _host.WriteGray("photo.png", 40, 30);
        if (option == "--hints")
        {
            File.WriteAllText(_host.InWork("hints.json"), value);
            value = "hints.json";
        }

        var run = _host.Run(input, "-o", "out.png", "--pack", HintSupport.PackId, option, value);

        Assert.Equal(2, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.Equal("", run.Out);
        Assert.False(File.Exists(_host.InWork("out.png")));
    }

    [Fact]
    public void AHintOutsideOneOfSeveralInputs_RefusesTheWholeBatch_BeforeAnythingIsWritten()
    {
        _host.WriteGray("in/large.png", 60, 40);
        _host.WriteGray("in/small.png", 20, 20);

        var run = _host.Run("in", "-o", "out", "--pack", HintSupport.PackId, "--hint", "30,10,#ff0000");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("small.png: --hint: hint 1 at (30, 10) is outside the 20x20 image", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(_host.InWork("out")));
    }

    [Theory]
    [InlineData(HintSupport.NoHintsPackId + "@1.0.0", HintSupport.NoHintsPackId)]
    [InlineData("tiny-unet@1.0.0", "tiny-unet")]
    public void APackThatTakesNoHints_IsAUsageError_SayingSo_BeforeAnyWork(string reference, string pack)
    {
        // The hint-paint pack without input.hints, and the real engine's pix2pix pack (no hint input at all).
        _host.InstallTinyPack();
        string input = _host.WriteGray("photo.png", 40, 30);

        var run = _host.Run(input, "-o", "out.png", "--pack", pack, "--hint", "10,8,#ff0000");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"error: --hint: the model pack {reference} does not take colour hints (its manifest has no input.hints); choose a pack that does, or colorize without hints", Assert.Single(run.ErrorLines));
        Assert.False(File.Exists(_host.InWork("out.png")));
    }

    [Fact]
    public void Json_ReportsTheHintsUsed_InTheImagesPixels_InTheHintsFileFormat()
    {
        string input = _host.WriteGray("photo.png", 40, 30);
        File.WriteAllText(_host.InWork("hints.json"), """{"version": 1, "width": 80, "height": 60, "hints": [{"x": 20, "y": 16, "color": "#00FF00", "radius": 6}]}""");

        var run = _host.Run(input, "-o", "out.png", "--pack", HintSupport.PackId, "--hints", "hints.json", "--hint", "1.5,2,#abcdef", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Out);
        var hints = document.RootElement.GetProperty("results")[0].GetProperty("hints");
        Assert.Equal(
            """[{"x":10,"y":8,"color":"#00ff00","radius":3},{"x":1.5,"y":2,"color":"#abcdef","radius":4}]""",
            hints.GetRawText().Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal));
    }
}
