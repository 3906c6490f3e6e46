using System.Text.Json;
using Colorize.Plugins.Tests.Infrastructure;

namespace Colorize.Host.Tests;

public sealed class PacksAndPluginsTests : IDisposable
{
    private readonly HostHarness _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void Packs_InstallListVerifyRemove_RoundTrip()
    {
        var empty = _host.Run("packs", "list", "--json");
        Assert.Equal(0, empty.ExitCode);
        Assert.Equal(0, JsonDocument.Parse(empty.Out).RootElement.GetProperty("packs").GetArrayLength());

        _host.InstallTinyPack("tiny-unet", "1.0.0");
        _host.InstallTinyPack("tiny-unet", "1.1.0");

        var list = _host.Run("packs", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("tiny-unet@1.0.0", list.Out, StringComparison.Ordinal);
        Assert.Contains("tiny-unet@1.1.0", list.Out, StringComparison.Ordinal);

        var json = _host.Run("packs", "list", "--json");
        var references = JsonDocument.Parse(json.Out).RootElement.GetProperty("packs").EnumerateArray().Select(p => p.GetProperty("reference").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(["tiny-unet@1.0.0", "tiny-unet@1.1.0"], references);

        var verify = _host.Run("packs", "verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("ok tiny-unet@1.1.0", verify.Out, StringComparison.Ordinal);

        // Damage one installed file: verify names that pack, and only it.
        string weights = Path.Combine(_host.Home, "packs", "tiny-unet", "1.0.0", "weights.safetensors");
        File.WriteAllBytes(weights, [.. File.ReadAllBytes(weights).Take(100)]);
        var damaged = _host.Run("packs", "verify", "tiny-unet");
        Assert.True(damaged.ExitCode == 1, damaged.ToString());
        Assert.All(damaged.ErrorLines, l => Assert.StartsWith("error: ", l, StringComparison.Ordinal));
        Assert.Contains(damaged.ErrorLines, l => l.Contains("tiny-unet@1.0.0", StringComparison.Ordinal));
        Assert.DoesNotContain(damaged.ErrorLines, l => l.Contains("tiny-unet@1.1.0", StringComparison.Ordinal));

        var removeOne = _host.Run("packs", "remove", "tiny-unet@1.0.0");
        Assert.True(removeOne.ExitCode == 0, removeOne.ToString());
        Assert.Contains("removed tiny-unet@1.0.0", removeOne.Out, StringComparison.Ordinal);
        Assert.True(_host.Run("packs", "verify").ExitCode == 0);

        var removeAll = _host.Run("packs", "remove", "tiny-unet", "--json");
        Assert.Equal(0, removeAll.ExitCode);
        Assert.Equal(["tiny-unet@1.1.0"], JsonDocument.Parse(removeAll.Out).RootElement.GetProperty("removed").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, JsonDocument.Parse(_host.Run("packs", "list", "--json").Out).RootElement.GetProperty("packs").GetArrayLength());

        var again = _host.Run("packs", "remove", "tiny-unet");
        Assert.Equal(1, again.ExitCode);
        Assert.StartsWith("error: tiny-unet: ", Assert.Single(again.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Install_TheSameVersionTwice_NeedsOverwrite()
    {
        string file = PackBuilder.Pix2Pix().Write(_host.Root);
        Assert.Equal(0, _host.Run("packs", "install", file).ExitCode);

        var twice = _host.Run("packs", "install", file);
        Assert.Equal(1, twice.ExitCode);
        string line = Assert.Single(twice.ErrorLines);
        Assert.StartsWith($"error: {file}: tiny-unet@1.0.0 is already installed", line, StringComparison.Ordinal);
        Assert.Contains("--overwrite", line, StringComparison.Ordinal);

        Assert.Equal(0, _host.Run("packs", "install", file, "--overwrite").ExitCode);
    }

    [Fact]
    public void Install_APackTheEngineCannotRun_IsRefused()
    {
        // The echo architecture exists only in the test plugins, not in the real engine the host loads.
        string file = PackBuilder.Echo().Write(_host.Root);

        var run = _host.Run("packs", "install", file);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.StartsWith($"error: {file}: ", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_host.Home, "packs", "echo-pack")));
    }

    [Fact]
    public void Install_AMissingFile_FailsWithOneLine()
    {
        var run = _host.Run("packs", "install", "nothing.cpack");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("error: nothing.cpack: no such file or folder", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public void List_MarksOnlyThePackTheDefaultResolvesTo()
    {
        // Two copies of the default id (here two versions; in a release also the store's and the bundled one):
        // only the one an empty --pack picks is the default.
        _host.InstallTinyPack("colorize-base", "0.9.0");
        _host.InstallTinyPack("colorize-base", "1.0.0");

        var run = _host.Run("packs", "list");

        Assert.True(run.ExitCode == 0, run.ToString());
        string marked = Assert.Single(run.Out.Split('\n'), l => l.Contains("(default)", StringComparison.Ordinal));
        Assert.StartsWith("colorize-base@1.0.0 ", marked, StringComparison.Ordinal);
    }

    [Fact]
    public void Install_APackFolder_InstallsItLikeItsCpack()
    {
        // A pack unpacked into a folder (manifest.json, weights and listed files), as packaging/packs/ holds them.
        string folder = WritePackFolder(PackBuilder.Pix2Pix("folder-pack", "1.2.0").WithListedFile("MODEL_CARD.md", "# card"), "folder-pack");

        var run = _host.Run("packs", "install", folder);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("installed folder-pack@1.2.0 into ", run.Out, StringComparison.Ordinal);
        var verify = _host.Run("packs", "verify", "folder-pack");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.True(File.Exists(Path.Combine(folder, "manifest.json")), "the source folder must be left as it was");
    }

    [Fact]
    public void Install_AFolderThatIsNotAWholePack_IsRefusedWithOneLine()
    {
        string extra = WritePackFolder(PackBuilder.Pix2Pix("extra-pack"), "extra-pack");
        File.WriteAllText(Path.Combine(extra, "notes.txt"), "not listed in the manifest");
        string damaged = WritePackFolder(PackBuilder.Pix2Pix("damaged-pack"), "damaged-pack");
        File.AppendAllText(Path.Combine(damaged, "weights.safetensors"), "changed");
        string empty = Path.Combine(_host.Root, "empty-folder");
        Directory.CreateDirectory(empty);

        foreach (var (folder, word) in new[] { (extra, "notes.txt"), (damaged, "sha256"), (empty, "manifest.json") })
        {
            var run = _host.Run("packs", "install", folder);

            Assert.True(run.ExitCode == 1, run.ToString());
            string line = Assert.Single(run.ErrorLines);
            Assert.StartsWith($"error: {folder}: ", line, StringComparison.Ordinal);
            Assert.Contains(word, line, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(Path.Combine(_host.Home, "packs", "extra-pack")));
        Assert.False(Directory.Exists(Path.Combine(_host.Home, "packs", "damaged-pack")));
    }

    private string WritePackFolder(PackBuilder pack, string name)
    {
        string folder = Path.Combine(_host.Root, "folders", name);
        Directory.CreateDirectory(folder);
        foreach (var entry in pack.Entries())
        {
            File.WriteAllBytes(Path.Combine(folder, entry.Name), entry.Data);
        }

        return folder;
    }

    [Fact]
    public void PluginsList_ShowsTheEnginePlugin()
    {
        var text = _host.Run("plugins", "list");
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("Colorize.Engine", text.Out, StringComparison.Ordinal);
        Assert.Contains("pix2pix-unet", text.Out, StringComparison.Ordinal);

        var json = _host.Run("plugins", "list", "--json");
        Assert.Equal(0, json.ExitCode);
        var plugin = Assert.Single(JsonDocument.Parse(json.Out).RootElement.GetProperty("plugins").EnumerateArray(), p => p.GetProperty("name").GetString() == "Colorize.Engine");
        Assert.True(plugin.GetProperty("loaded").GetBoolean());
        Assert.NotEqual(0, plugin.GetProperty("engines").GetArrayLength());
    }

    [Fact]
    public void PluginsInTheHome_AreLoadedToo_AndABrokenOneIsReportedNotFatal()
    {
        string broken = Path.Combine(_host.Home, "plugins", "Broken.Plugin");
        Directory.CreateDirectory(broken);
        File.WriteAllText(Path.Combine(broken, "Broken.Plugin.dll"), "not an assembly");

        var run = _host.Run("plugins", "list");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Colorize.Engine", run.Out, StringComparison.Ordinal);
        Assert.Contains("Broken.Plugin", run.Out, StringComparison.Ordinal);
        Assert.StartsWith($"error: {broken}: ", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }
}
