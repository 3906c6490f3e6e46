namespace Colorize.Host.Tests;

/// <summary>
/// The first photo decodes while the pack loads (BatchCommand): what it says and does is as if it decoded in its turn.
/// A damaged first input is reported once, in order, after the pack loaded; when the pack fails, only the pack is reported.
/// </summary>
public sealed class PrefetchTests : IDisposable
{
    private readonly HostHarness _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void ADamagedFirstInput_WithNoPack_Exits3_ReportingOnlyThePack()
    {
        string bad = _host.InWork("bad.png");
        File.WriteAllBytes(bad, [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 1, 2, 3]);

        var run = _host.Run(bad, "-o", "out.png");

        Assert.True(run.ExitCode == 3, run.ToString());
        string line = Assert.Single(run.ErrorLines);
        Assert.DoesNotContain(bad, line, StringComparison.Ordinal);
        Assert.False(File.Exists(_host.InWork("out.png")));
    }

    [Fact]
    public void ADamagedFirstInput_IsReportedInItsTurn_AndTheNextIsWritten()
    {
        _host.InstallTinyPack();
        string bad = _host.InWork("bad.png");
        File.WriteAllBytes(bad, [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 1, 2, 3]);
        string good = _host.WriteGray("good.png");

        var run = _host.Run(bad, good, "-o", "out", "--pack", "tiny-unet");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.StartsWith($"error: {bad}: ", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.Contains("[2/2]", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("[1/2]", run.Out, StringComparison.Ordinal);
        Assert.Equal(["good.png"], Directory.GetFiles(_host.InWork("out")).Select(Path.GetFileName));
    }

    [Fact]
    public void ThePrefetchedPhoto_GivesTheBitsOfOneDecodedInItsTurn()
    {
        _host.InstallTinyPack();
        string first = _host.WriteGray("a.png", 64, 48);
        string second = _host.InWork("b.png");
        File.Copy(first, second);

        var run = _host.Run(first, second, "-o", "out", "--pack", "tiny-unet");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(File.ReadAllBytes(_host.InWork("out", "a.png")), File.ReadAllBytes(_host.InWork("out", "b.png")));
    }
}
