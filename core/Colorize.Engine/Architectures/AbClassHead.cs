using System.Globalization;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Architectures;

/// <summary>
/// The classification head of Zhang et al. 2016 ("Colorful Image Colorization"): the generator's last 1×1 convolution
/// gives one logit per in-gamut ab bin (<see cref="AbGamut"/>), and the colour is their <em>annealed mean</em>,
/// softmax(logits / T) over the bins, then the expectation of the bin centres (ab/110, so the output is in −1..1 as
/// the tanh head's). Per-pixel L1 regresses ambiguous colours to their median (green or brown grass comes out olive);
/// a distribution over bins trained with cross-entropy keeps the modes, and T &lt; 1 sharpens it towards the mode
/// while staying spatially smooth (T = 0.38 in the paper).
/// </summary>
/// <remarks>
/// The centres are fixed by the bin size: not parameters, not in the state dict (a pack's bin size, in its
/// hyperparameters, determines them). The expectation is a 1×1 convolution with weights centre/110 and no bias,
/// which is also how the ONNX export writes it.
/// </remarks>
public sealed class AbClassHead
{
    private readonly Tensor _centreWeights;

    /// <summary>The head for bins of <paramref name="binSize"/> decoded at temperature <paramref name="temperature"/>.</summary>
    /// <param name="binSize">Side of the ab bins in ab units (Zhang et al.'s 10).</param>
    /// <param name="temperature">T of the annealed mean, in (0, 10] (Zhang et al.'s 0.38; 1 is the plain mean).</param>
    public AbClassHead(int binSize = 10, float temperature = 0.38f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(binSize, 1);
        if (!(temperature > 0 && temperature <= 10))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature.ToString(CultureInfo.InvariantCulture), "The temperature must be in (0, 10].");
        }

        BinSize = binSize;
        Temperature = temperature;
        var centres = AbGamut.Centres(binSize);
        Centres = centres;
        var weights = new float[2 * centres.Length];
        for (int q = 0; q < centres.Length; q++)
        {
            weights[q] = centres[q].A / (float)AbGamut.Range;
            weights[centres.Length + q] = centres[q].B / (float)AbGamut.Range;
        }

        _centreWeights = Tensor.Wrap(weights, 2, centres.Length, 1, 1);
    }

    /// <summary>Side of the bins in ab units.</summary>
    public int BinSize { get; }

    /// <summary>T of the annealed mean.</summary>
    public float Temperature { get; }

    /// <summary>The bins' centres (a, b) in ab units, one per class, in class order.</summary>
    public IReadOnlyList<(int A, int B)> Centres { get; }

    /// <summary>Q: the number of classes (logits per pixel).</summary>
    public int Count => Centres.Count;

    /// <summary>
    /// The 2×Q×1×1 weights of the expectation as a 1×1 convolution: channel 0 the centres' a/110, channel 1 their b/110.
    /// A copy; the head's own tensor is never handed out.
    /// </summary>
    public Tensor CentreWeights() => _centreWeights.Clone();

    /// <summary>The annealed mean of N×Q×H×W logits: N×2×H×W ab/110 (differentiable through the softmax).</summary>
    /// <param name="logits">The head convolution's output.</param>
    public Tensor Decode(Tensor logits)
    {
        if (logits.Rank != 4 || logits.Shape[1] != Count)
        {
            throw new ArgumentException($"The class head needs N×{Count}×H×W logits, got {string.Join("×", logits.GetShape())}.", nameof(logits));
        }

        // Mul by 1/T rather than a division: the ONNX export writes the same Mul, so both round alike.
        var p = Functional.Softmax(logits.Mul(1f / Temperature), 1);
        return Functional.Conv2d(p, _centreWeights);
    }

    /// <summary>
    /// The annealed mean of the logits <paramref name="head"/> gives for <paramref name="features"/>:
    /// <see cref="Decode(Tensor)"/>(head.Call(features)), with the same ops while autograd records (training). Otherwise
    /// (inference) the head convolution, softmax and expectation run fused a tile of 256 positions at a time
    /// (<see cref="Functional.SoftmaxExpectation"/>): the Q = 261 planes of logits, scaled logits and probabilities,
    /// 3 KB a render pixel (over 1 GB at 512×768), are never formed; the result equals the unfused one within float
    /// rounding, the same bits at any thread count.
    /// </summary>
    /// <param name="features">The trunk's output, N×C×H×W.</param>
    /// <param name="head">The 1×1 convolution from C to Q logits.</param>
    public Tensor Decode(Tensor features, Conv2d head)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (head.OutChannels != Count)
        {
            throw new ArgumentException($"The class head needs a convolution to {Count} logits, got {head.OutChannels}.", nameof(head));
        }

        return head.CallSoftmaxExpectation(features, 1f / Temperature, _centreWeights);
    }
}
