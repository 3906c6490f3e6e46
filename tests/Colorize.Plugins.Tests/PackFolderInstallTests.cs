using System.Diagnostics;
using Colorize.Abstractions.Packs;
using Colorize.Plugins.Packs;
using Colorize.Plugins.Tests.Infrastructure;

namespace Colorize.Plugins.Tests;

/// <summary>
/// Installing an unpacked pack folder (<c>colorize packs install &lt;folder&gt;</c>): the same result as its
/// <c>.cpack</c>, and the same refusals — extra or missing files, changed files, links, non-regular files.
/// </summary>
public sealed class PackFolderInstallTests : IDisposable
{
    private readonly TestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Folder_InstallsTheSameFilesAsItsCpack()
    {
        var builder = PackBuilder.Echo("folder", "1.0.0").WithListedFile("MODEL_CARD.md", "# card");
        var store = NewStore();

        var installed = store.Install(WriteFolder(builder, "folder"));

        Assert.Equal("folder@1.0.0", installed.Reference);
        Assert.Equal(["MODEL_CARD.md", "manifest.json", "weights.safetensors"], Directory.GetFiles(installed.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(Assert.Single(store.Verify("folder")).IsValid);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.PacksDirectory, ".staging")));
    }

    [Fact]
    public void Folder_AlreadyInstalled_IsRefusedWithTheTypedException()
    {
        var store = NewStore();
        string folder = WriteFolder(PackBuilder.Echo("twice", "1.0.0"), "twice");
        store.Install(folder);

        var error = Assert.Throws<PackAlreadyInstalledException>(() => store.Install(folder));

        Assert.Equal("twice@1.0.0", error.Reference);
        Assert.Equal(Path.Combine(store.PacksDirectory, "twice", "1.0.0"), error.Directory);
        store.Install(folder, new PackInstallOptions { Overwrite = true });
    }

    [Theory]
    [InlineData("extra", "'notes.txt' is in the folder but not listed")]
    [InlineData("missing", "'MODEL_CARD.md' is listed in the manifest but missing")]
    [InlineData("changed", "sha256 of 'weights.safetensors'")]
    [InlineData("link", "is a link")]
    [InlineData("hidden", "'.hidden' is not an allowed file name")]
    public void Folder_ThatIsNotExactlyItsPack_IsRefused_AndTheStoreIsUnchanged(string damage, string expected)
    {
        string folder = WriteFolder(PackBuilder.Echo("bad", "1.0.0").WithListedFile("MODEL_CARD.md", "# card"), "bad-" + damage);
        switch (damage)
        {
            case "extra":
                File.WriteAllText(Path.Combine(folder, "notes.txt"), "not listed");
                break;
            case "missing":
                File.Delete(Path.Combine(folder, "MODEL_CARD.md"));
                break;
            case "changed":
                File.AppendAllText(Path.Combine(folder, "weights.safetensors"), "!");
                break;
            case "link":
                string outside = _temp.Combine("outside.md");
                File.WriteAllText(outside, "# card");
                File.Delete(Path.Combine(folder, "MODEL_CARD.md"));
                File.CreateSymbolicLink(Path.Combine(folder, "MODEL_CARD.md"), outside);
                break;
            default:
                File.WriteAllText(Path.Combine(folder, ".hidden"), "x");
                break;
        }

        var store = NewStore();

        var error = Assert.ThrowsAny<ModelPackException>(() => store.Install(folder));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Empty(store.List());
        string staging = Path.Combine(store.PacksDirectory, ".staging");
        Assert.True(!Directory.Exists(staging) || Directory.GetFileSystemEntries(staging).Length == 0, "a refused folder left files in staging");
    }

    [Fact]
    public async Task Folder_WithAFifoForAFile_IsRefusedWithoutBlocking()
    {
        // A FIFO reports length 0 and opening it would wait for a writer forever; it must never be opened.
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        string folder = WriteFolder(PackBuilder.Echo("fifo", "1.0.0").WithListedFile("MODEL_CARD.md", "# card"), "fifo");
        File.Delete(Path.Combine(folder, "MODEL_CARD.md"));
        using (var mkfifo = Process.Start("mkfifo", [Path.Combine(folder, "MODEL_CARD.md")]))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var store = NewStore();
        var install = Task.Run(() => store.Install(folder));

        Assert.Same(install, await Task.WhenAny(install, Task.Delay(TimeSpan.FromSeconds(20))));
        var error = await Assert.ThrowsAnyAsync<ModelPackException>(() => install);
        Assert.Contains("MODEL_CARD.md", error.Message, StringComparison.Ordinal);
        Assert.Empty(store.List());
    }

    private PackStore NewStore() => new(new PackStoreOptions { Home = _temp.Combine("home"), UseApplicationPacksFolder = false });

    private string WriteFolder(PackBuilder builder, string name)
    {
        string folder = _temp.Combine("folders", name);
        Directory.CreateDirectory(folder);
        foreach (var entry in builder.Entries())
        {
            File.WriteAllBytes(Path.Combine(folder, entry.Name), entry.Data);
        }

        return folder;
    }
}
