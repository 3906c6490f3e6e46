using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Onnx;
using Colorize.Onnx.Writing;
using Colorize.Plugins.Packs;
using Colorize.Tensors;
using Colorize.Tensors.Serialization;

namespace Colorize.Trainer.Export;

/// <summary>
/// <c>colorize-train pack --onnx model.onnx</c>: an ONNX generator back into a pack. Only graphs that
/// <c>colorize-train export</c> wrote are taken: the architecture comes from the model's metadata, the weights from
/// the initializers of the same names, and the graph is accepted only when exporting the rebuilt network gives the
/// same graph, node for node and weight for weight, so the pack computes what the file does. Anything else is refused
/// in one line; a graph with operators the engine has no layer for is refused naming them.
/// </summary>
internal static class OnnxImport
{
    /// <summary>The operators the exporter writes: the only ones an imported graph may use.</summary>
    public static IReadOnlySet<string> SupportedOperators { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Add", "AveragePool", "BatchNormalization", "Clip", "Concat", "Conv", "ConvTranspose", "DepthToSpace", "Div",
        "InstanceNormalization", "LeakyRelu", "MatMul", "MaxPool", "Mul", "Pad", "Pow", "ReduceMean", "Relu", "Reshape",
        "Shape", "Softmax", "Sqrt", "Sub", "Tanh", "Transpose",
    };

    /// <summary>Reads and checks <paramref name="path"/>; returns the network with its weights.</summary>
    public static ExportSource Read(string path)
    {
        OnnxModel model;
        try
        {
            model = OnnxModel.Load(path);
        }
        catch (Exception e) when (e is OnnxFormatException or FileNotFoundException)
        {
            throw new TrainerException($"pack --onnx: {e.Message}", e);
        }

        var unsupported = model.Graph.Nodes.Select(n => n.Domain.Length > 0 ? $"{n.Domain}.{n.OpType}" : n.OpType)
            .Where(op => !SupportedOperators.Contains(op)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (unsupported.Count > 0)
        {
            throw new TrainerException($"pack --onnx: {path} uses operators the engine has no layer for: {string.Join(", ", unsupported)}.");
        }

        if (!model.Metadata.TryGetValue("colorize.architecture", out string? name) || !model.Metadata.TryGetValue("colorize.hyperparameters", out string? hyperJson))
        {
            throw new TrainerException($"pack --onnx: {path} was not written by colorize-train export (no colorize.architecture metadata); only those graphs can be packed.");
        }

        Dictionary<string, JsonElement> hyper;
        try
        {
            hyper = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(hyperJson) ?? [];
        }
        catch (JsonException e)
        {
            throw new TrainerException($"pack --onnx: {path} has malformed colorize.hyperparameters: {e.Message}", e);
        }

        if (name == "resnet-unet")
        {
            // The export folded spectral norm into plain weights: the same function without the parametrisation.
            hyper["spectralNorm"] = JsonSerializer.SerializeToElement(false);
        }

        var spec = new ArchitectureSpec { Name = name, Version = 1, Hyperparameters = hyper };
        OnnxExport.CheckExportable(spec);
        var built = ArchitectureRegistry.Build(spec, ArchitectureRole.Generator);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, target) in built.Module.StateDict())
        {
            weights[key] = key.EndsWith(".num_batches_tracked", StringComparison.Ordinal) ? Tensor.Zeros(target.GetShape())
                : model.Graph.Initializers.TryGetValue(key, out var t) && t.Shape.SequenceEqual(target.Shape) ? t
                : throw new TrainerException($"pack --onnx: {path} has no initializer '{key}' of shape [{string.Join(", ", target.GetShape())}] that {name} needs.");
        }

        built.Module.LoadStateDict(weights);
        built.Module.Eval();
        double gain = model.Metadata.TryGetValue("colorize.chromaGain", out string? g) && double.TryParse(g, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : 1;
        var source = new ExportSource(spec, built, gain, $"ONNX {Path.GetFileName(path)}");
        CheckSameGraph(path, model.Graph, OnnxModel.Parse(OnnxExport.ToBytes(source)).Graph);
        return source;
    }

    /// <summary>The file's graph must be what the exporter writes for the rebuilt network: same nodes, constants and weights.</summary>
    private static void CheckSameGraph(string path, OnnxGraph file, OnnxGraph expected)
    {
        string Refuse(string what) => throw new TrainerException($"pack --onnx: {path} differs from what colorize-train export writes for its architecture ({what}); only unmodified exports can be packed.");

        if (file.Nodes.Count != expected.Nodes.Count)
        {
            Refuse($"{file.Nodes.Count} nodes, expected {expected.Nodes.Count}");
        }

        for (int i = 0; i < file.Nodes.Count; i++)
        {
            OnnxNode a = file.Nodes[i], b = expected.Nodes[i];
            if (a.OpType != b.OpType || !a.Inputs.SequenceEqual(b.Inputs) || !a.Outputs.SequenceEqual(b.Outputs)
                || !a.Attributes.Values.Select(x => x.ToString()).SequenceEqual(b.Attributes.Values.Select(x => x.ToString())))
            {
                Refuse($"node {i} is {a} [{string.Join(", ", a.Attributes.Values)}], expected {b} [{string.Join(", ", b.Attributes.Values)}]");
            }
        }

        if (!file.RuntimeInputs.Select(i => i.Name).SequenceEqual(expected.RuntimeInputs.Select(i => i.Name))
            || !file.Outputs.Select(o => o.Name).SequenceEqual(expected.Outputs.Select(o => o.Name)))
        {
            Refuse("inputs or outputs");
        }

        foreach (var (key, tensor) in expected.Initializers)
        {
            if (!file.Initializers.TryGetValue(key, out var t) || !t.Shape.SequenceEqual(tensor.Shape) || !t.Data.SequenceEqual(tensor.Data))
            {
                Refuse($"initializer '{key}'");
            }
        }

        foreach (var (key, tensor) in expected.Int64Initializers)
        {
            if (!file.Int64Initializers.TryGetValue(key, out var t) || !t.Values.SequenceEqual(tensor.Values))
            {
                Refuse($"initializer '{key}'");
            }
        }

        if (file.Initializers.Count != expected.Initializers.Count || file.Int64Initializers.Count != expected.Int64Initializers.Count)
        {
            Refuse("extra initializers");
        }
    }

    /// <summary>Writes the pack (float32 weights) as a .cpack or a folder; the target is replaced only when complete.</summary>
    public static PackManifest WritePack(ExportSource source, string onnxPath, string id, string version, string output, bool asFolder, string license, string? name, int? renderSize)
    {
        if (!SemVer.TryParse(version, out _))
        {
            throw new TrainerException($"'{version}' is not a semantic version such as 1.0.0.");
        }

        var state = source.Built.Module.StateDict();
        byte[] weights = StateDictIO.ToBytes(state, SafeTensorsDType.F32);
        var manifest = new PackManifest
        {
            Schema = PackManifest.CurrentSchema,
            Id = id,
            Version = version,
            Name = name ?? id,
            Description = $"Imported by colorize-train from {Path.GetFileName(onnxPath)} ({source.Architecture.Name}).",
            Architecture = source.Architecture,
            Input = new InputSpec { DefaultRenderSize = renderSize ?? 256, MinRenderSize = 64, ChromaGain = source.ChromaGain == 1 ? null : source.ChromaGain, Hints = source.Built.TakesHints },
            Engine = new EngineRequirement { Range = PackWriter.EngineRange },
            Weights = new WeightsSpec { Sha256 = Convert.ToHexStringLower(SHA256.HashData(weights)), DType = "F32" },
            License = license,
        };
        byte[] json = PackManifestJson.Serialize(manifest);
        string full = Path.GetFullPath(Path.TrimEndingDirectorySeparator(output));
        if (asFolder)
        {
            string temp = full + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
            Directory.CreateDirectory(temp);
            File.WriteAllBytes(Path.Combine(temp, PackManifestJson.FileName), json);
            File.WriteAllBytes(Path.Combine(temp, manifest.Weights.File), weights);
            if (Directory.Exists(full))
            {
                Directory.Delete(full, recursive: true);
            }

            Directory.Move(temp, full);
            return manifest;
        }

        using var zipBytes = new MemoryStream();
        using (var zip = new ZipArchive(zipBytes, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (entryName, content) in new[] { (PackManifestJson.FileName, json), (manifest.Weights.File, weights) })
            {
                var entry = zip.CreateEntry(entryName, CompressionLevel.Optimal);
                entry.LastWriteTime = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var stream = entry.Open();
                stream.Write(content);
            }
        }

        OnnxFile.WriteAtomically(full, zipBytes.ToArray());
        return manifest;
    }
}
