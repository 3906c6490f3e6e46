using System.Diagnostics;
using Colorize.Abstractions;
using Colorize.Imaging.Formats.Png;

namespace Colorize.Imaging.Tests;

/// <summary>
/// A process killed while <see cref="Image.Save(string, IImageEncoder, bool)"/> writes leaves its hidden temporary
/// file behind; the next save into that folder must remove it, and must never touch a live writer's file.
/// </summary>
public sealed class StaleTemporaryFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("colorize-stale-tmp-").FullName;
    private readonly List<Process> _children = [];

    public void Dispose()
    {
        foreach (var child in _children)
        {
            if (!child.HasExited)
            {
                child.Kill();
                child.WaitForExit();
            }

            child.Dispose();
        }

        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void Save_RemovesTheTemporaryFilesOfDeadProcesses_AndKeepsLiveOnes()
    {
        int dead = DeadProcessId();
        int live = StartSleeper().Id;
        string stale = Fake($".photo.png.{dead}.{Guid.NewGuid():N}.tmp");
        string staleOtherName = Fake($".scan-2.jpg.{dead}.{Guid.NewGuid():N}.tmp");
        string liveWriter = Fake($".photo.png.{live}.{Guid.NewGuid():N}.tmp");
        string ours = Fake($".photo.png.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        string notOurs = Fake(".notes.tmp");
        string oldStyle = Fake($".photo.png.{Guid.NewGuid():N}.tmp");

        new Image(4, 3, PixelFormat.Gray8).Save(Path.Combine(_folder, "out.png"), new PngEncoder());

        Assert.False(File.Exists(stale));
        Assert.False(File.Exists(staleOtherName));
        Assert.True(File.Exists(liveWriter), "a running process's temporary file was deleted");
        Assert.True(File.Exists(ours), "this process's own temporary file was deleted");
        Assert.True(File.Exists(notOurs));
        Assert.True(File.Exists(oldStyle));
        Assert.True(File.Exists(Path.Combine(_folder, "out.png")));
    }

    [Fact]
    public void RemoveStale_KeepsAFileSomeoneHoldsOpen_EvenWhenItsProcessIdLooksDead()
    {
        // A writer in another PID namespace (a container, another machine on a share) has an id we cannot see; its
        // open file's lock is what protects it.
        string held = Fake($".photo.png.{DeadProcessId()}.{Guid.NewGuid():N}.tmp");
        using (new FileStream(held, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            Assert.Equal(0, TemporaryFiles.RemoveStale(_folder));
            Assert.True(File.Exists(held));
        }

        Assert.Equal(1, TemporaryFiles.RemoveStale(_folder));
        Assert.False(File.Exists(held));
    }

    [Fact]
    public void Save_NamesItsTemporaryFileWithItsProcessId()
    {
        // The name is the contract the clean-up relies on: a save that fails part-way shows it.
        string path = Path.Combine(_folder, "out.png");
        string? seen = null;
        var encoder = new SpyEncoder(() => seen = Assert.Single(Directory.GetFiles(_folder)));

        Assert.Throws<InvalidOperationException>(() => new Image(2, 2, PixelFormat.Gray8).Save(path, encoder));

        Assert.NotNull(seen);
        Assert.Equal(Environment.ProcessId, TemporaryFiles.WriterId(Path.GetFileName(seen)));
        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Theory]
    [InlineData(".a.png.123.0123456789abcdef0123456789abcdef.tmp", 123)]
    [InlineData(".my.photo.final.jpg.7.fedcba9876543210fedcba9876543210.tmp", 7)]
    [InlineData(".a.png.0123456789abcdef0123456789abcdef.tmp", null)]
    [InlineData("a.png.123.0123456789abcdef0123456789abcdef.tmp", null)]
    [InlineData(".a.png.12x.0123456789abcdef0123456789abcdef.tmp", null)]
    [InlineData(".a.png.-1.0123456789abcdef0123456789abcdef.tmp", null)]
    [InlineData(".a.png.0.0123456789abcdef0123456789abcdef.tmp", null)]
    [InlineData(".a.png.123.0123456789ABCDEF0123456789abcdef.tmp", null)]
    [InlineData(".a.png.123.0123456789abcdef0123456789abcde.tmp", null)]
    [InlineData(".123.0123456789abcdef0123456789abcdef.tmp", null)]
    [InlineData(".tmp", null)]
    public void WriterId_ReadsOnlyThePattern(string name, int? pid) => Assert.Equal(pid, TemporaryFiles.WriterId(name));

    private string Fake(string name)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, new byte[1000]);
        return path;
    }

    private Process StartSleeper()
    {
        var start = OperatingSystem.IsWindows()
            ? new ProcessStartInfo("ping", "-n 120 127.0.0.1")
            : new ProcessStartInfo("sleep", "120");
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        var child = Process.Start(start)!;
        _children.Add(child);
        return child;
    }

    /// <summary>The id of a process that has just been killed (as <c>kill -9</c> would).</summary>
    private int DeadProcessId()
    {
        var child = StartSleeper();
        child.Kill();
        child.WaitForExit();
        return child.Id;
    }

    private sealed class SpyEncoder(Action during) : IImageEncoder
    {
        public ImageFormat Format => ImageFormat.Png;

        public void Encode(Image image, Stream stream)
        {
            stream.WriteByte(1);
            during();
            throw new InvalidOperationException("stop");
        }
    }
}
