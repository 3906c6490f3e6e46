using Colorize.Abstractions;
using Colorize.Engine;
using Colorize.Plugins.Packs;
using Colorize.Tensors.Serialization;

namespace Colorize.Trainer.Tests;

/// <summary><c>colorize-train pack --folder</c>: the unpacked layout of packaging/packs/&lt;id&gt;/ with a model card inside.</summary>
public sealed class PackFolderTests
{
    [Fact]
    public void PackFolder_WithModelCard_IsABundledPackThatVerifiesAndColorizes()
    {
        using var photos = new TinyPhotos(5);
        string runDir = photos.Run("folder");
        var run = TrainingRun.Start(TinyPhotos.TinyConfig("unet-l1", 2), runDir, resume: false, TextWriter.Null);
        run.Train(PhotoDataset.Prepare(photos.Data, runDir, run.Config, TextWriter.Null));
        string card = Path.Combine(photos.Root, "card.md");
        File.WriteAllText(card, "# Model card\nTiny test model.\n");
        string packs = Path.Combine(photos.Root, "packs");
        string folder = Path.Combine(packs, "tiny-folder");

        var stdout = new StringWriter();
        int code = Program.Run(["pack", runDir, "--id", "tiny-folder", "--version", "1.2.0", "--folder", folder, "--dtype", "f16",
            "--checkpoint", "last", "--render-size", "96", "--model-card", card, "--license", "CC-BY-4.0", "--chroma-gain", "1.4"], stdout, TextWriter.Null);

        Assert.Equal(0, code);
        Assert.Equal(["MODEL_CARD.md", "manifest.json", "weights.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([folder], Directory.GetDirectories(packs));
        var store = new PackStore(new PackStoreOptions { Home = Path.Combine(photos.Root, "home"), UseApplicationPacksFolder = false });
        store.AddBundledFolder(packs);
        var pack = store.Resolve("tiny-folder");
        Assert.Equal("tiny-folder@1.2.0", pack.Reference);
        Assert.Equal(96, pack.Manifest.Input.DefaultRenderSize);
        Assert.Equal(1.4, pack.Manifest.Input.ChromaGain);
        Assert.Equal("CC-BY-4.0", pack.Manifest.License);
        Assert.Equal(2, pack.Manifest.Training!.Epochs);
        Assert.Contains("the last", pack.Manifest.Description, StringComparison.Ordinal);
        Assert.Equal(SafeTensorsDType.F16.ToHeaderName(), pack.Manifest.Weights.DType);
        Assert.Empty(Assert.Single(store.Verify("tiny-folder")).Problems);

        // Writing again replaces the folder in one step and leaves no temp folders behind.
        Assert.Equal(0, Program.Run(["pack", runDir, "--id", "tiny-folder", "--version", "1.2.0", "--folder", folder], stdout, TextWriter.Null));
        Assert.Equal([folder], Directory.GetDirectories(packs));
        Assert.Equal(["manifest.json", "weights.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("chromaGain", File.ReadAllText(Path.Combine(folder, "manifest.json")), StringComparison.Ordinal);

        var engine = new CpuColorizerEngine();
        var colorizer = engine.Load(store.Resolve("tiny-folder"));
        var source = PixelBuffer.Allocate(40, 30, PixelFormat.Bgra32);
        var destination = PixelBuffer.Allocate(40, 30, PixelFormat.Bgra32);
        colorizer.Colorize(source, destination);
    }

    [Fact]
    public void StorageType_KeepsBatchNormStatisticsF32_AndRefusesAWeightBeyondF16()
    {
        var tensors = new Dictionary<string, Colorize.Tensors.Tensor>(StringComparer.Ordinal)
        {
            ["encoder.bn1.running_var"] = Colorize.Tensors.Tensor.FromArray([3e5f, 1f], 2),
            ["encoder.bn1.running_mean"] = Colorize.Tensors.Tensor.FromArray([100f, 1f], 2),
            ["encoder.conv1.weight"] = Colorize.Tensors.Tensor.FromArray([0.5f, -2f], 2),
        };
        var type = PackWriter.StorageType(tensors, SafeTensorsDType.F16);
        Assert.Equal(SafeTensorsDType.F32, type("encoder.bn1.running_var"));
        Assert.Equal(SafeTensorsDType.F32, type("encoder.bn1.running_mean"));
        Assert.Equal(SafeTensorsDType.F16, type("encoder.conv1.weight"));
        Assert.Equal(SafeTensorsDType.F32, PackWriter.StorageType(tensors, SafeTensorsDType.F32)("encoder.bn1.running_var"));

        tensors["encoder.conv1.weight"] = Colorize.Tensors.Tensor.FromArray([7e4f, 1f], 2);
        Assert.Contains("encoder.conv1.weight", Assert.Throws<TrainerException>(() => PackWriter.StorageType(tensors, SafeTensorsDType.F16)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PackFolder_RejectsBadOptions_WithOneLine()
    {
        using var photos = new TinyPhotos(5);
        string runDir = photos.Run("bad");
        var run = TrainingRun.Start(TinyPhotos.TinyConfig("unet-l1", 1), runDir, resume: false, TextWriter.Null);
        run.Train(PhotoDataset.Prepare(photos.Data, runDir, run.Config, TextWriter.Null));
        string folder = Path.Combine(photos.Root, "p");

        foreach (var (args, expected) in new (string[], string)[]
        {
            (["--checkpoint", "middle"], "--checkpoint must be best, last or epoch-<n>"),
            (["--render-size", "8"], "--render-size must be from 64"),
            (["--chroma-gain", "9"], "--chroma-gain must be from 0.25 to 4"),
            (["--model-card", Path.Combine(photos.Root, "none.md")], "does not exist"),
            (["-o", Path.Combine(photos.Root, "x.cpack")], "not both"),
        })
        {
            var stderr = new StringWriter();
            int code = Program.Run(["pack", runDir, "--id", "p", "--version", "1.0.0", "--folder", folder, .. args], TextWriter.Null, stderr);
            Assert.Equal(1, code);
            Assert.Contains(expected, stderr.ToString(), StringComparison.Ordinal);
            Assert.False(Directory.Exists(folder));
        }
    }
}
