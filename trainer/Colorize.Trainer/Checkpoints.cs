using System.Security.Cryptography;
using System.Text.Json;
using Colorize.Tensors;
using Colorize.Tensors.Serialization;

namespace Colorize.Trainer;

/// <summary>
/// What a checkpoint holds besides tensors: the position (epochs completed), optimizer scalars, the random
/// generators' states and the best validation score so far.
/// </summary>
internal sealed record CheckpointState
{
    public required int EpochsCompleted { get; init; }
    public required long Step { get; init; }
    public required IReadOnlyDictionary<string, double> OptimizerGScalars { get; init; }
    public IReadOnlyDictionary<string, double>? OptimizerDScalars { get; init; }
    public required GeneratorState ModelRandom { get; init; }
    public required GeneratorState CriticRandom { get; init; }
    public required GeneratorState DataRandom { get; init; }
    public double BestPsnr { get; init; } = double.NegativeInfinity;
    public int BestEpoch { get; init; }
    public IReadOnlyDictionary<string, double>? Metrics { get; init; }
    /// <summary>Set for a checkpoint taken inside an epoch: where in the epoch's data order training stopped.</summary>
    public EpochProgress? WithinEpoch { get; init; }
    /// <summary>The lrDecayOnPlateau counters (null when the option is off).</summary>
    public LrPlateauState? LrPlateau { get; init; }
    /// <summary>Index of the schedule phase whose optimizers the checkpoint holds (checked against the config on resume).</summary>
    public int Phase { get; init; }
    /// <summary>NoGAN's adaptive switch: true while the critic has the turn.</summary>
    public bool CriticMode { get; init; }
    /// <summary>Processor seconds the run had used when the checkpoint was taken (all sessions together).</summary>
    public double CpuSeconds { get; init; }
}

/// <summary>The position inside an epoch: its data order, the batches done and the running loss sums.</summary>
internal sealed record EpochProgress
{
    public required int[] Order { get; init; }
    public int BatchesDone { get; init; }
    public double SumG { get; init; }
    public double SumL1 { get; init; }
    public double SumAdv { get; init; }
    public double SumD { get; init; }
    /// <summary>The class head's cross-entropy summed over the generator steps (0 without <c>classLoss</c>).</summary>
    public double SumClass { get; init; }
    /// <summary>Generator and critic optimizer steps so far, and the batches whose L1 was summed (the loss means' divisors).</summary>
    public int GSteps { get; init; }
    public int DSteps { get; init; }
    public int L1Count { get; init; }
}

/// <summary>A pointer file (<c>last.json</c>, <c>best.json</c>) naming an immutable tensor file and its sha256.</summary>
internal sealed record CheckpointPointer(string File, string Sha256, CheckpointState State);

/// <summary>
/// Checkpoints in <c>&lt;run&gt;/checkpoints/</c>: tensors go to a new, uniquely named safetensors file (written to a
/// temporary name and renamed), then the small pointer file is replaced atomically; a crash at any moment leaves the
/// previous pointer valid. Files no pointer names are removed, so only last, previous and best are kept, plus the
/// end-of-epoch checkpoints kept for later comparison (<c>kept-epoch-NNNN.json</c>, see <see cref="KeptPointer"/>).
/// </summary>
internal static class Checkpoints
{
    public const string Last = "last.json";
    public const string Best = "best.json";
    public const string Previous = "previous.json";

    private static readonly JsonSerializerOptions s_json = new(TrainConfig.Json) { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The pointer of an end-of-epoch checkpoint kept by <c>keepEveryEpochs</c> (its tensors are never pruned).</summary>
    public static string KeptPointer(int epoch) => $"kept-epoch-{epoch:D4}.json";

    /// <summary>The epochs whose checkpoints are kept, in order.</summary>
    public static IReadOnlyList<int> KeptEpochs(string runDirectory)
    {
        string dir = Path.Combine(runDirectory, "checkpoints");
        return Directory.Exists(dir)
            ? [.. Directory.EnumerateFiles(dir, "kept-epoch-*.json")
                .Select(f => int.TryParse(Path.GetFileNameWithoutExtension(f)["kept-epoch-".Length..], out int e) ? e : -1)
                .Where(e => e >= 0).Order()]
            : [];
    }

    public static void Save(string runDirectory, IReadOnlyDictionary<string, Tensor> tensors, CheckpointState state, bool isBest, bool keepForever = false)
    {
        string dir = Path.Combine(runDirectory, "checkpoints");
        Directory.CreateDirectory(dir);
        string file = state.WithinEpoch is null
            ? $"epoch-{state.EpochsCompleted:D4}.safetensors"
            : $"epoch-{state.EpochsCompleted:D4}-step-{state.Step:D8}.safetensors";
        byte[] bytes = StateDictIO.ToBytes(tensors);
        AtomicFile.WriteAllBytes(Path.Combine(dir, file), bytes);
        var pointer = new CheckpointPointer(file, Convert.ToHexStringLower(SHA256.HashData(bytes)), state);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(pointer, s_json);
        if (isBest)
        {
            AtomicFile.WriteAllBytes(Path.Combine(dir, Best), json);
        }

        if (keepForever && state.WithinEpoch is null)
        {
            AtomicFile.WriteAllBytes(Path.Combine(dir, KeptPointer(state.EpochsCompleted)), json);
        }

        // The checkpoint before this one stays as a fallback in case the newest is found damaged.
        string lastPath = Path.Combine(dir, Last);
        if (File.Exists(lastPath))
        {
            AtomicFile.WriteAllBytes(Path.Combine(dir, Previous), File.ReadAllBytes(lastPath));
        }

        AtomicFile.WriteAllBytes(lastPath, json);
        var keep = new HashSet<string>(StringComparer.Ordinal) { file };
        foreach (var name in new[] { Best, Previous }.Concat(Directory.EnumerateFiles(dir, "kept-epoch-*.json").Select(Path.GetFileName).OfType<string>()))
        {
            try
            {
                if (TryReadPointer(Path.Combine(dir, name)) is { } other)
                {
                    keep.Add(other.File);
                }
            }
            catch (TrainerException)
            {
                // A damaged pointer names nothing worth keeping.
            }
        }

        foreach (var old in Directory.EnumerateFiles(dir, "epoch-*.safetensors"))
        {
            if (!keep.Contains(Path.GetFileName(old)))
            {
                File.Delete(old);
            }
        }
    }

    /// <summary>Reads a pointer and its tensors, checking the sha256; throws <see cref="TrainerException"/> when damaged or missing.</summary>
    public static (CheckpointState State, Dictionary<string, Tensor> Tensors) Load(string runDirectory, string pointerName)
    {
        string dir = Path.Combine(runDirectory, "checkpoints");
        var pointer = TryReadPointer(Path.Combine(dir, pointerName))
            ?? throw new TrainerException($"No checkpoint '{pointerName}' in {dir}.");
        string path = Path.Combine(dir, Path.GetFileName(pointer.File));
        if (!File.Exists(path))
        {
            throw new TrainerException($"Checkpoint file {path} named by {pointerName} is missing.");
        }

        byte[] bytes = File.ReadAllBytes(path);
        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(bytes)), pointer.Sha256, StringComparison.Ordinal))
        {
            throw new TrainerException($"Checkpoint file {path} is damaged (sha256 differs from {pointerName}).");
        }

        return (pointer.State, StateDictIO.Load(bytes));
    }

    /// <summary>
    /// The newest checkpoint that is intact: last, else the one before it, else the best; logs what was skipped.
    /// Null when the run has no checkpoint yet.
    /// </summary>
    public static (CheckpointState State, Dictionary<string, Tensor> Tensors)? LoadNewestIntact(string runDirectory, TextWriter log)
    {
        string dir = Path.Combine(runDirectory, "checkpoints");
        if (!File.Exists(Path.Combine(dir, Last)))
        {
            return null;
        }

        var errors = new List<string>();
        foreach (var name in new[] { Last, Previous, Best })
        {
            if (!File.Exists(Path.Combine(dir, name)))
            {
                continue;
            }

            try
            {
                return Load(runDirectory, name);
            }
            catch (Exception e) when (e is TrainerException or IOException or InvalidDataException or SafeTensorsFormatException)
            {
                log.WriteLine($"warning: {e.Message} Trying an older checkpoint.");
                errors.Add(e.Message);
            }
        }

        throw new TrainerException($"Every checkpoint in {dir} is damaged: {string.Join(" ", errors)}");
    }

    /// <summary>The state recorded by a pointer (without reading or checking its tensors), or null when absent.</summary>
    public static CheckpointState? ReadState(string runDirectory, string pointerName) =>
        TryReadPointer(Path.Combine(runDirectory, "checkpoints", pointerName))?.State;

    private static CheckpointPointer? TryReadPointer(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<CheckpointPointer>(File.ReadAllBytes(path), s_json);
        }
        catch (JsonException e)
        {
            throw new TrainerException($"Checkpoint pointer {path} is damaged: {e.Message}", e);
        }
    }
}
