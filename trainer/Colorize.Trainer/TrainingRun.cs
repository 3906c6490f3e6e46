using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Colorize.Engine.Architectures;
using Colorize.Tensors;
using Colorize.Tensors.NN;
using Colorize.Tensors.Optim;

namespace Colorize.Trainer;

/// <summary>
/// Trains a recipe: builds the networks from the config, runs the phases of its <see cref="TrainingSchedule"/>
/// (L1 pretraining, critic refits, adversarial phases) epoch by epoch, validates, appends metrics and checkpoints
/// after every epoch, and resumes exactly from the last checkpoint in any phase.
/// </summary>
internal sealed partial class TrainingRun
{
    private static readonly JsonSerializerOptions s_jsonLine = new(TrainConfig.Json) { WriteIndented = false };
    private readonly TrainConfig _config;
    private readonly TrainingSchedule _schedule;
    private readonly string _runDirectory;
    private readonly TextWriter _log;
    private readonly Module<Tensor, Tensor> _g;
    private readonly bool _takesHints;
    private readonly Module<Tensor, Tensor>? _d;
    private readonly Generator _modelRandom;
    private readonly Generator _criticRandom;
    private readonly Generator _dataRandom;
    private Adam _optG;
    private Adam? _optD;
    private LrPlateau? _plateau;
    private readonly FeatureLoss? _featureLoss;
    private readonly CutoutPaster? _cutouts;
    private ColourRebalance? _rebalance;
    private TrainingPhase _phase;
    private bool _criticMode = true;

    private TrainingRun(TrainConfig config, string runDirectory, TextWriter log, CutoutPaster? cutouts = null)
    {
        _config = config;
        _cutouts = cutouts;
        _schedule = TrainingSchedule.From(config);
        _runDirectory = runDirectory;
        _log = log;
        // Separate streams so that, e.g., adding a critic does not change the generator's initial weights.
        var root = new Generator(unchecked((ulong)config.Seed));
        _modelRandom = root.Fork();
        _criticRandom = root.Fork();
        _dataRandom = root.Fork();
        var sceneRandom = root.Fork();
        var built = ArchitectureRegistry.Build(config.Generator, ArchitectureRole.Generator, _modelRandom);
        foreach (int size in _schedule.Phases.Select(p => p.Size).Append(config.Size).Distinct())
        {
            if (size % built.Stride != 0)
            {
                throw new TrainerException($"size {size} must be a multiple of the generator's stride {built.Stride}.");
            }
        }

        if (_schedule.Phases.Count == 0)
        {
            throw new TrainerException("The configuration trains nothing (every phase has 0 epochs).");
        }

        _g = built.Module;
        _takesHints = built.TakesHints;
        if (config.PretrainedEncoder is not null)
        {
            // A resumed run overwrites these with its checkpoint; a new one starts from them.
            PretrainedWeights.LoadInto(_g);
        }

        if (config.Init is { } init && !File.Exists(Path.Combine(runDirectory, "checkpoints", Checkpoints.Last)))
        {
            // Fine-tuning: a pack's or run's generator weights (a hint branch they lack stays zero). A run with a
            // checkpoint starts from that instead, so a resume needs the init source no more.
            log.WriteLine(InitialWeights.LoadInto(_g, init));
        }

        _featureLoss = config.FeatureLoss is { } featureConfig ? new FeatureLoss(featureConfig) : null;
        _classLoss = MakeClassLoss(config, _g);
        _sceneLoss = config.SceneLoss is { } sceneConfig ? new SceneLoss(sceneConfig, sceneRandom) : null;
        if (config.Discriminator is not null)
        {
            _d = ArchitectureRegistry.Build(config.Discriminator, ArchitectureRole.Discriminator, _criticRandom).Module;
        }

        EnterPhase(_schedule.Phases[0]);
    }

    /// <summary>The effective configuration (after resume and overrides).</summary>
    public TrainConfig Config => _config;

    /// <summary>The phases this run trains.</summary>
    public TrainingSchedule Schedule => _schedule;

    /// <summary>The generator (for tests and packing).</summary>
    public Module<Tensor, Tensor> GeneratorModule => _g;

    /// <summary>The critic, or null for L1-only recipes.</summary>
    public Module<Tensor, Tensor>? CriticModule => _d;

    /// <summary>
    /// Starts or resumes a run in <paramref name="runDirectory"/>. With <paramref name="resume"/>, config.json of the
    /// run is used (only <paramref name="epochsOverride"/> may extend it) and training continues after the last checkpoint.
    /// </summary>
    public static TrainingRun Start(TrainConfig config, string runDirectory, bool resume, TextWriter log, int? epochsOverride = null, double? cpuBudgetOverride = null)
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

            if (cpuBudgetOverride is { } budget)
            {
                config = config with { CpuBudgetMinutes = budget };
            }
        }
        else if (File.Exists(Path.Combine(runDirectory, "checkpoints", Checkpoints.Last)))
        {
            throw new TrainerException($"{runDirectory} already holds a run; pass --resume to continue it or choose another --out.");
        }

        config.Validate();
        if (!resume && config.Init is { } init)
        {
            // config.json records where the weights came from whatever the current folder is later.
            config = config with { Init = init with { Pack = init.Pack is null ? null : Path.GetFullPath(init.Pack), Run = init.Run is null ? null : Path.GetFullPath(init.Run) } };
        }

        // Every cut-out is read now, so a missing or broken one stops the run before it trains, not mid-epoch.
        var cutouts = config.Cutouts is { } c ? CutoutPaster.Load(c, config.Data, config.MaxSize) : null;
        if (cutouts is not null)
        {
            log.WriteLine(cutouts.Describe());
        }

        AtomicFile.WriteAllBytes(configPath, JsonSerializer.SerializeToUtf8Bytes(config, TrainConfig.Json));
        return new TrainingRun(config, runDirectory, log, cutouts);
    }

    /// <summary>A run without a directory, for timing single steps (<c>colorize-train bench</c>).</summary>
    public static TrainingRun ForBenchmark(TrainConfig config) => new(config.Validate(), Path.GetTempPath(), TextWriter.Null);

    /// <summary>Runs the remaining epochs; returns the metrics of each epoch trained now.</summary>
    /// <param name="data">The prepared photos.</param>
    /// <param name="stopAfterStep">Stops right after this global step (tests use it to simulate a kill).</param>
    /// <param name="progress">Where to report epochs and batches (live bars on a terminal); null reports nothing.</param>
    public IReadOnlyList<EpochRecord> Train(DataSplit data, long? stopAfterStep = null, ITrainingProgress? progress = null)
    {
        progress ??= NoTrainingProgress.Instance;
        return progress.Run(() => TrainEpochs(data, stopAfterStep, progress));
    }

    private List<EpochRecord> TrainEpochs(DataSplit data, long? stopAfterStep, ITrainingProgress progress)
    {
        int startEpoch = 0;
        long step = 0;
        double bestPsnr = double.NegativeInfinity;
        int bestEpoch = 0;
        EpochProgress? resumeWithin = null;
        double cpuBefore = 0;
        bool resumed = false;
        var cpuClock = CpuClock.Start();
        if (Checkpoints.LoadNewestIntact(_runDirectory, _log) is var (state, tensors))
        {
            startEpoch = state.EpochsCompleted;
            cpuBefore = state.CpuSeconds;
            step = state.Step;
            bestPsnr = state.BestPsnr;
            bestEpoch = state.BestEpoch;
            resumeWithin = state.WithinEpoch;
            // The optimizers in the checkpoint belong to the phase of the epoch it was taken in (for an end-of-epoch
            // checkpoint the epoch just finished); the loop below moves on to the next phase exactly as an
            // uninterrupted run would.
            int stateEpoch = resumeWithin is null ? startEpoch - 1 : startEpoch;
            var phase = stateEpoch < _schedule.TotalEpochs ? _schedule.PhaseOf(Math.Max(0, stateEpoch)) : _schedule.Phases[^1];
            if (phase.Index != state.Phase)
            {
                throw new TrainerException($"The checkpoint was taken in phase {state.Phase}, but this configuration puts epoch {stateEpoch + 1} in phase {phase.Index} ({phase.Name}); was the schedule changed?");
            }

            EnterPhase(phase);
            Restore(state, tensors);
            resumed = true;
            _log.WriteLine(resumeWithin is null
                ? $"resuming after epoch {startEpoch} (step {step})"
                : $"resuming in epoch {startEpoch + 1} after {resumeWithin.BatchesDone} batches (step {step})");
        }

        if (_config.Rebalance is { } rebalance)
        {
            // Once per run, from the training photos only; a resumed run reads the weights it started with.
            Rebalance = ColourRebalance.ForRun(_runDirectory, rebalance, data.Train, resumed, _log);
        }

        var records = new List<EpochRecord>();
        var validation = data.ValidationFallsBackToTrain ? data.Train : data.Validation;
        for (int epoch = startEpoch; epoch < _schedule.TotalEpochs; epoch++)
        {
            // The budget is checked at epoch boundaries: a session always gets to train one epoch unless earlier
            // sessions had already used the whole budget.
            if (_config.CpuBudgetMinutes is { } budgetMinutes
                && cpuBefore + (epoch == startEpoch ? 0 : cpuClock.Seconds) >= budgetMinutes * 60)
            {
                _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"CPU budget of {budgetMinutes:G4} min used up after epoch {epoch} ({(cpuBefore + cpuClock.Seconds) / 60:F1} min); stopping. --resume --cpu-budget <more> continues."));
                break;
            }

            var phase = _schedule.PhaseOf(epoch);
            if (phase.Index != _phase.Index)
            {
                // Every phase starts with fresh optimizers (its own learning rates and betas) and, in a GAN phase,
                // with the critic's turn, as NoGAN's separate learners do.
                EnterPhase(phase);
                _criticMode = true;
                _log.WriteLine($"phase {phase.Index + 1}/{_schedule.Phases.Count}: {phase.Name}, {phase.Epochs} epochs at {phase.Size} px");
            }

            var clock = Stopwatch.StartNew();
            // With epochRepeats r the epoch's order is a permutation of r copies of the photos (index i is photo
            // i mod count), so each photo is seen r times per epoch, each time with its own random crop. The photos
            // are the training photos, with oversampling plus extra copies of the listed ones (validation keeps one).
            var photos = data.EpochPhotos;
            int epochLength = photos.Count * _config.EpochRepeats;
            var within = resumeWithin ?? new EpochProgress { Order = Permutation(epochLength, _dataRandom) };
            resumeWithin = null;
            var order = within.Order;
            if (order.Length != epochLength || order.Any(i => i < 0 || i >= epochLength))
            {
                throw new TrainerException("The checkpoint's data order does not match the training photos; was the data folder (or the oversample list) changed?");
            }

            double sumG = within.SumG, sumL1 = within.SumL1, sumAdv = within.SumAdv, sumD = within.SumD, sumClass = within.SumClass;
            int gSteps = within.GSteps, dSteps = within.DSteps, l1Count = within.L1Count;
            int batches = within.BatchesDone, images = 0;
            progress.EpochStarted(new EpochStart(epoch + 1, _schedule.TotalEpochs, phase.Name, order.Length, Math.Min(order.Length, batches * _config.Batch)));
            using var loader = new BatchLoader(photos, order, batches, _config.Batch, phase.Size, _config, epoch, cutouts: _cutouts);
            foreach (var batch in loader.Batches())
            {
                int start = batches * _config.Batch;
                int count = batch.L.Shape[0];
                OneCycle.SetRates(_config.Pretrain?.OneCycle, phase, _optG, epoch, batches, order.Length, _config.Batch);
                var losses = Step(phase, batch);
                sumG += losses.SumG;
                sumAdv += losses.SumAdv;
                gSteps += losses.GSteps;
                sumD += losses.SumD;
                dSteps += losses.DSteps;
                sumL1 += losses.L1;
                sumClass += losses.SumClass;
                l1Count++;
                batches++;
                images += count;
                step++;
                progress.BatchDone(new BatchDone(epoch + 1, start + count, order.Length, losses.L1, images / Math.Max(1e-9, clock.Elapsed.TotalSeconds)));

                bool endOfEpoch = start + _config.Batch >= order.Length;
                if (!endOfEpoch && _config.CheckpointEverySteps > 0 && step % _config.CheckpointEverySteps == 0)
                {
                    var partialEpoch = new EpochProgress
                    {
                        Order = order, BatchesDone = batches, SumG = sumG, SumL1 = sumL1, SumAdv = sumAdv, SumD = sumD, SumClass = sumClass,
                        GSteps = gSteps, DSteps = dSteps, L1Count = l1Count,
                    };
                    Checkpoints.Save(_runDirectory, CollectTensors(), State(epoch, step, bestPsnr, bestEpoch, null, partialEpoch, cpuBefore + cpuClock.Seconds), isBest: false);
                }

                if (step == stopAfterStep)
                {
                    return records;
                }
            }

            double trainSeconds = clock.Elapsed.TotalSeconds;
            var metrics = Validate(validation);
            double seconds = clock.Elapsed.TotalSeconds;
            var record = new EpochRecord(epoch + 1, step, gSteps > 0 ? sumG / gSteps : null, sumL1 / Math.Max(1, l1Count),
                phase.Kind != PhaseKind.Gan || gSteps == 0 ? null : sumAdv / gSteps, _d is null || dSteps == 0 ? null : sumD / dSteps,
                metrics.Psnr, metrics.PsnrGrey, metrics.AbMae, metrics.ColorfulnessPred, metrics.ColorfulnessTruth, metrics.DeltaColorfulness,
                metrics.Images, seconds, trainSeconds, images / trainSeconds)
                { Auc = metrics.Auc, AucGrey = metrics.AucGrey, LearningRate = _optG.ParamGroups[0].LearningRate, Phase = phase.Name, Size = phase.Size, CpuSeconds = cpuBefore + cpuClock.Seconds,
                  LossClass = (_classLoss is null && _sceneLoss is null) || gSteps == 0 ? null : sumClass / gSteps };
            records.Add(record);
            File.AppendAllText(Path.Combine(_runDirectory, "metrics.jsonl"), JsonSerializer.Serialize(record, s_jsonLine) + "\n");
            // With adversarial phases the recipe's product is the adversarially trained generator: pretraining
            // epochs (best by PSNR almost by definition, being trained on L1) and critic refits are not candidates.
            bool candidate = !_schedule.HasGan || phase.Kind == PhaseKind.Gan;
            bool isBest = candidate && metrics.Psnr > bestPsnr;
            if (isBest)
            {
                bestPsnr = metrics.Psnr;
                bestEpoch = epoch + 1;
            }

            bool lrReduced = _plateau?.Step(metrics) == true;
            bool keep = _config.KeepEveryEpochs > 0 && (epoch + 1) % _config.KeepEveryEpochs == 0;
            Checkpoints.Save(_runDirectory, CollectTensors(), State(epoch + 1, step, bestPsnr, bestEpoch, MetricsDictionary(metrics, epoch + 1), null, record.CpuSeconds.Value), isBest, keep);
            string losses2 = string.Create(CultureInfo.InvariantCulture, $"L1 {record.LossL1:F4}")
                + (record.LossClass is { } lc ? string.Create(CultureInfo.InvariantCulture, $", CE {lc:F4}") : "")
                + (record.LossG is { } lg ? string.Create(CultureInfo.InvariantCulture, $", G {lg:F4}") : "")
                + (record.LossGAdv is { } la ? string.Create(CultureInfo.InvariantCulture, $", adv {la:F4}") : "")
                + (record.LossD is { } ld ? string.Create(CultureInfo.InvariantCulture, $", D {ld:F4}") : "");
            _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch + 1}/{_schedule.TotalEpochs} ({phase.Name}): {losses2}, val PSNR {metrics.Psnr:F2} dB (grey {metrics.PsnrGrey:F2}), ab MAE {metrics.AbMae:F2}, CF {metrics.ColorfulnessPred:F1}/{metrics.ColorfulnessTruth:F1}, {record.ImagesPerSecond:F1} img/s"));
            if (lrReduced)
            {
                _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"validation {_config.LrDecayOnPlateau!.Metric} stopped improving: learning rate now {_optG.ParamGroups[0].LearningRate:G4}"));
            }

            RunArtifacts.AfterEpoch(_runDirectory, epoch + 1, _g, validation, _config.Size, _log);
            progress.EpochFinished(epoch + 1);
        }

        return records;
    }

    /// <summary>One batch of <paramref name="phase"/>: the optimizer steps its kind and the GAN settings call for.</summary>
    internal StepLosses Step(TrainingPhase phase, Batch batch)
    {
        TrainGenerator();
        _d?.Train();
        switch (phase.Kind)
        {
            case PhaseKind.Pretrain:
            {
                _optG.ZeroGrad();
                var (fake, logits, scene) = Generate(batch);
                var (loss, l1, ce) = AbTerm(fake, logits, scene, batch.AB);
                if (_featureLoss is not null)
                {
                    loss += _featureLoss.Compute(batch.L, fake, batch.AB).Mul(_featureLoss.Config.Weight);
                }

                loss.Backward();
                _optG.Step();
                return new StepLosses(loss.Item(), 0, 1, 0, 0, l1, ce ?? 0);
            }

            case PhaseKind.Critic:
            {
                // The generator is frozen: its outputs as at inference (eval mode, no running-statistics updates).
                Tensor fake;
                _g.Eval();
                using (Tensor.NoGrad())
                {
                    fake = _g.Call(batch.InputFor(_takesHints));
                }

                TrainGenerator();
                double lossD = CriticStep(batch, fake);
                return new StepLosses(0, 0, 0, lossD, 1, L1Value(fake, batch.AB));
            }

            default:
                return _config.Gan.CriticLossThreshold is { } threshold ? AdaptiveGanStep(batch, threshold) : FixedGanStep(batch);
        }
    }

    /// <summary>Whether NoGAN's adaptive switch currently gives the critic the turn (benchmarks and tests).</summary>
    internal bool CriticMode
    {
        get => _criticMode;
        set => _criticMode = value;
    }

    /// <summary>
    /// pix2pix and WGAN-GP: one critic step on the batch, then <c>generatorStepsPerCriticStep</c> generator steps
    /// on the same batch. The first generator step reuses the forward pass the critic saw (as pix2pix does).
    /// </summary>
    private StepLosses FixedGanStep(Batch batch)
    {
        var (fake, logits, scene) = Generate(batch);
        double lossD = CriticStep(batch, fake.Detach());
        double sumG = 0, sumAdv = 0, l1 = 0, sumClass = 0;
        int steps = _config.Gan.GeneratorStepsPerCriticStep;
        for (int i = 0; i < steps; i++)
        {
            if (i > 0)
            {
                (fake, logits, scene) = Generate(batch);
            }

            var (g, adv, l, ce) = GeneratorStep(batch, fake, logits, scene);
            sumG += g;
            sumAdv += adv;
            sumClass += ce;
            l1 = i == 0 ? l : l1;
        }

        return new StepLosses(sumG, sumAdv, steps, lossD, 1, l1, sumClass);
    }

    /// <summary>
    /// NoGAN (fastai's AdaptiveGANSwitcher with critic_thresh): while the critic has the turn, each batch is one critic
    /// step, and the turn passes to the generator once the critic's loss is below <paramref name="threshold"/>; the
    /// generator then trains on one batch and hands the turn back.
    /// </summary>
    private StepLosses AdaptiveGanStep(Batch batch, double threshold)
    {
        if (_criticMode)
        {
            Tensor fake;
            using (Tensor.NoGrad())
            {
                fake = _g.Call(batch.InputFor(_takesHints));
            }

            double lossD = CriticStep(batch, fake);
            if (lossD < threshold)
            {
                _criticMode = false;
            }

            return new StepLosses(0, 0, 0, lossD, 1, L1Value(fake, batch.AB));
        }

        var (generated, logits, scene) = Generate(batch);
        var (g, adv, l1, ce) = GeneratorStep(batch, generated, logits, scene);
        _criticMode = true;
        return new StepLosses(g, adv, 1, 0, 0, l1, ce);
    }

    /// <summary>
    /// One critic update on real pairs L‖ab against generated pairs L‖<paramref name="fakeAb"/>; returns the loss. The
    /// parameters' gradients stay set afterwards (the golden test compares them with PyTorch's).
    /// </summary>
    /// <param name="batch">L and the real ab.</param>
    /// <param name="fakeAb">The generator's ab (detached here).</param>
    /// <param name="alpha">WGAN-GP interpolation weights [N, 1, 1, 1]; null draws them from the critic's random stream.</param>
    internal double CriticStep(Batch batch, Tensor fakeAb, Tensor? alpha = null)
    {
        _optD!.ZeroGrad();
        var real = Tensor.Cat([batch.L, batch.AB], 1);
        var fake = Tensor.Cat([batch.L, fakeAb.Detach()], 1);
        Tensor loss;
        if (_config.Gan.Loss == "wasserstein")
        {
            alpha ??= Tensor.Rand(_criticRandom, batch.L.Shape[0], 1, 1, 1);
            loss = AdversarialLosses.WassersteinGp(_d!.Call, real, fake, alpha, _config.Gan.GradientPenalty).Loss;
        }
        else
        {
            // Real pairs towards realLabel (0.9 = one-sided smoothing), generated pairs towards 0.
            var realScore = _d!.Call(real);
            var fakeScore = _d.Call(fake);
            loss = AdversarialLosses.Critic(_config.Gan.Loss, realScore, fakeScore, _config.RealLabel);
        }

        loss.Backward();
        _optD.Step();
        return loss.Item();
    }

    /// <summary>One generator update: fool the critic and stay close to the truth (adversarialWeight·adv + the ab term).</summary>
    private (double Loss, double Adv, double L1, double Class) GeneratorStep(Batch batch, Tensor fake, Tensor? logits, Tensor? scene)
    {
        _optG.ZeroGrad();
        // The critic only passes gradients through here; not computing its weight gradients saves a third of its backward.
        SetRequiresGrad(_d!, false);
        try
        {
            var adv = AdversarialLosses.Generator(_config.Gan.Loss, _d!.Call(Tensor.Cat([batch.L, fake], 1)));
            var (abLoss, l1, ce) = AbTerm(fake, logits, scene, batch.AB);
            var loss = (_config.Gan.AdversarialWeight == 1f ? adv : adv.Mul(_config.Gan.AdversarialWeight)) + abLoss;
            if (_featureLoss is { Config.InGan: true })
            {
                loss += _featureLoss.Compute(batch.L, fake, batch.AB).Mul(_featureLoss.Config.Weight);
            }

            loss.Backward();
            _optG.Step();
            return (loss.Item(), adv.Item(), l1, ce ?? 0);
        }
        finally
        {
            SetRequiresGrad(_d!, true);
        }
    }

    /// <summary>
    /// Makes <paramref name="phase"/> current with fresh optimizers and, when lrDecayOnPlateau is on, a fresh plateau
    /// scheduler over them (its counters, like the optimizers' states, start again in every phase).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_optG), nameof(_phase))]
    private void EnterPhase(TrainingPhase phase)
    {
        _phase = phase;
        if (_config.PretrainedEncoder is not null)
        {
            // A frozen encoder computes no weight gradients at all (its BatchNorm statistics still follow the data).
            foreach (var (name, p) in _g.NamedParameters())
            {
                if (PretrainedWeights.IsEncoderParameter(name))
                {
                    p.RequiresGrad = !phase.FrozenEncoder;
                }
            }
        }

        if (_config.Hints is { BranchOnly: true } hints)
        {
            foreach (var (name, p) in _g.NamedParameters())
            {
                p.RequiresGrad = hints.Trains(name);
            }
        }

        (_optG, _optD) = MakeOptimizers(phase);
        _plateau = _config.LrDecayOnPlateau is { } plateau ? new LrPlateau(plateau, _optG, _optD) : null;
    }

    /// <summary>
    /// The generator in training mode, or with hints.branchOnly in eval mode: the frozen network's BatchNorm statistics
    /// and spectral norm's vectors must not move (the hint branch's convolutions behave the same in both modes).
    /// </summary>
    private void TrainGenerator()
    {
        if (_config.Hints is { BranchOnly: true })
        {
            _g.Eval();
        }
        else
        {
            _g.Train();
        }
    }

    /// <summary>Fresh Adam optimizers with the phase's settings: pretraining's own, TTUR for the critic.</summary>
    private (Adam G, Adam? D) MakeOptimizers(TrainingPhase phase)
    {
        var c = _config;
        // Pretraining settings apply to the pretraining phases of adversarial recipes; an L1-only recipe's one phase
        // is its main phase and uses the run's settings.
        var (lr, beta1, beta2) = phase.Kind == PhaseKind.Pretrain && c.Pretrain is { } p && _d is not null
            ? (p.LearningRate ?? c.LearningRate, p.Beta1 ?? c.Beta1, p.Beta2 ?? c.Beta2)
            : (c.LearningRate, c.Beta1, c.Beta2);
        var groups = GeneratorParamGroups.Build(_g, lr, beta1, beta2, c, phase.FrozenEncoder);
        if (_sceneLoss is not null)
        {
            // The scene head trains with the generator (last group: the logged rate stays the main group's).
            groups.Add(new([.. _sceneLoss.Head.Parameters()], lr) { Beta1 = beta1, Beta2 = beta2 });
        }

        var g = new Adam(groups);
        var d = _d is null ? null : new Adam(_d.Parameters(), c.LearningRate * c.Gan.CriticLrMultiplier, c.Beta1, c.Beta2);
        return (g, d);
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
                var pred = _g.Call(batch.InputFor(_takesHints)).ToArray();
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

        TrainGenerator();
        return acc.Result();
    }

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
