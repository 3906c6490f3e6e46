using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Colorize.Engine.Architectures;
using Colorize.Tensors;
using Colorize.Tensors.NN;
using Colorize.Tensors.Optim;

namespace Colorize.Trainer;

/// <summary>One line of metrics.jsonl.</summary>
internal sealed record EpochRecord(int Epoch, long Step, double LossG, double LossL1, double? LossGAdv, double? LossD,
    double Psnr, double PsnrGrey, double AbMae, double ColorfulnessPred, double ColorfulnessTruth, double DeltaColorfulness,
    int ValidationImages, double Seconds, double TrainSeconds, double ImagesPerSecond,
    double? Auc = null, double? AucGrey = null, double? LearningRate = null);

/// <summary>
/// Trains a recipe: builds the networks from the config, runs epochs of (optionally adversarial) steps, validates,
/// appends metrics and checkpoints after every epoch, and resumes exactly from the last checkpoint.
/// </summary>
internal sealed class TrainingRun
{
    private static readonly JsonSerializerOptions s_jsonLine = new(TrainConfig.Json) { WriteIndented = false };
    private readonly TrainConfig _config;
    private readonly string _runDirectory;
    private readonly TextWriter _log;
    private readonly bool _progress;
    private readonly Module<Tensor, Tensor> _g;
    private readonly Module<Tensor, Tensor>? _d;
    private readonly Adam _optG;
    private readonly Adam? _optD;
    private readonly Generator _modelRandom;
    private readonly Generator _criticRandom;
    private readonly Generator _dataRandom;
    private readonly LrPlateau? _plateau;

    private TrainingRun(TrainConfig config, string runDirectory, TextWriter log)
    {
        // A progress line that rewrites itself only makes sense on a terminal.
        _progress = ReferenceEquals(log, Console.Out) && !Console.IsOutputRedirected;
        _config = config;
        _runDirectory = runDirectory;
        _log = log;
        // Separate streams so that, e.g., adding a critic does not change the generator's initial weights.
        var root = new Generator(unchecked((ulong)config.Seed));
        _modelRandom = root.Fork();
        _criticRandom = root.Fork();
        _dataRandom = root.Fork();
        var built = ArchitectureRegistry.Build(config.Generator, ArchitectureRole.Generator, _modelRandom);
        if (config.Size % built.Stride != 0)
        {
            throw new TrainerException($"size {config.Size} must be a multiple of the generator's stride {built.Stride}.");
        }

        _g = built.Module;
        _optG = new Adam(_g.Parameters(), config.LearningRate, config.Beta1, config.Beta2);
        if (config.Discriminator is not null)
        {
            _d = ArchitectureRegistry.Build(config.Discriminator, ArchitectureRole.Discriminator, _criticRandom).Module;
            _optD = new Adam(_d.Parameters(), config.LearningRate, config.Beta1, config.Beta2);
        }

        _plateau = config.LrDecayOnPlateau is { } plateau ? new LrPlateau(plateau, _optG, _optD) : null;
    }

    /// <summary>The effective configuration (after resume and overrides).</summary>
    public TrainConfig Config => _config;

    /// <summary>The generator (for tests and packing).</summary>
    public Module<Tensor, Tensor> GeneratorModule => _g;

    /// <summary>
    /// Starts or resumes a run in <paramref name="runDirectory"/>. With <paramref name="resume"/>, config.json of the
    /// run is used (only <paramref name="epochsOverride"/> may extend it) and training continues after the last checkpoint.
    /// </summary>
    public static TrainingRun Start(TrainConfig config, string runDirectory, bool resume, TextWriter log, int? epochsOverride = null)
    {
        Directory.CreateDirectory(runDirectory);
        string configPath = Path.Combine(runDirectory, "config.json");
        if (resume)
        {
            if (!File.Exists(configPath))
            {
                throw new TrainerException($"Cannot resume: {configPath} does not exist.");
            }

            config = JsonSerializer.Deserialize<TrainConfig>(File.ReadAllBytes(configPath), TrainConfig.Json)
                ?? throw new TrainerException($"{configPath} is empty.");
            if (epochsOverride is { } e)
            {
                config = config with { Epochs = e };
            }
        }
        else if (File.Exists(Path.Combine(runDirectory, "checkpoints", Checkpoints.Last)))
        {
            throw new TrainerException($"{runDirectory} already holds a run; pass --resume to continue it or choose another --out.");
        }

        config.Validate();
        AtomicFile.WriteAllBytes(configPath, JsonSerializer.SerializeToUtf8Bytes(config, TrainConfig.Json));
        return new TrainingRun(config, runDirectory, log);
    }

    /// <summary>Runs the remaining epochs; returns the metrics of each epoch trained now.</summary>
    /// <param name="data">The prepared photos.</param>
    /// <param name="stopAfterStep">Stops right after this global step (tests use it to simulate a kill).</param>
    public IReadOnlyList<EpochRecord> Train(DataSplit data, long? stopAfterStep = null)
    {
        int startEpoch = 0;
        long step = 0;
        double bestPsnr = double.NegativeInfinity;
        int bestEpoch = 0;
        EpochProgress? resumeWithin = null;
        if (Checkpoints.LoadNewestIntact(_runDirectory, _log) is var (state, tensors))
        {
            Restore(state, tensors);
            startEpoch = state.EpochsCompleted;
            step = state.Step;
            bestPsnr = state.BestPsnr;
            bestEpoch = state.BestEpoch;
            resumeWithin = state.WithinEpoch;
            _log.WriteLine(resumeWithin is null
                ? $"resuming after epoch {startEpoch} (step {step})"
                : $"resuming in epoch {startEpoch + 1} after {resumeWithin.BatchesDone} batches (step {step})");
        }

        var records = new List<EpochRecord>();
        var validation = data.ValidationFallsBackToTrain ? data.Train : data.Validation;
        for (int epoch = startEpoch; epoch < _config.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var within = resumeWithin ?? new EpochProgress { Order = Permutation(data.Train.Count, _dataRandom) };
            resumeWithin = null;
            var order = within.Order;
            if (order.Length != data.Train.Count || order.Any(i => i < 0 || i >= data.Train.Count))
            {
                throw new TrainerException("The checkpoint's data order does not match the training photos; was the data folder changed?");
            }

            double sumG = within.SumG, sumL1 = within.SumL1, sumAdv = within.SumAdv, sumD = within.SumD;
            int batches = within.BatchesDone, images = 0;
            for (int start = batches * _config.Batch; start < order.Length; start += _config.Batch)
            {
                var entries = order.Skip(start).Take(_config.Batch).Select(i => data.Train[i]).ToList();
                var batch = PhotoDataset.MakeBatch(entries, _config.Size, _config.CropScaleMin, _dataRandom);
                NoiseAugmentation.Apply(batch, _config.Noise, _dataRandom);
                var (lossG, lossL1, lossAdv, lossD) = Step(batch);
                sumG += lossG;
                sumL1 += lossL1;
                sumAdv += lossAdv;
                sumD += lossD;
                batches++;
                images += entries.Count;
                step++;
                if (_progress)
                {
                    double elapsed = clock.Elapsed.TotalSeconds;
                    int done = start + entries.Count;
                    double eta = elapsed / images * (order.Length - done);
                    _log.Write(string.Create(CultureInfo.InvariantCulture,
                        $"\repoch {epoch + 1}/{_config.Epochs}  {done}/{order.Length} photos  loss G {lossG:F4}  {images / elapsed:F1} img/s  ETA {eta:F0} s   "));
                }

                bool endOfEpoch = start + _config.Batch >= order.Length;
                if (!endOfEpoch && _config.CheckpointEverySteps > 0 && step % _config.CheckpointEverySteps == 0)
                {
                    var progress = new EpochProgress { Order = order, BatchesDone = batches, SumG = sumG, SumL1 = sumL1, SumAdv = sumAdv, SumD = sumD };
                    Checkpoints.Save(_runDirectory, CollectTensors(), State(epoch, step, bestPsnr, bestEpoch, null, progress), isBest: false);
                }

                if (step == stopAfterStep)
                {
                    return records;
                }
            }

            double trainSeconds = clock.Elapsed.TotalSeconds;
            var metrics = Validate(validation);
            double seconds = clock.Elapsed.TotalSeconds;
            var record = new EpochRecord(epoch + 1, step, sumG / batches, sumL1 / batches,
                _d is null ? null : sumAdv / batches, _d is null ? null : sumD / batches,
                metrics.Psnr, metrics.PsnrGrey, metrics.AbMae, metrics.ColorfulnessPred, metrics.ColorfulnessTruth, metrics.DeltaColorfulness,
                metrics.Images, seconds, trainSeconds, images / trainSeconds)
                { Auc = metrics.Auc, AucGrey = metrics.AucGrey, LearningRate = _optG.ParamGroups[0].LearningRate };
            records.Add(record);
            File.AppendAllText(Path.Combine(_runDirectory, "metrics.jsonl"), JsonSerializer.Serialize(record, s_jsonLine) + "\n");
            bool isBest = metrics.Psnr > bestPsnr;
            if (isBest)
            {
                bestPsnr = metrics.Psnr;
                bestEpoch = epoch + 1;
            }

            bool lrReduced = _plateau?.Step(metrics) == true;
            Checkpoints.Save(_runDirectory, CollectTensors(), State(epoch + 1, step, bestPsnr, bestEpoch, MetricsDictionary(metrics, epoch + 1), null), isBest);
            _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(_progress ? "\r" : "")}epoch {epoch + 1}/{_config.Epochs}: loss G {record.LossG:F4} (L1 {record.LossL1:F4}{(_d is null ? "" : $", adv {record.LossGAdv:F4}, D {record.LossD:F4}")}), val PSNR {metrics.Psnr:F2} dB (grey {metrics.PsnrGrey:F2}), ab MAE {metrics.AbMae:F2}, CF {metrics.ColorfulnessPred:F1}/{metrics.ColorfulnessTruth:F1}, {record.ImagesPerSecond:F1} img/s"));
            if (lrReduced)
            {
                _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"validation {_config.LrDecayOnPlateau!.Metric} stopped improving: learning rate now {_optG.ParamGroups[0].LearningRate:G4}"));
            }

            RunArtifacts.AfterEpoch(_runDirectory, epoch + 1, _g, validation, _config.Size, _log);
        }

        return records;
    }

    private (double G, double L1, double Adv, double D) Step(Batch batch)
    {
        _g.Train();
        if (_d is null)
        {
            _optG.ZeroGrad();
            var l1 = Losses.L1(_g.Call(batch.L), batch.AB);
            var loss = l1.Mul(_config.L1Weight);
            loss.Backward();
            _optG.Step();
            return (loss.Item(), l1.Item(), 0, 0);
        }

        _d.Train();
        var fake = _g.Call(batch.L);
        // Discriminator: real pairs towards realLabel (0.9 = one-sided smoothing), generated pairs towards 0.
        _optD!.ZeroGrad();
        var realScore = _d.Call(Tensor.Cat([batch.L, batch.AB], 1));
        var fakeScore = _d.Call(Tensor.Cat([batch.L, fake.Detach()], 1));
        var lossD = (Losses.BceWithLogits(realScore, _config.RealLabel) + Losses.BceWithLogits(fakeScore, 0f)).Mul(0.5f);
        lossD.Backward();
        _optD.Step();

        // Generator: fool the discriminator and stay close to the truth (λ·L1).
        _optG.ZeroGrad();
        var adv = Losses.BceWithLogits(_d.Call(Tensor.Cat([batch.L, fake], 1)), 1f);
        var l1g = Losses.L1(fake, batch.AB);
        var lossG = adv + l1g.Mul(_config.L1Weight);
        lossG.Backward();
        _optG.Step();
        return (lossG.Item(), l1g.Item(), adv.Item(), lossD.Item());
    }

    /// <summary>Scores the generator on centred crops of <paramref name="entries"/> (eval mode, no randomness).</summary>
    public ValidationMetrics Validate(IReadOnlyList<PhotoEntry> entries)
    {
        _g.Eval();
        var acc = new MetricsAccumulator();
        int size = _config.Size, m = size * size;
        using (Tensor.NoGrad())
        {
            foreach (var chunk in entries.Chunk(Math.Max(1, _config.Batch)))
            {
                var batch = PhotoDataset.MakeBatch(chunk, size, 1, null);
                var pred = _g.Call(batch.L).ToArray();
                var l = batch.L.ToArray();
                var ab = batch.AB.ToArray();
                for (int i = 0; i < chunk.Length; i++)
                {
                    var lUnits = l.AsSpan(i * m, m).ToArray().Select(v => (v + 1) * 50).ToArray();
                    var truth = ab.AsSpan(i * 2 * m, 2 * m).ToArray().Select(v => v * 110).ToArray();
                    var p = pred.AsSpan(i * 2 * m, 2 * m).ToArray().Select(v => v * 110).ToArray();
                    acc.Add(lUnits, truth.AsSpan(0, m), truth.AsSpan(m, m), p.AsSpan(0, m), p.AsSpan(m, m), size, size);
                }
            }
        }

        _g.Train();
        return acc.Result();
    }

    private CheckpointState State(int epochsCompleted, long step, double bestPsnr, int bestEpoch, Dictionary<string, double>? metrics, EpochProgress? within) => new()
    {
        EpochsCompleted = epochsCompleted,
        Step = step,
        OptimizerGScalars = _optG.StateDict().Scalars,
        OptimizerDScalars = _optD?.StateDict().Scalars,
        ModelRandom = _modelRandom.GetState(),
        CriticRandom = _criticRandom.GetState(),
        DataRandom = _dataRandom.GetState(),
        BestPsnr = bestPsnr,
        BestEpoch = bestEpoch,
        Metrics = metrics,
        WithinEpoch = within,
        LrPlateau = _plateau?.State,
    };

    private static Dictionary<string, double> MetricsDictionary(ValidationMetrics m, int epoch) => new(StringComparer.Ordinal)
    {
        ["psnr"] = m.Psnr,
        ["psnrGrey"] = m.PsnrGrey,
        ["abMae"] = m.AbMae,
        ["colorfulness"] = m.ColorfulnessPred,
        ["colorfulnessTruth"] = m.ColorfulnessTruth,
        ["deltaColorfulness"] = m.DeltaColorfulness,
        ["auc"] = m.Auc,
        ["aucGrey"] = m.AucGrey,
        ["epoch"] = epoch,
    };

    private Dictionary<string, Tensor> CollectTensors()
    {
        var all = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Add("g.", _g.StateDict());
        Add("optg.", _optG.StateDict().Tensors);
        if (_d is not null)
        {
            Add("d.", _d.StateDict());
            Add("optd.", _optD!.StateDict().Tensors);
        }

        return all;

        void Add(string prefix, IReadOnlyDictionary<string, Tensor> tensors)
        {
            foreach (var (k, v) in tensors)
            {
                all[prefix + k] = v;
            }
        }
    }

    private void Restore(CheckpointState state, Dictionary<string, Tensor> tensors)
    {
        _g.LoadStateDict(Prefixed(tensors, "g."));
        _optG.LoadStateDict(new OptimizerState(Prefixed(tensors, "optg."), state.OptimizerGScalars));
        if (_d is not null)
        {
            _d.LoadStateDict(Prefixed(tensors, "d."));
            _optD!.LoadStateDict(new OptimizerState(Prefixed(tensors, "optd."), state.OptimizerDScalars
                ?? throw new TrainerException("The checkpoint has no discriminator optimizer state.")));
        }

        _modelRandom.SetState(state.ModelRandom);
        _criticRandom.SetState(state.CriticRandom);
        _dataRandom.SetState(state.DataRandom);
        _plateau?.Restore(state.LrPlateau);
    }

    /// <summary>The tensors whose names start with <paramref name="prefix"/>, with it removed.</summary>
    public static Dictionary<string, Tensor> Prefixed(IReadOnlyDictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);

    private static int[] Permutation(int n, Generator random)
    {
        var order = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order;
    }
}
