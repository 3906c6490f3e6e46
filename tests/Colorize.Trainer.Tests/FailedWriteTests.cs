namespace Colorize.Trainer.Tests;

/// <summary>
/// A write that fails part-way (a full disk, a path taken by a folder) throws and leaves no temporary file behind:
/// checkpoints, run files and packs are written beside their target first, then renamed.
/// </summary>
public sealed class FailedWriteTests
{
    [Fact]
    public void AtomicFile_ThatCannotBeRenamedIntoPlace_RemovesItsTemporaryFile_AndLeavesTheTargetAlone()
    {
        string root = Directory.CreateTempSubdirectory("colorize-atomic-").FullName;
        try
        {
            // A folder where the file should go: the rename fails after the temporary file is complete.
            string target = Path.Combine(root, "last.json");
            Directory.CreateDirectory(target);
            File.WriteAllText(Path.Combine(target, "keep.txt"), "x");

            Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAllBytes(target, new byte[1000]));
            Assert.Equal(["last.json"], Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName));
            Assert.Equal("x", File.ReadAllText(Path.Combine(target, "keep.txt")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Pack_ThatCannotBeRenamedIntoPlace_RemovesItsTemporaryFile()
    {
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        string run = photos.Run("failed-pack");
        var training = TrainingRun.Start(TinyPhotos.TinyConfig("unet-l1", 1), run, resume: false, TextWriter.Null);
        training.Train(PhotoDataset.Prepare(photos.Data, run, training.Config, TextWriter.Null));
        string outDir = Path.Combine(photos.Root, "out");
        string pack = Path.Combine(outDir, "taken.cpack");
        Directory.CreateDirectory(pack);

        Assert.ThrowsAny<IOException>(() => PackWriter.Write(run, "failed", "1.0.0", pack));
        Assert.Equal(["taken.cpack"], Directory.EnumerateFileSystemEntries(outDir).Select(Path.GetFileName));
        Assert.Empty(Directory.EnumerateFileSystemEntries(pack));
    }
}
