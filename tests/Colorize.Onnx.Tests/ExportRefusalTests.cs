using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Colorize.Abstractions.Packs;
using Colorize.Trainer.Export;

namespace Colorize.Onnx.Tests;

/// <summary>
/// What <c>colorize-train export</c> refuses, and that a refusal is one line with nothing written; and what the written
/// model says about itself, read back by the repository's own ONNX reader.
/// </summary>
public sealed class ExportRefusalTests : IDisposable
{
    private static readonly byte[] Previous = "the previous file"u8.ToArray();
    private readonly string _folder = Directory.CreateTempSubdirectory("colorize-onnx-refusal").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string> Corruptions => new() { "unknown architecture", "weights changed after packing", "weights truncated (sha256 updated)", "missing folder" };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void BadPack_IsOneLine_AndLeavesTheTargetAsItWas(string corruption)
    {
        string pack = Path.Combine(_folder, "pack");
        CopyShippedPack(pack);
        string manifestPath = Path.Combine(pack, "manifest.json");
        string weightsPath = Path.Combine(pack, "weights.safetensors");
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        switch (corruption)
        {
            case "unknown architecture":
                manifest["architecture"]!["name"] = "no-such-network";
                break;
            case "weights changed after packing":
                byte[] bytes = File.ReadAllBytes(weightsPath);
                bytes[^100] ^= 0x5a;
                File.WriteAllBytes(weightsPath, bytes);
                break;
            case "weights truncated (sha256 updated)":
                byte[] truncated = File.ReadAllBytes(weightsPath)[..^4096];
                File.WriteAllBytes(weightsPath, truncated);
                manifest["weights"]!["sha256"] = Convert.ToHexStringLower(SHA256.HashData(truncated));
                break;
            default:
                Directory.Delete(pack, recursive: true);
                break;
        }

        if (Directory.Exists(pack))
        {
            File.WriteAllText(manifestPath, manifest.ToJsonString());
        }

        string output = Path.Combine(_folder, "out", "model.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        File.WriteAllBytes(output, Previous);

        var (code, stdout, stderr) = GeneratorExportTests.RunCommand("export", pack, "--onnx", output);

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("colorize-train: ", line, StringComparison.Ordinal);
        Assert.Equal(Previous, File.ReadAllBytes(output));
        Assert.Equal([output], Directory.GetFiles(Path.GetDirectoryName(output)!));
    }

    [Theory]
    [InlineData("patchgan")]
    [InlineData("sagan-critic")]
    [InlineData("no-such-network")]
    public void ArchitectureWithoutExport_IsATrainerException(string name)
    {
        var spec = new ArchitectureSpec { Name = name, Version = 1 };
        var e = Assert.Throws<Colorize.Trainer.TrainerException>(() => OnnxExport.CheckExportable(spec));
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ExportOfAnotherArchitectureThanTheWeights_IsRefusedBeforeWriting()
    {
        // A unet-classic network described as pix2pix: the walk finds no 'model' layer.
        var source = ExportKit.RandomNetwork("unet-classic", """{"width": 8, "depth": 2}""", seed: 3);
        var wrong = source with { Architecture = new ArchitectureSpec { Name = "pix2pix-unet", Version = 1 } };
        string output = Path.Combine(_folder, "wrong.onnx");
        Assert.Throws<Colorize.Trainer.TrainerException>(() => OnnxExport.Write(wrong, output));
        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Fact]
    public void NetworkOptimisedForTheEngine_IsRefused_InsteadOfLosingItsFusedReLUs()
    {
        // Optimising unet-classic folds its BatchNorms into the convolutions (weights and a bias the exporter writes as
        // plain convolutions, the identities left behind pass through) and fuses its ReLUs: every layer the exporter
        // walks is still there, so without the check the graph would be written with every fused ReLU left out.
        var source = ExportKit.RandomNetwork("unet-classic", """{"width": 8, "depth": 2}""", seed: 3);
        var optimisation = Colorize.Tensors.NN.InferenceOptimizer.Optimize(source.Built.Module);
        Assert.True(optimisation.ReLUs > 0, "the test network should have a ReLU to fuse");
        string output = Path.Combine(_folder, "optimised.onnx");

        var refusal = Assert.Throws<Colorize.Trainer.TrainerException>(() => OnnxExport.Write(source, output));

        Assert.Contains("ReLU fused", refusal.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Fact]
    public void WrittenModel_ReadsBack_WithTheDeclaredContract()
    {
        var source = ExportKit.RandomNetwork("resnet-unet", """{"encoderDepth": 18, "width": 0.25, "hints": true}""", seed: 5);
        string path = Path.Combine(_folder, "hints.onnx");
        var result = OnnxExport.Write(source, path);
        Assert.Equal(new FileInfo(path).Length, result.Bytes);

        var model = OnnxModel.Load(path);
        Assert.Equal(8, model.IrVersion);
        Assert.Equal(17, model.OpsetImports[""]);
        Assert.Equal("colorize-train", model.ProducerName);
        Assert.Equal([OnnxExport.InputL, OnnxExport.InputHints], model.Graph.RuntimeInputs.Select(i => i.Name));
        Assert.Equal(["batch", "1", "height", "width"], model.Graph.RuntimeInputs[0].Shape!.Select(d => d.ToString()));
        Assert.Equal(["batch", "3", "height", "width"], model.Graph.RuntimeInputs[1].Shape!.Select(d => d.ToString()));
        var ab = Assert.Single(model.Graph.Outputs);
        Assert.Equal(OnnxExport.OutputAb, ab.Name);
        Assert.Equal(["batch", "2", "height", "width"], ab.Shape!.Select(d => d.ToString()));

        // Every weight of the network is in the file (spectral-normalised ones once, as the folded weight).
        var state = source.Built.Module.StateDict();
        foreach (var key in state.Keys.Where(k => k.EndsWith(".weight", StringComparison.Ordinal) || k.EndsWith(".weight_orig", StringComparison.Ordinal)))
        {
            string name = key.EndsWith(".weight_orig", StringComparison.Ordinal) ? key[..^"_orig".Length] : key;
            Assert.True(model.Graph.Initializers.ContainsKey(name), $"no initializer {name}");
        }

        Assert.Equal(result.Nodes, model.Graph.Nodes.Count);
    }

    private static void CopyShippedPack(string destination)
    {
        string source = Path.Combine(ExportKit.RepositoryRoot(), "packaging", "packs", "colorize-base");
        Directory.CreateDirectory(destination);
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        }
    }
}
