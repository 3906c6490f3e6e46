using Colorize.Onnx.Writing;
using Colorize.Trainer.Export;
using Xunit.Abstractions;

namespace Colorize.Onnx.Tests;

/// <summary>
/// <c>colorize-train pack --onnx</c>: an exported graph packed again loads in the engine (with every pack check) and
/// matches ONNX Runtime running the file; other graphs are refused in one line.
/// </summary>
public sealed class OnnxImportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("colorize-onnx-import").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, string> Networks => new()
    {
        { "pix2pix-unet", """{"numDowns": 5, "ngf": 8, "norm": "batch"}""" },
        { "unet-classic", """{"width": 8, "depth": 2}""" },
        { "resnet-unet", """{"encoderDepth": 18, "width": 0.25, "hints": true}""" },
        { "resnet-unet", """{"encoderDepth": 18, "width": 0.25, "abHead": "classes", "annealTemperature": 0.5}""" },
        // Without spectral norm, so that the block reaches the output (see GeneratorExportTests).
        { "resnet-unet", """{"encoderDepth": 18, "width": 0.25, "spectralNorm": false, "globalContext": true}""" },
        // The gated form: its gate (non-zero here, ExportKit.RandomNetwork) is an initializer of the state-dict key's name.
        { "resnet-unet", """{"encoderDepth": 18, "width": 0.25, "spectralNorm": false, "globalContext": true, "globalContextGate": true}""" },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void ExportedGraph_PacksAgain_AndTheEngineMatchesOnnxRuntime(string architecture, string hyperparameters)
    {
        var original = ExportKit.RandomNetwork(architecture, hyperparameters, seed: 29) with { ChromaGain = 1.25 };
        string onnx = Path.Combine(_folder, "model.onnx");
        OnnxExport.Write(original, onnx);
        string pack = Path.Combine(_folder, "pack");

        var (code, stdout, stderr) = GeneratorExportTests.RunCommand("pack", "--onnx", onnx, "--id", "imported", "--version", "1.0.0", "--folder", pack);
        Assert.True(code == 0, stderr);
        output.WriteLine(stdout);

        // Opened as any pack is (sha256, manifest, engine compatibility, weights against the architecture).
        var imported = OnnxExport.Open(pack);
        Assert.Equal(1.25, imported.ChromaGain);
        Assert.Equal(original.Built.TakesHints, imported.Built.TakesHints);

        const int width = 64, height = 96;
        var (l, hints) = ExportKit.Batch(1, width, height);
        using var session = ExportKit.Session(onnx);
        float[] ort = ExportKit.RunOrt(session, l, imported.Built.TakesHints ? hints : null, 1, width, height);
        ExportKit.FoldForEngine(imported.Built);
        float[] engine = ExportKit.EngineForward(imported.Built, ExportKit.EngineInput(l, imported.Built.TakesHints ? hints : null, 1, width, height, imported.ChromaGain));
        float max = engine.Select((e, i) => Math.Abs(e - (ort[i] / (110f * 1.25f)))).Max();
        output.WriteLine(FormattableString.Invariant($"{architecture}: max |diff| {max:E2}"));
        Assert.True(max <= 1e-4f, FormattableString.Invariant($"max |diff| {max:E3}"));
    }

    [Fact]
    public void UnsupportedOperators_AreNamedInOneLine()
    {
        var b = new OnnxGraphBuilder("other");
        b.AddInput("L", OnnxElementType.Float, [new(1, null), new(1, null), new(null, "h"), new(null, "w")]);
        string x = b.AddNode("Sin", ["L"]);
        x = b.AddNode("Relu", [x]);
        b.AddNode("Gelu", [b.AddNode("Erf", [x])], "ab");
        b.AddOutput("ab", OnnxElementType.Float, [new(1, null), new(1, null), new(null, "h"), new(null, "w")]);
        string onnx = Path.Combine(_folder, "other.onnx");
        b.Save(onnx, new OnnxModelMetadata());

        var line = Refused(onnx);
        Assert.Contains("Erf, Gelu, Sin", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Relu", line, StringComparison.Ordinal);
    }

    [Fact]
    public void SupportedOperatorsWithoutExportMetadata_AreRefused()
    {
        var b = new OnnxGraphBuilder("plain");
        b.AddInput("L", OnnxElementType.Float, [new(1, null), new(1, null), new(8, null), new(8, null)]);
        b.AddNode("Tanh", ["L"], "ab");
        b.AddOutput("ab", OnnxElementType.Float, [new(1, null), new(1, null), new(8, null), new(8, null)]);
        string onnx = Path.Combine(_folder, "plain.onnx");
        b.Save(onnx, new OnnxModelMetadata());
        Assert.Contains("not written by colorize-train export", Refused(onnx), StringComparison.Ordinal);
    }

    [Fact]
    public void ModifiedExport_IsRefused()
    {
        var original = ExportKit.RandomNetwork("unet-classic", """{"width": 8, "depth": 2}""", seed: 31);
        string onnx = Path.Combine(_folder, "model.onnx");
        OnnxExport.Write(original, onnx);

        // The weights are taken from the file, so a changed weight would simply be imported; a changed layer setting,
        // which no weight carries (a max pool's stride), must be caught by comparing with the exporter's graph.
        var proto = Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        var pool = proto.Graph.Node.First(n => n.OpType == "MaxPool");
        pool.Attribute.First(a => a.Name == "strides").Ints[0] = 1;
        File.WriteAllBytes(onnx, Google.Protobuf.MessageExtensions.ToByteArray(proto));

        Assert.Contains("differs from what colorize-train export writes", Refused(onnx), StringComparison.Ordinal);
    }

    private string Refused(string onnx)
    {
        string pack = Path.Combine(_folder, "refused");
        var (code, stdout, stderr) = GeneratorExportTests.RunCommand("pack", "--onnx", onnx, "--id", "x", "--version", "1.0.0", "--folder", pack);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.False(Directory.Exists(pack));
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        output.WriteLine(line);
        return line;
    }
}
