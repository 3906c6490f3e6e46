using System.Diagnostics;

namespace Colorize.Host.Tests;

/// <summary>
/// What a killed run leaves behind must not stay forever (issue 15 §3): the hidden temporary file of an output that was
/// being written when the process was killed is deleted by the next run that writes into that folder.
/// </summary>
public sealed class LeftoverTests : IDisposable
{
    private readonly HostHarness _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void ARun_DeletesTheTemporaryFileThatAKilledRunLeftInItsOutputFolder()
    {
        _host.InstallTinyPack();
        _host.WriteGray("photo.png");
        Directory.CreateDirectory(_host.InWork("out"));
        string stale = _host.InWork("out", $".photo.png.{KilledProcessId()}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(stale, new byte[4096]);

        var run = _host.Run("photo.png", "-o", "out/photo.png", "--pack", "tiny-unet");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.False(File.Exists(stale), "the killed run's temporary file is still there");
        Assert.Equal(["photo.png"], Directory.GetFiles(_host.InWork("out")).Select(Path.GetFileName));
    }

    /// <summary>The id of a process killed the way <c>kill -9</c> kills a run.</summary>
    private static int KilledProcessId()
    {
        var start = OperatingSystem.IsWindows() ? new ProcessStartInfo("ping", "-n 120 127.0.0.1") : new ProcessStartInfo("sleep", "120");
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        using var child = Process.Start(start)!;
        child.Kill();
        child.WaitForExit();
        return child.Id;
    }
}
