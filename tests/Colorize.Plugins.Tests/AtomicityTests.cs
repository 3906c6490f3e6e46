using System.Diagnostics;
using System.Runtime.InteropServices;
using Colorize.Plugins.Packs;
using Colorize.Plugins.Tests.Infrastructure;

namespace Colorize.Plugins.Tests;

/// <summary>
/// An install killed part-way leaves no half-installed pack: a child process installs, is killed at a chosen stage,
/// and a new store (as the next run of a host would open) must show the store as before, with the leftovers gone.
/// A store that was already open (a running <c>colorize serve</c>) clears them at its next operation of any kind,
/// but never the staging folder of an install that is still running.
/// </summary>
public sealed class AtomicityTests : IDisposable
{
    private readonly TestDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void KilledAfterUnpacking_LeavesNoPack_AndTheNextStoreCleansTheStagingFolder()
    {
        string home = _temp.Combine("home");
        string package = PackBuilder.Echo("crash", "1.0.0").WithListedFile("MODEL_CARD.md", "card").Write(_temp.Path);

        RunAndKill(home, package, PackInstallStage.Extracted);

        // The dead install left its unpacked files in staging (proof the kill happened mid-install) ...
        string staging = Path.Combine(home, "packs", ".staging");
        var leftover = Assert.Single(Directory.GetDirectories(staging));
        Assert.True(File.Exists(Path.Combine(leftover, "weights.safetensors")));
        Assert.False(Directory.Exists(Path.Combine(home, "packs", "crash")));

        // ... which the next store removes, listing nothing.
        var store = new PackStore(new PackStoreOptions { Home = home, UseApplicationPacksFolder = false });
        Assert.Empty(store.List());
        Assert.Empty(Directory.GetDirectories(staging));
        Assert.False(store.TryResolve("crash", out _));

        // And the same package then installs normally.
        Assert.Equal("crash@1.0.0", store.Install(package).Reference);
    }

    [Fact]
    public void KilledBetweenTheRenamesOfAnOverwrite_PutsTheOldCopyBack()
    {
        string home = _temp.Combine("home");
        var store = new PackStore(new PackStoreOptions { Home = home, UseApplicationPacksFolder = false });
        store.Install(PackBuilder.Echo("crash", "1.0.0", "ECHO old").Write(_temp.Path));
        string replacement = PackBuilder.Echo("crash", "1.0.0", "ECHO new").Write(_temp.Path, "replacement.cpack");

        RunAndKill(home, replacement, PackInstallStage.ReplacingExisting, overwrite: true);

        // The old copy is in the trash, the new one still in staging: no pack in place at all.
        Assert.False(Directory.Exists(Path.Combine(home, "packs", "crash", "1.0.0")));

        var reopened = new PackStore(new PackStoreOptions { Home = home, UseApplicationPacksFolder = false });
        var pack = reopened.Resolve("crash@1.0.0");
        Assert.Equal("ECHO old", File.ReadAllText(Path.Combine(pack.Directory, "weights.safetensors")));
        Assert.True(pack.Verify().IsValid);
        Assert.Empty(Directory.GetDirectories(Path.Combine(home, "packs", ".staging")));
        Assert.Empty(Directory.GetDirectories(Path.Combine(home, "packs", ".trash")));
    }

    [Theory]
    [InlineData("list")]
    [InlineData("verify")]
    [InlineData("resolve")]
    [InlineData("try-resolve")]
    [InlineData("remove")]
    [InlineData("install")]
    public void KilledInstall_IsClearedByTheNextOperationOfAStoreOpenedBefore(string operation)
    {
        string home = _temp.Combine("home");
        var store = new PackStore(new PackStoreOptions { Home = home, UseApplicationPacksFolder = false });
        store.Install(PackBuilder.Echo("kept", "1.0.0").Write(_temp.Path, "kept.cpack"));
        string package = PackBuilder.Echo("crash", "1.0.0").WithListedFile("MODEL_CARD.md", "card").Write(_temp.Path);
        string staging = Path.Combine(home, "packs", ".staging");

        RunAndKill(home, package, PackInstallStage.Extracted);
        Assert.Single(Directory.GetDirectories(staging));

        switch (operation)
        {
            case "list":
                Assert.Equal(["kept@1.0.0"], store.List().Select(p => p.Reference));
                break;
            case "verify":
                Assert.All(store.Verify(), v => Assert.True(v.IsValid));
                break;
            case "resolve":
                Assert.Equal("kept@1.0.0", store.Resolve("kept").Reference);
                break;
            case "try-resolve":
                Assert.False(store.TryResolve("crash", out _));
                break;
            case "remove":
                Assert.Equal(["kept@1.0.0"], store.Remove("kept"));
                break;
            default:
                Assert.Equal("crash@1.0.0", store.Install(package).Reference);
                break;
        }

        Assert.Empty(Directory.GetDirectories(staging));
    }

    [Fact]
    public void AnInstallStillRunning_KeepsItsStagingFolder_WhileAnotherProcessListsVerifiesAndResolves()
    {
        string home = _temp.Combine("home");
        var store = new PackStore(new PackStoreOptions { Home = home, UseApplicationPacksFolder = false });
        string package = PackBuilder.Echo("slow", "1.0.0").WithListedFile("MODEL_CARD.md", "card").Write(_temp.Path);
        string staging = Path.Combine(home, "packs", ".staging");

        using (var child = StartAndWaitFor(home, package, PackInstallStage.Extracted))
        {
            try
            {
                Assert.Empty(store.List());
                Assert.Empty(store.Verify());
                Assert.False(store.TryResolve("slow", out _));
                Assert.Empty(new PackStore(new PackStoreOptions { Home = home, UseApplicationPacksFolder = false }).List());

                // The live install's files are untouched.
                var live = Assert.Single(Directory.GetDirectories(staging));
                Assert.True(File.Exists(Path.Combine(live, "weights.safetensors")));
            }
            finally
            {
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
            }
        }

        // Dead now: the same store's next listing clears them.
        Assert.Empty(store.List());
        Assert.Empty(Directory.GetDirectories(staging));
    }

    private static void RunAndKill(string home, string package, PackInstallStage stage, bool overwrite = false)
    {
        using var child = StartAndWaitFor(home, package, stage, overwrite);
        child.Kill(entireProcessTree: true);
        child.WaitForExit();
    }

    /// <summary>Starts an install in a child process and returns once it has reached <paramref name="stage"/> (and hangs there).</summary>
    private static Process StartAndWaitFor(string home, string package, PackInstallStage stage, bool overwrite = false)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { typeof(Program).Assembly.Location, "install-and-hang", home, package, stage.ToString() })
        {
            start.ArgumentList.Add(arg);
        }

        if (overwrite)
        {
            start.ArgumentList.Add("overwrite");
        }

        var child = Process.Start(start)!;
        try
        {
            var line = child.StandardOutput.ReadLineAsync();
            bool reached = line.Wait(TimeSpan.FromSeconds(60));
            Assert.True(reached && line.Result == $"REACHED {stage}",
                $"the helper did not reach {stage}: stdout '{(reached ? line.Result : "(nothing)")}', stderr: {(child.HasExited ? child.StandardError.ReadToEnd() : "(running)")}");
            return child;
        }
        catch
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            child.Dispose();
            throw;
        }
    }

    /// <summary>The dotnet host running these tests (the child must use the same runtime).</summary>
    private static string DotnetHost()
    {
        string name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        // .../shared/Microsoft.NETCore.App/<version>/ → the dotnet root three levels up.
        string root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        return Path.Combine(root, name);
    }
}
