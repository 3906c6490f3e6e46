using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Engine.Packs;
using Colorize.Tensors.Serialization;
using Colorize.Tensors;

namespace Colorize.Engine.Tests;

public sealed class WeightValidationTests
{
    private static readonly CpuColorizerEngine Engine = new();

    [Fact]
    public void MissingTensor_IsRefusedWithItsName()
    {
        var pack = TestPacks.TinyPix2Pix(mutate: s => s.Remove("model.model.0.weight"));
        var ex = Assert.Throws<ModelPackException>(() => Engine.Load(pack));
        Assert.Contains("model.model.0.weight", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void F16Pack_WithF32BatchNormStatistics_Loads_AndKeepsAVarianceBeyondF16()
    {
        // An ImageNet encoder's first BatchNorm sees 0-255 input: its variance can exceed F16's largest value.
        string key = "";
        var pack = TestPacks.TinyPix2Pix(dtype: "F16", f32Statistics: true, mutate: s =>
        {
            key = s.Keys.First(k => k.EndsWith(".running_var", StringComparison.Ordinal));
            s[key].Data[0] = 1e6f;
        });
        using var colorizer = Engine.Load(pack);
        var weights = WeightsLoader.Read(pack, ArchitectureRegistry.Build(pack.Manifest.Architecture, ArchitectureRole.Generator).Module);
        Assert.Equal(1e6f, weights[key].Data[0]);
    }

    [Fact]
    public void F16Pack_WithAnF32Weight_IsRefused()
    {
        var pack = TestPacks.TinyPix2Pix(dtype: "F16");
        var state = StateDictIO.Load(pack.Files["weights.safetensors"]);
        var bytes = StateDictIO.ToBytes(state, name => name == "model.model.0.weight" ? SafeTensorsDType.F32 : SafeTensorsDType.F16);
        var tampered = new InMemoryPack(pack.Manifest with { Weights = pack.Manifest.Weights with { Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)) } },
            new Dictionary<string, byte[]> { ["weights.safetensors"] = bytes });
        Assert.Contains("the manifest declares F16", Assert.Throws<ModelPackException>(() => Engine.Load(tampered)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnexpectedTensor_IsRefused()
    {
        var pack = TestPacks.TinyPix2Pix(mutate: s => s["extra"] = Tensor.Zeros(3));
        Assert.Contains("unexpected", Assert.Throws<ModelPackException>(() => Engine.Load(pack)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongShape_IsRefused()
    {
        var pack = TestPacks.TinyPix2Pix(mutate: s => s["model.model.0.weight"] = Tensor.Zeros(8, 1, 3, 3));
        Assert.Contains("shape", Assert.Throws<ModelPackException>(() => Engine.Load(pack)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NaNWeight_IsRefused()
    {
        var pack = TestPacks.TinyPix2Pix(mutate: s => s["model.model.0.weight"].Data[5] = float.NaN);
        Assert.Contains("non-finite", Assert.Throws<ModelPackException>(() => Engine.Load(pack)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DTypeDifferentFromTheManifest_IsRefused()
    {
        var pack = TestPacks.TinyPix2Pix(dtype: "F16");
        var lying = new InMemoryPack(pack.Manifest with { Weights = pack.Manifest.Weights with { DType = "F32" } }, pack.Files);
        Assert.Contains("F16", Assert.Throws<ModelPackException>(() => Engine.Load(lying)).Message, StringComparison.Ordinal);
        using var ok = Engine.Load(pack);
    }

    [Fact]
    public void CorruptWeightsFile_IsRefused()
    {
        var pack = TestPacks.TinyPix2Pix();
        pack.Files["weights.safetensors"] = pack.Files["weights.safetensors"][..100];
        Assert.Throws<ModelPackException>(() => Engine.Load(pack));
    }

    [Fact]
    public void UnknownArchitectureAndEngineRange_AreRefused()
    {
        var pack = TestPacks.TinyPix2Pix();
        var unknown = pack.Manifest with { Architecture = pack.Manifest.Architecture with { Name = "vit-huge" } };
        Assert.False(Engine.CheckCompatibility(unknown).IsCompatible);
        Assert.Throws<ModelPackException>(() => Engine.Load(new InMemoryPack(unknown, pack.Files)));
        var tooNew = TestPacks.TinyPix2Pix(engineRange: ">=99.0.0");
        Assert.Contains("99.0.0", Engine.CheckCompatibility(tooNew.Manifest).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownHyperparameter_IsRefused()
    {
        var pack = TestPacks.TinyPix2Pix();
        var hyper = new Dictionary<string, System.Text.Json.JsonElement>(pack.Manifest.Architecture.Hyperparameters)
        {
            ["numDownz"] = System.Text.Json.JsonSerializer.SerializeToElement(3),
        };
        var manifest = pack.Manifest with { Architecture = pack.Manifest.Architecture with { Hyperparameters = hyper } };
        Assert.Contains("numDownz", Assert.Throws<ModelPackException>(() => Engine.Load(new InMemoryPack(manifest, pack.Files))).Message, StringComparison.Ordinal);
    }
}
