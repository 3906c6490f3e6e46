using System.Globalization;
using Colorize.Engine;
using Colorize.Engine.Architectures;
using Colorize.Tensors;
using Colorize.Tensors.NN;
using Colorize.Tensors.Serialization;

namespace Colorize.Trainer;

/// <summary>
/// Config <c>init</c>: the generator starts from trained weights instead of random ones (fine-tuning), from a pack
/// (<see cref="Pack"/>: a pack folder such as packaging/packs/colorize-base, or a .cpack) or from another run's newest
/// intact checkpoint (<see cref="Run"/>). Exactly one is given.
/// </summary>
internal sealed record InitConfig
{
    /// <summary>A pack folder or .cpack whose weights start the generator.</summary>
    public string? Pack { get; init; }

    /// <summary>A run directory whose newest intact checkpoint's generator starts this one.</summary>
    public string? Run { get; init; }

    public void Validate() =>
        TrainConfig.Require((Pack is null) != (Run is null), "init needs exactly one of \"pack\" (a pack folder or .cpack) and \"run\" (a run directory).");
}

/// <summary>Loads <see cref="InitConfig"/> weights into a generator.</summary>
internal static class InitialWeights
{
    /// <summary>
    /// Copies every tensor of the source into <paramref name="generator"/>. The source must have every tensor of the
    /// generator but the hint branch (an automatic pack fine-tuned into a hint network: the branch stays zero, so the
    /// network starts as the automatic one) and the <c>globalContext</c> block (its output starts at zero the same way)
    /// and nothing else, each of the same shape; otherwise one line says what
    /// does not fit. A tanh-head source into a generator with the class head (abHead "classes") gives everything but
    /// <c>head.*</c>, which keeps its random weights. Returns a line for the log.
    /// </summary>
    public static string LoadInto(Module generator, InitConfig init)
    {
        var (tensors, source) = Read(init);
        var expected = generator.StateDict();
        // A tanh head's 2 outputs cannot start a class head's Q logits: everything else is taken and the head keeps its
        // random initial weights (fine-tuning a trained network into the classification head of issue 14).
        bool skipHead = generator is ResNetUnet { ClassHead: { } classes }
            && tensors.Any(t => IsHead(t.Key) && t.Value.Rank >= 1 && t.Value.Shape[0] == 2 && classes.Count != 2);
        if (skipHead)
        {
            tensors = tensors.Where(t => !IsHead(t.Key)).ToDictionary(StringComparer.Ordinal);
        }

        foreach (var (key, tensor) in tensors)
        {
            if (!expected.TryGetValue(key, out var target))
            {
                throw new TrainerException($"init: {source} has tensor '{key}', which the generator does not (another architecture?).");
            }

            if (!tensor.Shape.ToArray().SequenceEqual(target.Shape.ToArray()))
            {
                throw new TrainerException($"init: tensor '{key}' of {source} has shape [{string.Join(", ", tensor.Shape.ToArray())}], the generator needs [{string.Join(", ", target.Shape.ToArray())}].");
            }
        }

        var missing = expected.Keys.Where(k => !tensors.ContainsKey(k)).ToList();
        // The hint branch and the global-context block start at zero (the network then computes what the source did).
        var required = missing.Where(k => !ResNetUnet.HintKeyPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))
            && !k.StartsWith(GlobalContext.KeyPrefix, StringComparison.Ordinal) && !(skipHead && IsHead(k))).ToList();
        if (required.Count > 0)
        {
            throw new TrainerException($"init: {source} lacks {required.Count} of the generator's tensors ({string.Join(", ", required.Take(3))}{(required.Count > 3 ? ", …" : "")}).");
        }

        generator.LoadStateDict(tensors, strict: false);
        int contextMissing = missing.Count(k => k.StartsWith(GlobalContext.KeyPrefix, StringComparison.Ordinal));
        int hintMissing = missing.Count(k => !(skipHead && IsHead(k))) - contextMissing;
        return string.Create(CultureInfo.InvariantCulture, $"init: {tensors.Count} tensors from {source}{(hintMissing > 0 ? $"; {hintMissing} hint-branch tensors start at zero" : "")}{(contextMissing > 0 ? $"; {contextMissing} global-context tensors start fresh (its output at zero)" : "")}{(skipHead ? "; its tanh head (head.*) left out: the class head starts from random weights" : "")}");
    }

    private static bool IsHead(string key) => key.StartsWith("head.", StringComparison.Ordinal);

    private static (Dictionary<string, Tensor> Tensors, string Source) Read(InitConfig init)
    {
        if (init.Run is { } run)
        {
            var checkpoint = Checkpoints.LoadNewestIntact(run, TextWriter.Null)
                ?? throw new TrainerException($"init: {run} has no intact checkpoint.");
            return (TrainingRun.Prefixed(checkpoint.Tensors, "g."), $"run {run} (epoch {checkpoint.State.EpochsCompleted})");
        }

        string spec = init.Pack!;
        if (!File.Exists(spec) && !Directory.Exists(spec))
        {
            throw new TrainerException($"init: the pack '{spec}' does not exist.");
        }

        // Opened as eval opens packs: a folder's files are checked against the manifest's sha256, a .cpack installed
        // into a temporary store with every check the product makes.
        var engine = new CpuColorizerEngine();
        using var opened = Evaluation.OpenPack(spec, engine);
        var manifest = opened.Pack.Manifest;
        using var stream = opened.Pack.OpenFile(manifest.Weights.File);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        using var file = SafeTensorsFile.FromMemory(buffer.ToArray());
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var entry in file.Entries)
        {
            tensors[entry.Name] = Tensor.FromArray(file.ReadFloat32(entry.Name), entry.GetShapeInt32());
        }

        return (tensors, $"pack {manifest.Id}@{manifest.Version}");
    }
}
