using System.Text.Json;

namespace Colorize.Host.Tests;

/// <summary>
/// The shipped app run as a process from its own build folder: its Program.cs, its plugins/ folder (placed by the
/// host's build, not by this test project) and <c>COLORIZE_HOME</c> from the environment.
/// </summary>
public sealed class ProcessTests : IDisposable
{
    private readonly HostHarness _host = new();

    public void Dispose() => _host.Dispose();

    private static string HostAssembly => HostHarness.BuiltAppAssembly;

    private CliRun RunProcess(params string[] args) => _host.RunBuiltApp(TimeSpan.FromSeconds(60), args);

    [Fact]
    public void TheBuiltApp_FindsTheEngineInItsOwnPluginsFolder()
    {
        var run = RunProcess("plugins", "list", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var plugin = Assert.Single(JsonDocument.Parse(run.Out).RootElement.GetProperty("plugins").EnumerateArray(), p => p.GetProperty("name").GetString() == "Colorize.Engine");
        Assert.True(plugin.GetProperty("loaded").GetBoolean());
        Assert.Equal(Path.Combine(Path.GetDirectoryName(HostAssembly)!, "plugins", "Colorize.Engine"), plugin.GetProperty("directory").GetString());
    }

    [Fact]
    public void TheBuiltApp_ColorizesWithTheBundledDefaultPack_WithNoSetUp()
    {
        // The default pack is committed under packaging/packs/ and copied beside the app by its build (issue 4:
        // "an embedded default pack that always resolves"); COLORIZE_HOME is an empty temp folder here.
        _host.WriteGray("photo.png", 96, 64);

        var list = RunProcess("packs", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("colorize-base", list.Out, StringComparison.Ordinal);

        var run = RunProcess("photo.png", "-o", "colour.png");
        Assert.True(run.ExitCode == 0, run.ToString());
        var image = Colorize.Imaging.Image.Load(_host.InWork("colour.png"));
        Assert.Equal((96, 64), (image.Width, image.Height));
        var verify = RunProcess("packs", "verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public void TheBuiltApp_ColorizesWithAnInstalledPack_AndExits3ForAMissingOne()
    {
        _host.WriteGray("photo.png");

        var noPack = RunProcess("photo.png", "--pack", "no-such-pack");
        Assert.True(noPack.ExitCode == 3, noPack.ToString());
        Assert.StartsWith("error: ", Assert.Single(noPack.ErrorLines), StringComparison.Ordinal);

        _host.InstallTinyPack();
        var run = RunProcess("photo.png", "-o", "result.jpg", "--pack", "tiny-unet");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Error);
        Assert.Equal(Colorize.Imaging.ImageFormat.Jpeg, Colorize.Imaging.Image.DetectFormat(File.ReadAllBytes(_host.InWork("result.jpg"))));
    }
}
