using System.Security.Cryptography;
using System.Text.Json;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Plugins.Packs;
using Colorize.Tensors;
using Colorize.Tensors.Serialization;

namespace Colorize.Trainer.Tests;

/// <summary><c>eval --hint-propagation on|off</c> (issue 16): off scores the hint network alone, on (the default) what the product gives.</summary>
public sealed class HintPropagationEvalTests
{
    /// <summary>
    /// A tiny hint pack folder whose hint branch is zero (as a fine-tune starts): the network alone ignores hints, so
    /// its score with hints is its score without them, and only the engine's propagation can make hints count.
    /// </summary>
    private static string WriteZeroBranchHintPack(string root)
    {
        var spec = new ArchitectureSpec
        {
            Name = "resnet-unet",
            Version = 1,
            Hyperparameters = TinyPhotos.Hyper("""{ "encoderDepth": 18, "width": 0.125, "selfAttention": false, "spectralNorm": false, "hints": true }"""),
        };
        var network = ArchitectureRegistry.Build(spec, ArchitectureRole.Generator, new Generator(5)).Module;
        var weights = StateDictIO.ToBytes(network.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value), SafeTensorsDType.F32);
        var manifest = new PackManifest
        {
            Schema = 1,
            Id = "tiny-zero-hints",
            Version = "0.0.1",
            Name = "Tiny hint pack with a zero hint branch",
            Architecture = spec,
            Input = new InputSpec { DefaultRenderSize = 64, MinRenderSize = 32, MaxRenderSize = 512, Hints = true },
            Engine = new EngineRequirement { Range = ">=0.0.0" },
            Weights = new WeightsSpec { Sha256 = Convert.ToHexStringLower(SHA256.HashData(weights)), DType = "F32" },
            License = "CC0-1.0",
        };
        string folder = Path.Combine(root, "packs", "tiny-zero-hints");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "weights.safetensors"), weights);
        File.WriteAllBytes(Path.Combine(folder, PackManifestJson.FileName), PackManifestJson.Serialize(manifest));
        return folder;
    }

    [Fact]
    public void Eval_HintPropagationOff_ScoresTheNetworkAlone_OnIsTheDefault_AndOtherValuesAreRefused()
    {
        using var photos = new TinyPhotos(4, size: 48, withGrayscale: false, withBroken: false);
        string pack = WriteZeroBranchHintPack(photos.Root);
        (JsonElement Json, string Table) Eval(params string[] extra)
        {
            string[] common = ["eval", "--pack", pack, "--data", photos.Data, "--render-size", "64", .. extra];
            var json = new StringWriter();
            Assert.Equal(0, Program.Run([.. common, "--json"], json, TextWriter.Null));
            var table = new StringWriter();
            Assert.Equal(0, Program.Run(common, table, TextWriter.Null));
            return (JsonDocument.Parse(json.ToString()).RootElement, table.ToString());
        }

        static double Mae(JsonElement r) => r.GetProperty("model").GetProperty("abMae").GetDouble();
        static double Psnr(JsonElement r) => r.GetProperty("model").GetProperty("psnr").GetDouble();

        var (none, _) = Eval("--hints", "0");
        var (off, offTable) = Eval("--hints", "5", "--hint-propagation", "off");
        var (on, onTable) = Eval("--hints", "5");
        var (onExplicit, _) = Eval("--hints", "5", "--hint-propagation", "on");

        // The zero branch ignores the hint planes: off is the automatic score to the last bit.
        Assert.Equal(Mae(none), Mae(off));
        Assert.Equal(Psnr(none), Psnr(off));
        // On, the hints (true colours) spread over their regions and bring the colours closer to the truth.
        Assert.True(Mae(on) < Mae(off) - 0.5, $"ab MAE {Mae(on):F2} with propagation, {Mae(off):F2} without");
        Assert.Equal(Mae(on), Mae(onExplicit));

        Assert.False(off.GetProperty("hintPropagation").GetBoolean());
        Assert.True(on.GetProperty("hintPropagation").GetBoolean());
        Assert.Equal(JsonValueKind.Null, none.GetProperty("hintPropagation").ValueKind);
        Assert.Contains("hint propagation off", offTable, StringComparison.Ordinal);
        Assert.DoesNotContain("hint propagation", onTable, StringComparison.Ordinal);

        var stderr = new StringWriter();
        Assert.Equal(1, Program.Run(["eval", "--pack", pack, "--data", photos.Data, "--hints", "5", "--hint-propagation", "maybe"], TextWriter.Null, stderr));
        Assert.Contains("--hint-propagation must be on or off, got 'maybe'", stderr.ToString(), StringComparison.Ordinal);
        Assert.Single(stderr.ToString().TrimEnd().Split('\n'));
    }
}
