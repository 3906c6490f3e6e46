using System.Diagnostics;
using System.Globalization;
using Colorize.Tensors;

namespace Colorize.Trainer;

/// <summary>
/// <c>colorize-train bench [recipe…] [--size 128] [--batch 8] [--threads 2] [--rounds 7] [--warmup 2]</c> (not in the
/// usage text): times one training step of each recipe's main phase with the recipe's own networks on a synthetic
/// batch, as <c>tests/Colorize.Benchmarks/pytorch/bench_training_steps.py</c> does in PyTorch, and prints a Markdown
/// table of medians. A step is what one batch costs in the recipe's adversarial phase: unet-l1 one L1 step; pix2pix
/// one critic + one generator step; wgan-gp one critic step with gradient penalty + two generator steps;
/// resnet-unet-nogan one critic step + one generator step (the two turns of the adaptive switch).
/// </summary>
internal static class Bench
{
    private static readonly string[] s_defaultRecipes = ["unet-l1", "pix2pix", "resnet-unet-nogan", "wgan-gp"];

    public static int Run(Arguments a, TextWriter stdout)
    {
        int size = a.Int("size") ?? 128, batchSize = a.Int("batch") ?? 8, rounds = a.Int("rounds") ?? 7, warmup = a.Int("warmup") ?? 2;
        if (rounds < 1 || warmup < 0)
        {
            throw new TrainerException("--rounds must be at least 1 and --warmup not negative.");
        }

        if (a.Int("threads") is { } threads)
        {
            TensorOptions.NumThreads = threads >= 1 ? threads : throw new TrainerException($"--threads must be at least 1, got {threads}.");
        }

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"colorize-train bench: {size}x{size}, batch {batchSize}, {TensorOptions.NumThreads} thread(s), median of {rounds} rounds after {warmup} warm-up"));
        stdout.WriteLine("| recipe | step | median ms | min ms | images/s |");
        stdout.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (var name in a.Positional.Count > 0 ? a.Positional : [.. s_defaultRecipes])
        {
            var config = RecipeCatalog.Load(name) with { Size = size, Batch = batchSize, Seed = 1 };
            var run = TrainingRun.ForBenchmark(config);
            var phase = run.Schedule.Phases[^1];
            var random = new Generator(12345);
            var batch = new Batch(Tensor.Rand(random, batchSize, 1, size, size) * 2f - 1f, Tensor.Rand(random, batchSize, 2, size, size) * 0.6f - 0.3f);
            bool adaptive = phase.Kind == PhaseKind.Gan && config.Gan.CriticLossThreshold is not null;
            void OneStep()
            {
                if (adaptive)
                {
                    run.CriticMode = true;
                    run.Step(phase, batch);
                    run.CriticMode = false;
                }

                run.Step(phase, batch);
            }

            for (int i = 0; i < warmup; i++)
            {
                OneStep();
            }

            var samples = new List<double>();
            for (int i = 0; i < rounds; i++)
            {
                var clock = Stopwatch.StartNew();
                OneStep();
                samples.Add(clock.Elapsed.TotalMilliseconds);
            }

            samples.Sort();
            double median = samples[samples.Count / 2];
            string what = phase.Kind switch
            {
                PhaseKind.Pretrain => "L1 step",
                _ when adaptive => "critic step + generator step",
                _ => $"critic step{(config.Gan.Loss == "wasserstein" ? " (GP)" : "")} + {config.Gan.GeneratorStepsPerCriticStep} generator step(s)",
            };
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {what} | {median:F0} | {samples[0]:F0} | {batchSize / (median / 1000):F2} |"));
        }

        return 0;
    }
}
