using System.Security.Cryptography;
using System.Text.Json;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Engine.Packs;
using Colorize.Tensors;
using Colorize.Tensors.Serialization;

namespace Colorize.Engine.Tests;

/// <summary>An in-memory pack: a manifest and named files.</summary>
internal sealed class InMemoryPack(PackManifest manifest, Dictionary<string, byte[]> files) : IModelPackContent
{
    public PackManifest Manifest { get; } = manifest;

    public Dictionary<string, byte[]> Files { get; } = files;

    public Stream OpenFile(string name) =>
        Files.TryGetValue(name, out var bytes) ? new MemoryStream(bytes, writable: false) : throw new ModelPackException($"No file '{name}' in the pack.");
}

internal static class TestPacks
{
    /// <summary>A small pix2pix U-Net (stride 32) with random weights; <paramref name="mutate"/> may edit the state dict before it is written.</summary>
    public static InMemoryPack TinyPix2Pix(ulong seed = 1, Action<Dictionary<string, Tensor>>? mutate = null, string dtype = "F32", string engineRange = ">=0.0.0", double? chromaGain = null, bool f32Statistics = false)
    {
        var hyper = new Dictionary<string, JsonElement>
        {
            ["numDowns"] = JsonSerializer.SerializeToElement(5),
            ["ngf"] = JsonSerializer.SerializeToElement(8),
        };
        var spec = new ArchitectureSpec { Name = "pix2pix-unet", Version = 1, Hyperparameters = hyper };
        var net = ArchitectureRegistry.Build(spec, ArchitectureRole.Generator, new Generator(seed)).Module;
        var state = net.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        // Non-trivial running statistics, so BatchNorm folding is exercised.
        var gen = new Generator(seed + 100);
        foreach (var key in state.Keys.Where(k => k.EndsWith("running_var", StringComparison.Ordinal)).ToList())
        {
            state[key] = Tensor.Rand(gen, 0.5f, 2f, state[key].GetShape());
        }

        // Random N(0, 0.02) weights predict almost no colour; a stronger output layer makes colour visible in tests.
        state["model.model.3.weight"] = state["model.model.3.weight"].Mul(40f);
        mutate?.Invoke(state);
        var type = Enum.Parse<SafeTensorsDType>(dtype);
        var weights = f32Statistics
            ? StateDictIO.ToBytes(state, name => WeightsLoader.IsRunningStatistic(name) ? SafeTensorsDType.F32 : type)
            : StateDictIO.ToBytes(state, type);
        var manifest = new PackManifest
        {
            Schema = 1,
            Id = "tiny-test",
            Version = "0.0.1",
            Name = "Tiny test pack",
            Architecture = spec,
            Input = new InputSpec { DefaultRenderSize = 64, MinRenderSize = 32, MaxRenderSize = 512, ChromaGain = chromaGain },
            Engine = new EngineRequirement { Range = engineRange },
            Weights = new WeightsSpec { Sha256 = Convert.ToHexStringLower(SHA256.HashData(weights)), DType = dtype },
            License = "CC0-1.0",
        };
        return new InMemoryPack(manifest, new Dictionary<string, byte[]> { ["weights.safetensors"] = weights });
    }

    /// <summary>
    /// A small resnet-unet (ResNet18 encoder, width 0.125, no attention or spectral norm) with random weights; with
    /// <paramref name="hints"/> it takes colour hints. <paramref name="mutate"/> may edit the state dict before it is
    /// written (hint keys are left out of a pack without hints, so one state dict gives both packs).
    /// </summary>
    public static InMemoryPack TinyResNetUnet(bool hints, Action<Dictionary<string, Tensor>>? mutate = null, ulong seed = 1, bool? inputHints = null, bool dropHintWeights = false)
    {
        var hyper = new Dictionary<string, JsonElement>
        {
            ["encoderDepth"] = JsonSerializer.SerializeToElement(18),
            ["width"] = JsonSerializer.SerializeToElement(0.125),
            ["selfAttention"] = JsonSerializer.SerializeToElement(false),
            ["spectralNorm"] = JsonSerializer.SerializeToElement(false),
        };
        var hintSpec = new ArchitectureSpec { Name = "resnet-unet", Version = 1, Hyperparameters = new Dictionary<string, JsonElement>(hyper) { ["hints"] = JsonSerializer.SerializeToElement(true) } };
        var net = ArchitectureRegistry.Build(hintSpec, ArchitectureRole.Generator, new Generator(seed)).Module;
        var state = net.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        mutate?.Invoke(state);
        if (!hints || dropHintWeights)
        {
            foreach (var key in state.Keys.Where(k => ResNetUnet.HintKeyPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
            {
                state.Remove(key);
            }
        }

        var spec = hints ? hintSpec : new ArchitectureSpec { Name = "resnet-unet", Version = 1, Hyperparameters = hyper };
        var weights = StateDictIO.ToBytes(state, SafeTensorsDType.F32);
        var manifest = new PackManifest
        {
            Schema = 1,
            Id = hints ? "tiny-hints" : "tiny-auto",
            Version = "0.0.1",
            Name = "Tiny resnet-unet test pack",
            Architecture = spec,
            Input = new InputSpec { DefaultRenderSize = 64, MinRenderSize = 32, MaxRenderSize = 512, Hints = inputHints ?? hints },
            Engine = new EngineRequirement { Range = ">=0.0.0" },
            Weights = new WeightsSpec { Sha256 = Convert.ToHexStringLower(SHA256.HashData(weights)), DType = "F32" },
            License = "CC0-1.0",
        };
        return new InMemoryPack(manifest, new Dictionary<string, byte[]> { ["weights.safetensors"] = weights });
    }
}
