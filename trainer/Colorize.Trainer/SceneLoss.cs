using System.Text.Json;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Trainer;

/// <summary>
/// The <c>sceneLoss</c> config key: a training-time objective that asks the <c>globalContext</c> block's photo summary
/// for the photo's own colours. A 1×1 convolution (the scene head, the trainer's alone: packs never hold it) maps the
/// summary to one logit per ab bin of side <see cref="BinSize"/>; the target is the crop's true ab histogram over those
/// bins (each pixel counted in its nearest in-gamut bin); the loss is the cross-entropy −Σ_q hist_q · log softmax_q,
/// averaged over the batch, times <see cref="Weight"/>, added to the ab term.
/// </summary>
/// <remarks>
/// Why: Iizuka et al. 2016 train their global features with scene labels beside the colour loss; these photos have
/// none, but a photo's colour histogram says what a scene label would (meadow, shop, beach) in the terms that matter
/// here. A probe on the frozen encoder finds twice the green at 1 % false green with the photo's mean features in view
/// (issue 14, session 14); the L1 alone did not make the block carry that.
/// </remarks>
internal sealed record SceneLossConfig
{
    /// <summary>Weight of the cross-entropy in the generator loss.</summary>
    public double Weight { get; init; } = 1;

    /// <summary>Side of the histogram's square ab bins in Lab units (20: 11 × 11 bins over ±110).</summary>
    public int BinSize { get; init; } = 20;

    public void Validate(ArchitectureSpec generator)
    {
        TrainConfig.Require(Weight is > 0 and <= 10_000, $"sceneLoss.weight must be in (0, 10000], got {Weight}.");
        TrainConfig.Require(BinSize is >= 5 and <= 110, $"sceneLoss.binSize must be from 5 to 110 ab units, got {BinSize}.");
        var h = generator.Hyperparameters;
        bool context = generator.Name == "resnet-unet" && h is not null
            && h.TryGetValue("globalContext", out var gc) && gc.ValueKind == JsonValueKind.True;
        bool classes = h is not null && h.TryGetValue("abHead", out var head) && head.ValueKind == JsonValueKind.String && head.GetString() == "classes";
        TrainConfig.Require(context && !classes, "sceneLoss needs a resnet-unet with \"globalContext\": true and the tanh head.");
    }
}

/// <summary>The scene head, the histogram targets and the cross-entropy of <see cref="SceneLossConfig"/>.</summary>
internal sealed class SceneLoss
{
    /// <summary>Channels of the global-context block's summary (<see cref="ResNetUnet"/> builds it 512 → 256).</summary>
    public const int SummaryChannels = 256;

    /// <summary>The checkpoint key prefix of the scene head's weights (its Adam state is in the generator optimizer's, <c>optg.*</c>).</summary>
    public const string CheckpointPrefix = "scene.";

    private readonly AbGrid _grid;

    public SceneLoss(SceneLossConfig config, Generator random)
    {
        Config = config;
        _grid = AbGrid.Srgb(config.BinSize);
        Head = new Conv2d(SummaryChannels, Bins, 1, generator: random);
    }

    public SceneLossConfig Config { get; }

    /// <summary>The head: summary [N, 256, 1, 1] → logits [N, <see cref="Bins"/>, 1, 1], one per grid cell (a-major).</summary>
    public Conv2d Head { get; }

    /// <summary>Logits per photo: every cell of the grid (cells out of gamut are never a target and learn to be unlikely).</summary>
    public int Bins => _grid.Side * _grid.Side;

    /// <summary>Each photo's ab histogram: N×2×H×W ab/110 → N×Bins×1×1, each photo's row summing to 1.</summary>
    public Tensor Targets(Tensor ab)
    {
        int n = ab.Shape[0], m = ab.Shape[2] * ab.Shape[3], q = Bins;
        ReadOnlySpan<float> data = ab.Data;
        var target = new float[n * q];
        for (int image = 0; image < n; image++)
        {
            var a = data.Slice(image * 2 * m, m);
            var b = data.Slice((image * 2 * m) + m, m);
            for (int p = 0; p < m; p++)
            {
                target[(image * q) + _grid.BinOf(a[p] * AbGamut.Range, b[p] * AbGamut.Range)] += 1f / m;
            }
        }

        return Tensor.Wrap(target, n, q, 1, 1);
    }

    /// <summary>The cross-entropy of the head on <paramref name="summary"/> against the histograms of <paramref name="ab"/>, not yet weighted.</summary>
    public Tensor Compute(Tensor summary, Tensor ab) => ClassLoss.CrossEntropy(Head.Call(summary), Targets(ab));
}
