using System.Security.Cryptography;
using Colorize.Plugins.Packs;
using Colorize.Plugins.Tests.Infrastructure;
using Colorize.PackTool;

namespace Colorize.Packaging.Tests;

/// <summary>colorize-pack: an unpacked pack folder (packaging/packs/&lt;id&gt;/) becomes a .cpack the store installs.</summary>
public sealed class PackToolTests : IDisposable
{
    private readonly TestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static (int ExitCode, string Out, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static PackBuilder TinyPack() => PackBuilder.Pix2Pix("tiny-base", "1.2.3").WithListedFile("MODEL_CARD.md", "# tiny-base\nA test pack.\n");

    [Fact]
    public void Folder_BecomesAPackage_ThatTheStoreInstallsWithEveryFileIntact()
    {
        var pack = TinyPack();
        string folder = PackFolders.Write(pack, _temp.Combine("packs", "tiny-base"));
        string output = _temp.Combine("dist", "tiny-base-1.2.3.cpack");

        var run = Run(folder, "-o", output);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("tiny-base@1.2.3", run.Out, StringComparison.Ordinal);
        var store = new PackStore(new PackStoreOptions { Home = _temp.Combine("home"), UseApplicationPacksFolder = false });
        var installed = store.Install(output);
        Assert.Equal("tiny-base@1.2.3", installed.Reference);
        Assert.True(installed.Verify().IsValid);
        Assert.Equal(["MODEL_CARD.md", "manifest.json", "weights.safetensors"], Directory.GetFiles(installed.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var (name, data) in pack.Files)
        {
            Assert.Equal(data, File.ReadAllBytes(Path.Combine(installed.Directory, name)));
        }

        Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "manifest.json")), File.ReadAllBytes(Path.Combine(installed.Directory, "manifest.json")));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, "*.tmp"));
    }

    [Fact]
    public void SameFolder_WritesTheSameBytes_EveryTime()
    {
        string folder = PackFolders.Write(TinyPack(), _temp.Combine("tiny-base"));
        string first = _temp.Combine("first.cpack");
        string second = _temp.Combine("second.cpack");

        Assert.Equal(0, Run(folder, "-o", first).ExitCode);
        File.SetLastWriteTimeUtc(Path.Combine(folder, "weights.safetensors"), DateTime.UtcNow.AddDays(-3));
        Assert.Equal(0, Run(folder, "-o", second).ExitCode);

        Assert.Equal(SHA256.HashData(File.ReadAllBytes(first)), SHA256.HashData(File.ReadAllBytes(second)));
    }

    [Fact]
    public void UnlistedFile_IsRefused_AndNothingIsWritten()
    {
        string folder = PackFolders.Write(TinyPack(), _temp.Combine("tiny-base"));
        File.WriteAllText(Path.Combine(folder, "NOTES.txt"), "not in the manifest");
        string output = _temp.Combine("out", "tiny-base.cpack");

        var run = Run(folder, "-o", output);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("'NOTES.txt' is not listed in the manifest", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void ChangedWeights_AreRefused_NamingTheFile()
    {
        string folder = PackFolders.Write(TinyPack(), _temp.Combine("tiny-base"));
        string weights = Path.Combine(folder, "weights.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0x55;
        File.WriteAllBytes(weights, bytes);

        var run = Run(folder, "-o", _temp.Combine("tiny-base.cpack"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("'weights.safetensors' has sha256", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_temp.Combine("tiny-base.cpack")));
    }

    [Fact]
    public void MissingManifest_IsRefused_WithOneLine()
    {
        Directory.CreateDirectory(_temp.Combine("empty"));

        var run = Run(_temp.Combine("empty"), "-o", _temp.Combine("x.cpack"));

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: ", run.Error, StringComparison.Ordinal);
        Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void WithoutAnOutput_IsAUsageError()
    {
        Assert.Equal(2, Run(_temp.Path).ExitCode);
    }
}
