using Colorize.Imaging;
using Colorize.Imaging.Formats.Png;

namespace Colorize.Host.Tests;

/// <summary>
/// <c>--png-compression fast|default|max|0-9</c> (issue 15 §4: PNG output took seconds at zlib's level 6; the default
/// is now level 3 and max keeps the smallest files): every choice writes the same pixels, and a bad value is a usage error.
/// </summary>
public sealed class PngCompressionTests : IDisposable
{
    private readonly HostHarness _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void EveryChoice_WritesTheSamePixels_AndMaxIsNoLargerThanFast()
    {
        _host.InstallTinyPack();
        string input = _host.WriteGray("photo.png", 160, 120);
        var sizes = new Dictionary<string, long>();
        Image? first = null;
        foreach (string choice in new[] { "fast", "default", "max", "0", "6", "MAX" })
        {
            string output = $"out-{choice}.png";
            var run = _host.Run(input, "-o", output, "--pack", "tiny-unet", "--png-compression", choice);
            Assert.True(run.ExitCode == 0, run.ToString());
            var image = Image.Load(_host.InWork(output));
            first ??= image;
            Assert.Equal(first.Buffer.Memory.ToArray(), image.Buffer.Memory.ToArray());
            sizes[choice] = new FileInfo(_host.InWork(output)).Length;
        }

        Assert.True(sizes["max"] <= sizes["fast"], $"max {sizes["max"]} bytes, fast {sizes["fast"]}");
        Assert.True(sizes["0"] > sizes["default"], "level 0 stores, so it must be the largest");
    }

    [Fact]
    public void NoChoice_IsTheEncodersDefaultLevel3()
    {
        Assert.True(BatchCommand.TryPngLevel(null, out int level));
        Assert.Equal(3, level);
        Assert.Equal(3, new PngEncoder().CompressionLevel);
        Assert.True(BatchCommand.TryPngLevel("Fast", out level));
        Assert.Equal(1, level);
        Assert.True(BatchCommand.TryPngLevel("9", out level));
        Assert.Equal(9, level);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("-1")]
    [InlineData("best")]
    [InlineData("")]
    public void ABadChoice_IsAUsageError_WithOneLine(string choice)
    {
        _host.InstallTinyPack();
        string input = _host.WriteGray("photo.png");

        var run = _host.Run(input, "-o", "out.png", "--pack", "tiny-unet", "--png-compression", choice);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"error: --png-compression: '{choice}' is not fast, default, max or a zlib level 0-9", Assert.Single(run.ErrorLines));
        Assert.False(File.Exists(_host.InWork("out.png")));
    }
}
