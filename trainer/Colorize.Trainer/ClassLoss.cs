using System.Text.Json;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Tensors;

namespace Colorize.Trainer;

/// <summary>
/// The <c>classLoss</c> config key: the classification loss of Zhang et al. 2016 ("Colorful Image Colorization",
/// §2.1) for a <c>resnet-unet</c> with <c>abHead</c> "classes". The truth's ab is soft-encoded over the head's bins
/// (its <see cref="Neighbours"/> nearest bin centres, weighted by a Gaussian of the distance with σ
/// <see cref="Sigma"/>, normalised to sum 1) and the loss is the mean over pixels of the cross-entropy
/// −Σ_q target_q · log softmax(logits)_q (T = 1: the temperature is the decoder's), times <see cref="Weight"/>,
/// added where the ab L1 term is. With <c>rebalance</c> each pixel's cross-entropy is weighted by the rarity of its
/// true colour's bin (the paper's full loss).
/// </summary>
internal sealed record ClassLossConfig
{
    /// <summary>Weight of the cross-entropy in the generator loss.</summary>
    public double Weight { get; init; } = 1;

    /// <summary>σ of the soft encoding's Gaussian in ab units (the paper's 5).</summary>
    public double Sigma { get; init; } = 5;

    /// <summary>How many nearest bins share each pixel's target (the paper's 5).</summary>
    public int Neighbours { get; init; } = 5;

    /// <summary>
    /// The class head's (<c>head.*</c>) rate as a multiple of the phase's. Its logits must spread over several units to
    /// make a peaked distribution over hundreds of bins, and Adam moves a parameter by about the rate per step: at a
    /// fine-tuning rate a new head on a trained trunk would barely leave the uniform distribution in an epoch.
    /// </summary>
    public double HeadLrMultiplier { get; init; } = 1;

    public void Validate(ArchitectureSpec generator)
    {
        TrainConfig.Require(Weight is > 0 and <= 10_000, $"classLoss.weight must be in (0, 10000], got {Weight}.");
        TrainConfig.Require(Sigma is > 0 and <= 50, $"classLoss.sigma must be in (0, 50] ab units, got {Sigma}.");
        TrainConfig.Require(Neighbours is >= 1 and <= 32, $"classLoss.neighbours must be from 1 to 32, got {Neighbours}.");
        TrainConfig.Require(HeadLrMultiplier is > 0 and <= 1000, $"classLoss.headLrMultiplier must be in (0, 1000], got {HeadLrMultiplier}.");
        bool classes = generator.Name == "resnet-unet"
            && generator.Hyperparameters is { } h && h.TryGetValue("abHead", out var head)
            && head.ValueKind == JsonValueKind.String && head.GetString() == "classes";
        TrainConfig.Require(classes, "classLoss needs a generator that predicts ab classes: a resnet-unet with \"abHead\": \"classes\".");
    }
}

/// <summary>The soft-encoded targets and the cross-entropy of <see cref="ClassLossConfig"/> for one class head's bins.</summary>
internal sealed class ClassLoss
{
    private readonly float[] _centreA, _centreB;

    public ClassLoss(ClassLossConfig config, AbClassHead head)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(config.Neighbours, head.Count);
        Config = config;
        Head = head;
        _centreA = [.. head.Centres.Select(c => (float)c.A)];
        _centreB = [.. head.Centres.Select(c => (float)c.B)];
    }

    public ClassLossConfig Config { get; }

    public AbClassHead Head { get; }

    /// <summary>
    /// The soft encoding of N×2×H×W ab/110: N×Q×H×W, per pixel the <see cref="ClassLossConfig.Neighbours"/> nearest
    /// centres (ties: the lower class) weighted by exp(−d²/2σ²), normalised to sum 1, every other class 0.
    /// </summary>
    public Tensor Targets(Tensor ab)
    {
        int n = ab.Shape[0], m = ab.Shape[2] * ab.Shape[3], q = Head.Count, k = Config.Neighbours;
        var data = ab.ToArray();
        var target = new float[n * q * m];
        double twoSigma2 = 2 * Config.Sigma * Config.Sigma;
        // At most --threads (TensorOptions.NumThreads), as every kernel: a run at 1 thread beside another must not take both cores.
        var options = new ParallelOptions { MaxDegreeOfParallelism = TensorOptions.NumThreads };
        Parallel.For(0, n * m, options, () => (new int[k], new float[k]), (pixel, _, scratch) =>
        {
            var (nearest, dist) = scratch;
            int image = pixel / m, p = pixel % m;
            float a = data[(image * 2 * m) + p] * AbGamut.Range, b = data[(image * 2 * m) + m + p] * AbGamut.Range;
            int found = 0;
            for (int c = 0; c < q; c++)
            {
                float da = _centreA[c] - a, db = _centreB[c] - b, d = (da * da) + (db * db);
                if (found == k && d >= dist[k - 1])
                {
                    continue;
                }

                // Insertion into the sorted k nearest (strictly smaller moves ahead: ties keep the lower class first).
                int j = found < k ? found++ : k - 1;
                while (j > 0 && dist[j - 1] > d)
                {
                    dist[j] = dist[j - 1];
                    nearest[j] = nearest[j - 1];
                    j--;
                }

                dist[j] = d;
                nearest[j] = c;
            }

            // Relative to the nearest (weight 1) so that a pixel far from every centre cannot underflow to 0/0.
            double sum = 0;
            Span<double> w = stackalloc double[k];
            for (int j = 0; j < k; j++)
            {
                w[j] = Math.Exp(-(dist[j] - dist[0]) / twoSigma2);
                sum += w[j];
            }

            int baseIndex = image * q * m;
            for (int j = 0; j < k; j++)
            {
                target[baseIndex + (nearest[j] * m) + p] = (float)(w[j] / sum);
            }

            return scratch;
        }, _ => { });
        return Tensor.Wrap(target, n, q, ab.Shape[2], ab.Shape[3]);
    }

    /// <summary>
    /// mean over N, H, W of <paramref name="weights"/>·(−Σ_q target_q·log_softmax(logits)_q) (no weights: 1), not yet
    /// times <see cref="ClassLossConfig.Weight"/>. log_softmax is x − max − log Σ exp(x − max) with the max a constant
    /// per pixel (it cancels in the gradient), so no exponential overflows.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, Tensor? weights = null)
    {
        int n = logits.Shape[0], q = logits.Shape[1], m = logits.Shape[2] * logits.Shape[3];
        var x = logits.Data;
        var max = new float[n * m];
        for (int i = 0; i < n; i++)
        {
            var row = max.AsSpan(i * m, m);
            row.Fill(float.NegativeInfinity);
            for (int c = 0; c < q; c++)
            {
                var plane = x.Slice(((i * q) + c) * m, m);
                for (int p = 0; p < m; p++)
                {
                    row[p] = Math.Max(row[p], plane[p]);
                }
            }
        }

        var shifted = logits - Tensor.Wrap(max, n, 1, logits.Shape[2], logits.Shape[3]);
        var logSoftmax = shifted - shifted.Exp().Sum(1, keepDim: true).Log();
        var perPixel = (targets * logSoftmax).Sum(1, keepDim: true).Neg();
        return (weights is null ? perPixel : perPixel * weights).Mean();
    }
}
