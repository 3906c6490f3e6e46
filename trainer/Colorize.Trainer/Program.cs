using System.Globalization;
using Colorize.Abstractions.Packs;
using Colorize.Tensors.Serialization;

namespace Colorize.Trainer;

/// <summary>
/// <c>colorize-train</c>: <c>&lt;recipe&gt; --data &lt;dir&gt; --out &lt;run-dir&gt; [--size] [--epochs] [--batch] [--seed] [--lr]
/// [--real-label] [--resume]</c>, <c>pack &lt;run-dir&gt; --id --version -o</c>, <c>eval --pack --data</c>,
/// <c>report &lt;run-dir&gt;</c>, <c>recipes</c>.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage:
          colorize-train <recipe> --data <dir> --out <run-dir> [--size <px>] [--epochs <n>] [--batch <n>] [--seed <n>]
                                  [--lr <rate>] [--real-label <0.9..1>] [--checkpoint-every <steps>]
                                  [--threads <n>] [--config <file.json>] [--resume] [--cpu-budget <minutes>]
                                  [--keep-every <epochs>] [--init-from <pack-folder|file.cpack|run-dir>]
                                  [--l1-weight <w>] [--gan-loss bce|hinge|wasserstein] [--cycles <n>]
                                  [--pretrain-epochs <n>] [--critic-epochs <n>]
          colorize-train pack <run-dir> --id <id> --version <semver> (-o <file.cpack> | --folder <dir>) [--dtype f32|f16]
                              [--license <spdx>] [--checkpoint best|last|epoch-<n>] [--render-size <px>] [--name <text>]
                              [--model-card <MODEL_CARD.md>] [--chroma-gain <0.25..4>]
          colorize-train pack --onnx <model.onnx> --id <id> --version <semver> (-o <file.cpack> | --folder <dir>)
                              (a graph written by colorize-train export back into a pack)
          colorize-train eval --pack <id[@version]|file.cpack|pack-folder> --data <dir> [--render-size <px>] [--strength <0..2>]
                              [--run <run-dir> [--split test|validation|train|all]] [--json] [--threads <n>]
                              [--hints <n>]   (n colour hints per photo taken from the truth, as Zhang et al. 2017
                                               measure: squares of 1-9 px at the render size, placed by a centred
                                               Gaussian, a fixed sequence per photo; default 0, automatic)
                              [--hint-propagation on|off]   (off: the hint network alone, without the engine's
                                               edge-aware spreading of hints after it; default on, as the product runs)
          colorize-train export <pack-folder|file.cpack|run-dir> --onnx <out.onnx>
                              (the generator as ONNX, opset 17: L* 0-100 in, a*b* out, dynamic size; run dirs: best checkpoint)
          colorize-train report <run-dir>
          colorize-train recipes
        """;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                stdout.WriteLine(Usage);
                return args.Length == 0 ? 2 : 0;
            }

            return args[0] switch
            {
                "recipes" => ListRecipes(stdout),
                "bench" => Bench.Run(new Arguments(args.AsSpan(1), ["size", "batch", "threads", "rounds", "warmup"], []), stdout),
                "cutout-sheet" => CutoutSheet.Run(new Arguments(args.AsSpan(1), ["config", "data", "o", "count", "size", "epoch"], []), stdout),
                "pack" => Pack(new Arguments(args.AsSpan(1), ["id", "version", "o", "folder", "dtype", "license", "checkpoint", "render-size", "name", "model-card", "chroma-gain", "onnx"], []), stdout),
                "eval" => Eval(new Arguments(args.AsSpan(1), ["pack", "data", "render-size", "run", "split", "threads", "strength", "hints", "hint-propagation"], ["json"]), stdout, stderr),
                "export" => Export(new Arguments(args.AsSpan(1), ["onnx"], []), stdout),
                "report" => WriteReport(new Arguments(args.AsSpan(1), [], []), stdout),
                _ => Train(args[0], new Arguments(args.AsSpan(1), ["data", "out", "size", "epochs", "batch", "seed", "lr", "real-label", "config", "checkpoint-every", "threads",
                    "l1-weight", "gan-loss", "cycles", "pretrain-epochs", "critic-epochs", "cpu-budget", "keep-every", "init-from"], ["resume"]), stdout),
            };
        }
        catch (Exception e) when (e is TrainerException or ModelPackException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            stderr.WriteLine($"colorize-train: {e.Message}");
            return 1;
        }
    }

    private static int ListRecipes(TextWriter stdout)
    {
        foreach (var name in RecipeCatalog.Names)
        {
            var recipe = RecipeCatalog.Load(name);
            stdout.WriteLine($"{name,-20} {recipe.Description}");
        }

        return 0;
    }

    private static int Train(string recipe, Arguments a, TextWriter stdout)
    {
        if (a.Positional.Count > 0)
        {
            throw new TrainerException($"Unexpected argument '{a.Positional[0]}'.\n{Usage}");
        }

        string data = a.Required("data");
        string output = a.Required("out");
        var config = a.Get("config") is { } file
            ? System.Text.Json.JsonSerializer.Deserialize<TrainConfig>(File.ReadAllBytes(file), TrainConfig.Json) ?? throw new TrainerException($"{file} is empty.")
            : RecipeCatalog.Load(recipe);
        config = config with
        {
            Data = Path.GetFullPath(data),
            Size = a.Int("size") ?? config.Size,
            Epochs = a.Int("epochs") ?? config.Epochs,
            Batch = a.Int("batch") ?? config.Batch,
            Seed = a.Long("seed") ?? config.Seed,
            LearningRate = a.Double("lr") ?? config.LearningRate,
            RealLabel = (float?)a.Double("real-label") ?? config.RealLabel,
            CheckpointEverySteps = a.Int("checkpoint-every") ?? config.CheckpointEverySteps,
            CpuBudgetMinutes = a.Double("cpu-budget") ?? config.CpuBudgetMinutes,
            KeepEveryEpochs = a.Int("keep-every") ?? config.KeepEveryEpochs,
            L1Weight = (float?)a.Double("l1-weight") ?? config.L1Weight,
            Gan = a.Get("gan-loss") is { } loss ? config.Gan with { Loss = loss } : config.Gan,
            Cycles = a.Int("cycles") ?? config.Cycles,
            CriticPretrainEpochs = a.Int("critic-epochs") ?? config.CriticPretrainEpochs,
            // A run directory has checkpoints/; anything else is a pack (folder or .cpack).
            Init = a.Get("init-from") is { } from
                ? Directory.Exists(Path.Combine(from, "checkpoints")) ? new InitConfig { Run = Path.GetFullPath(from) } : new InitConfig { Pack = Path.GetFullPath(from) }
                : config.Init,
            Pretrain = a.Int("pretrain-epochs") is { } pe
                ? (config.Pretrain ?? new PretrainConfig()) with { EpochsPerSize = pe }
                : config.Pretrain,
        };
        if (a.Int("threads") is { } threads)
        {
            // Results do not depend on the thread count (the kernels split work into fixed chunks), only the speed does.
            Colorize.Tensors.TensorOptions.NumThreads = threads >= 1 ? threads : throw new TrainerException($"--threads must be at least 1, got {threads}.");
        }

        bool resume = a.Flag("resume");
        // On a terminal, every line goes through Spectre so that it lands above the live bars; redirected output
        // (nohup, CI, tests) stays plain lines on stdout.
        var (progress, log) = SpectreTrainingProgress.ForStdout(stdout);
        var run = TrainingRun.Start(config, output, resume, log, a.Int("epochs"), a.Double("cpu-budget"));
        var effective = run.Config;
        var split = PhotoDataset.Prepare(data, output, effective, log);
        log.WriteLine($"{split.Train.Count} training, {split.Validation.Count} validation, {split.Test.Count} test photos; {split.Unreadable.Count} unreadable and {split.Grayscale.Count} grayscale skipped");
        run.Train(split, progress: progress);
        log.Flush();
        return 0;
    }

    private static int Eval(Arguments a, TextWriter stdout, TextWriter stderr)
    {
        if (a.Positional.Count > 0)
        {
            throw new TrainerException($"Unexpected argument '{a.Positional[0]}'.\n{Usage}");
        }

        if (a.Int("threads") is { } threads)
        {
            Colorize.Tensors.TensorOptions.NumThreads = threads >= 1 ? threads : throw new TrainerException($"--threads must be at least 1, got {threads}.");
        }

        if (a.Int("render-size") is < 16)
        {
            throw new TrainerException("--render-size must be at least 16.");
        }

        if (a.Get("run") is null && a.Get("data") is null)
        {
            throw new TrainerException($"Missing --data.\n{Usage}");
        }

        double strength = a.Double("strength") ?? 1;
        if (strength is not (>= 0 and <= 2))
        {
            throw new TrainerException($"--strength must be from 0 to 2, got {strength}.");
        }

        int hints = a.Int("hints") ?? 0;
        if (hints is < 0 or > Colorize.Abstractions.ColorizeOptions.MaxHints)
        {
            throw new TrainerException($"--hints must be from 0 to {Colorize.Abstractions.ColorizeOptions.MaxHints}, got {hints}.");
        }

        bool propagation = a.Get("hint-propagation") switch
        {
            null or "on" => true,
            "off" => false,
            var other => throw new TrainerException($"--hint-propagation must be on or off, got '{other}'."),
        };
        var result = Evaluation.Run(new EvalRequest(a.Required("pack"), a.Get("data"), a.Int("render-size"), a.Get("run"), a.Get("split"), (float)strength, hints, propagation), stderr);
        stdout.Write(a.Flag("json") ? System.Text.Json.JsonSerializer.Serialize(result, TrainConfig.Json) + "\n" : Evaluation.FormatTable(result));
        return 0;
    }

    private static int Export(Arguments a, TextWriter stdout)
    {
        if (a.Positional.Count != 1)
        {
            throw new TrainerException($"export needs exactly one pack folder, .cpack or run directory.\n{Usage}");
        }

        var result = Colorize.Trainer.Export.OnnxExport.Write(Colorize.Trainer.Export.OnnxExport.Open(a.Positional[0]), a.Required("onnx"));
        stdout.WriteLine(FormattableString.Invariant($"wrote {result.Path}: {result.Source}, {result.Nodes} nodes, {result.Bytes / 1e6:F1} MB; input L* 0-100{(result.TakesHints ? " and hints" : "")}, sides multiples of {result.Stride}"));
        return 0;
    }

    private static int WriteReport(Arguments a, TextWriter stdout)
    {
        if (a.Positional.Count != 1)
        {
            throw new TrainerException($"report needs exactly one run directory.\n{Usage}");
        }

        stdout.WriteLine($"wrote {Report.Write(a.Positional[0])}");
        return 0;
    }

    private static int Pack(Arguments a, TextWriter stdout)
    {
        if (a.Get("onnx") is { } onnx && a.Positional.Count == 0)
        {
            string? dir = a.Get("folder");
            var source = Colorize.Trainer.Export.OnnxImport.Read(onnx);
            var imported = Colorize.Trainer.Export.OnnxImport.WritePack(source, onnx, a.Required("id"), a.Required("version"), dir ?? a.Required("o"), dir is not null,
                a.Get("license") ?? "NOASSERTION", a.Get("name"), a.Int("render-size"));
            stdout.WriteLine($"wrote {dir ?? a.Get("o")}: {imported.Id}@{imported.Version}, {imported.Architecture.Name} from {onnx} (the graph checked against the exporter's)");
            return 0;
        }

        if (a.Positional.Count != 1)
        {
            throw new TrainerException($"pack needs exactly one run directory.\n{Usage}");
        }

        if (a.Get("onnx") is not null)
        {
            // --onnx packs an ONNX file instead of a run; with both, one would be silently ignored.
            throw new TrainerException("pack takes either a run directory or --onnx <model.onnx>, not both.");
        }

        var dtype = (a.Get("dtype") ?? "f32").ToLowerInvariant() switch
        {
            "f32" => SafeTensorsDType.F32,
            "f16" => SafeTensorsDType.F16,
            var other => throw new TrainerException($"--dtype must be f32 or f16, got '{other}'."),
        };
        string? folder = a.Get("folder");
        string output = folder is null ? a.Required("o") : a.Get("o") is null ? folder : throw new TrainerException("pass either -o <file.cpack> or --folder <dir>, not both.");
        var options = new PackOptions
        {
            DType = dtype,
            License = a.Get("license") ?? "NOASSERTION",
            Name = a.Get("name"),
            Checkpoint = a.Get("checkpoint") ?? "best",
            RenderSize = a.Int("render-size"),
            ChromaGain = a.Double("chroma-gain"),
            ModelCard = a.Get("model-card"),
            AsFolder = folder is not null,
        };
        var manifest = PackWriter.Write(a.Positional[0], a.Required("id"), a.Required("version"), output, options);
        stdout.WriteLine($"wrote {output}: {manifest.Id}@{manifest.Version}, {manifest.Architecture.Name}, {manifest.Training?.Epochs} epochs, PSNR {manifest.Metrics?.GetValueOrDefault("psnr").ToString("F2", CultureInfo.InvariantCulture)} dB");
        return 0;
    }
}

/// <summary>A small parser for <c>--name value</c>, <c>-o value</c> and <c>--flag</c> arguments; unknown names are errors.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public Arguments(ReadOnlySpan<string> args, IReadOnlyCollection<string> options, IReadOnlyCollection<string> flags)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith('-') || arg == "-")
            {
                Positional.Add(arg);
                continue;
            }

            string name = arg.TrimStart('-');
            string? inline = null;
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                inline = name[(eq + 1)..];
                name = name[..eq];
            }

            if (flags.Contains(name))
            {
                _flags.Add(name);
            }
            else if (options.Contains(name))
            {
                string? value = inline ?? (i + 1 < args.Length ? args[++i] : null);
                _values[name] = value ?? throw new TrainerException($"Option '{arg}' needs a value.");
            }
            else
            {
                throw new TrainerException($"Unknown option '{arg}'; known: {string.Join(", ", options.Concat(flags).Select(o => (o.Length == 1 ? "-" : "--") + o))}.");
            }
        }
    }

    public List<string> Positional { get; } = [];

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public bool Flag(string name) => _flags.Contains(name);

    public string Required(string name) => Get(name) ?? throw new TrainerException($"Missing {(name.Length == 1 ? "-" : "--")}{name}.");

    public int? Int(string name) => Get(name) is { } s
        ? int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new TrainerException($"--{name} must be an integer, got '{s}'.")
        : null;

    public long? Long(string name) => Get(name) is { } s
        ? long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : throw new TrainerException($"--{name} must be an integer, got '{s}'.")
        : null;

    public double? Double(string name) => Get(name) is { } s
        ? double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : throw new TrainerException($"--{name} must be a number, got '{s}'.")
        : null;
}
