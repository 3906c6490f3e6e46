using System.Security.Cryptography;
using System.Text;
using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Imaging.ColorSpaces;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Trainer;

/// <summary>
/// How training simulates a user's colour hints (config <c>hints</c>), after Zhang et al. 2017 ("Real-Time User-Guided
/// Image Colorization with Learned Deep Priors", and its code's <c>add_color_patches_rand_gt</c>): per sample, no hints
/// with <see cref="NoHintProbability"/>, else a count drawn from a geometric distribution (each further hint with
/// probability 1 − <see cref="GeometricP"/>, at most <see cref="MaxHints"/>); each hint a square patch of side
/// <see cref="PatchMin"/>–<see cref="PatchMax"/> pixels at the training size, coloured with the patch's mean true ab,
/// placed around the centre by a 2-D Gaussian (σ a quarter of the free range, clamped to the image) with
/// <see cref="GaussianProbability"/>, else uniformly.
/// </summary>
internal sealed record HintConfig
{
    /// <summary>Share of samples trained without any hint (the automatic case must stay good).</summary>
    public double NoHintProbability { get; init; } = 0.125;

    /// <summary>p of the geometric count: after each hint, stop with probability p (mean (1 − p)/p hints).</summary>
    public double GeometricP { get; init; } = 0.125;

    /// <summary>The most hints one sample gets.</summary>
    public int MaxHints { get; init; } = 64;

    /// <summary>Smallest patch side in pixels at the training size.</summary>
    public int PatchMin { get; init; } = 1;

    /// <summary>Largest patch side in pixels at the training size.</summary>
    public int PatchMax { get; init; } = 9;

    /// <summary>Share of hints placed by the centred Gaussian (the rest uniformly).</summary>
    public double GaussianProbability { get; init; } = 0.5;

    /// <summary>The hint branch's learning rate as a multiple of the run's (1: no group of its own). The branch starts
    /// at zero; fine-tuning at a low rate leaves it too small for hints to show (4 epochs at 5e-5 barely moved colours).</summary>
    public double BranchLrMultiplier { get; init; } = 1;

    /// <summary>
    /// Train the hint branch's weights only. Fine-tuning the whole network drifts the automatic colours (a 30-epoch
    /// run from colorize-base 1.0.1 painted face close-ups more colourful than the truth by epoch 5); with the rest
    /// frozen and in eval mode (BatchNorm statistics and spectral norm's vectors unchanged) and the branch's biases
    /// kept at zero, a network given no hints computes exactly what the pack it started from does.
    /// </summary>
    public bool BranchOnly { get; init; }

    /// <summary>Whether <paramref name="name"/> trains: every parameter, or with <see cref="BranchOnly"/> the branch's weights.</summary>
    public bool Trains(string name) =>
        !BranchOnly || (HintSimulation.IsHintBranchParameter(name) && name.EndsWith(".weight", StringComparison.Ordinal));

    public void Validate(ArchitectureSpec generator)
    {
        TrainConfig.Require(NoHintProbability is >= 0 and <= 1, $"hints.noHintProbability must be from 0 to 1, got {NoHintProbability}.");
        TrainConfig.Require(GeometricP is > 0 and <= 1, $"hints.geometricP must be in (0, 1], got {GeometricP}.");
        TrainConfig.Require(MaxHints is >= 1 and <= 1024, $"hints.maxHints must be from 1 to 1024, got {MaxHints}.");
        TrainConfig.Require(PatchMin >= 1 && PatchMax >= PatchMin && PatchMax <= 64, $"hints.patchMin and patchMax must satisfy 1 <= patchMin <= patchMax <= 64, got {PatchMin} and {PatchMax}.");
        TrainConfig.Require(GaussianProbability is >= 0 and <= 1, $"hints.gaussianProbability must be from 0 to 1, got {GaussianProbability}.");
        TrainConfig.Require(BranchLrMultiplier is > 0 and <= 1000, $"hints.branchLrMultiplier must be in (0, 1000], got {BranchLrMultiplier}.");
        TrainConfig.Require(HintSimulation.ArchitectureTakesHints(generator), "hints needs a generator that takes them (resnet-unet with hyperparameter \"hints\": true).");
    }
}

/// <summary>One simulated hint: a square patch at the training size and its colour (ab/110).</summary>
internal readonly record struct SimulatedHint(int X, int Y, int Side, float A, float B);

/// <summary>Draws simulated hints and rasterises them into a batch's hint planes.</summary>
internal static class HintSimulation
{
    /// <summary>Whether a manifest architecture takes hints (resnet-unet with <c>hints: true</c>).</summary>
    public static bool ArchitectureTakesHints(ArchitectureSpec spec) =>
        spec.Hyperparameters is { } hp && hp.TryGetValue("hints", out var v) && v.ValueKind == System.Text.Json.JsonValueKind.True;

    /// <summary>Whether a generator parameter belongs to the hint branch (resnet-unet's <c>hint_input</c>, <c>hint_head</c>).</summary>
    public static bool IsHintBranchParameter(string name) =>
        name.StartsWith("hint_input.", StringComparison.Ordinal) || name.StartsWith("hint_head.", StringComparison.Ordinal);

    /// <summary>Whether the generator network takes hint planes after L.</summary>
    public static bool TakesHints(Module generator) => generator is ResNetUnet { TakesHints: true };

    /// <summary>How many hints a sample gets: none with noHintProbability, else geometric, capped.</summary>
    public static int DrawCount(HintConfig config, Generator random)
    {
        if (random.NextDouble() < config.NoHintProbability)
        {
            return 0;
        }

        int count = 0;
        while (count < config.MaxHints && random.NextDouble() >= config.GeometricP)
        {
            count++;
        }

        return count;
    }

    /// <summary>
    /// <paramref name="count"/> hints on an <paramref name="size"/>² sample whose true ab/110 planes are
    /// <paramref name="ab"/> (a then b): patch side uniform in [patchMin, patchMax] (at most the size), top-left corner
    /// Gaussian around the centre (σ = a quarter of the free range, clamped) or uniform, colour the patch's mean ab.
    /// </summary>
    public static List<SimulatedHint> Draw(HintConfig config, int count, ReadOnlySpan<float> ab, int size, Generator random, bool? gaussian = null)
    {
        var hints = new List<SimulatedHint>(count);
        int m = size * size;
        for (int i = 0; i < count; i++)
        {
            int side = Math.Min(size, config.PatchMin + random.NextInt(config.PatchMax - config.PatchMin + 1));
            int free = size - side + 1;
            bool normal = gaussian ?? random.NextDouble() < config.GaussianProbability;
            int y = normal ? Clamped(random, free) : random.NextInt(free);
            int x = normal ? Clamped(random, free) : random.NextInt(free);
            double sumA = 0, sumB = 0;
            for (int py = y; py < y + side; py++)
            {
                for (int px = x; px < x + side; px++)
                {
                    sumA += ab[(py * size) + px];
                    sumB += ab[m + (py * size) + px];
                }
            }

            int n = side * side;
            hints.Add(new SimulatedHint(x, y, side, (float)(sumA / n), (float)(sumB / n)));
        }

        return hints;
    }

    // Zhang's clip(normal((H − P + 1)/2, (H − P + 1)/4), 0, H − P), truncated to an integer as his int() does.
    private static int Clamped(Generator random, int free) =>
        (int)Math.Clamp((free / 2.0) + (random.NextNormal() * free / 4.0), 0, free - 1);

    /// <summary>What <c>eval --hints</c> reports as the placement of its simulated hints.</summary>
    public const string EvalPlacement = "gaussian";

    /// <summary>
    /// <c>eval --hints</c>: the first <paramref name="count"/> hints of a sequence fixed by the photo's path (so every
    /// pack and every count sees the same hints, and 5 hints are the first 5 of 10), taken from the truth as the paper
    /// measures: a square of side 1–9 pixels at the render size (<paramref name="scale"/> render pixels per source
    /// pixel), its top-left corner drawn by the centred Gaussian of Zhang et al.'s <c>add_color_patches_rand_gt</c>
    /// (σ a quarter of the free range, clamped), its colour the patch's mean true Lab converted to sRGB; given to the
    /// colorizer as a disc of the patch's width around the patch's centre.
    /// </summary>
    public static List<ColorHint> ForPhoto(string relativePath, int count, float[] l, float[] a, float[] b, int width, int height, double scale)
    {
        var random = new Generator(BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(relativePath)), 0));
        var hints = new List<ColorHint>(count);
        for (int i = 0; i < count; i++)
        {
            int patch = 1 + random.NextInt(9);
            int side = Math.Clamp((int)Math.Round(patch / scale), 1, Math.Min(width, height));
            int y = Clamped(random, height - side + 1);
            int x = Clamped(random, width - side + 1);
            double sumL = 0, sumA = 0, sumB = 0;
            for (int py = y; py < y + side; py++)
            {
                for (int px = x; px < x + side; px++)
                {
                    int j = (py * width) + px;
                    sumL += l[j];
                    sumA += a[j];
                    sumB += b[j];
                }
            }

            int n = side * side;
            var (r, g, bl) = CieLab.ToSrgb(sumL / n, sumA / n, sumB / n);
            hints.Add(new ColorHint(x + (side / 2.0), y + (side / 2.0), ToByte(r), ToByte(g), ToByte(bl), side / 2.0));
        }

        return hints;

        static byte ToByte(double c) => (byte)Math.Clamp(Math.Round(c * 255), 0, 255);
    }

    /// <summary>Writes <paramref name="hints"/> into one sample's planes (a/110, b/110, mask; each size²); later hints win.</summary>
    public static void Rasterise(IEnumerable<SimulatedHint> hints, Span<float> planes, int size)
    {
        int m = size * size;
        foreach (var h in hints)
        {
            for (int y = h.Y; y < h.Y + h.Side; y++)
            {
                for (int x = h.X; x < h.X + h.Side; x++)
                {
                    int i = (y * size) + x;
                    planes[i] = h.A;
                    planes[m + i] = h.B;
                    planes[(2 * m) + i] = 1f;
                }
            }
        }
    }

    /// <summary>
    /// The batch with simulated hint planes (drawn from <paramref name="random"/>, the batch's own stream, after its
    /// crops and noise, so a resumed epoch draws the same hints); unchanged when <paramref name="config"/> is null.
    /// </summary>
    public static Batch Apply(Batch batch, HintConfig? config, Generator random)
    {
        if (config is null)
        {
            return batch;
        }

        int n = batch.L.Shape[0], size = batch.L.Shape[2], m = size * size;
        var ab = batch.AB.Data;
        var planes = new float[n * 3 * m];
        for (int i = 0; i < n; i++)
        {
            var hints = Draw(config, DrawCount(config, random), ab.Slice(i * 2 * m, 2 * m), size, random);
            Rasterise(hints, planes.AsSpan(i * 3 * m, 3 * m), size);
        }

        return batch with { Hints = Tensor.Wrap(planes, n, 3, size, size) };
    }
}
