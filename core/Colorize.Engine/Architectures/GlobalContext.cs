using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Architectures;

/// <summary>
/// Iizuka et al. 2016's global features for <see cref="ResNetUnet"/> (hyperparameter <c>globalContext</c>): the
/// encoder's deepest features averaged over the whole photo, through two 1×1 convolutions (C→hidden, ReLU,
/// hidden→C), added to every position of those features before the middle block. With <c>globalContextGate</c> the
/// context is scaled to unit RMS over its channels and multiplied by a learnt per-channel gate that starts at zero.
/// </summary>
/// <remarks>
/// Why: a probe on the frozen ImageNet ResNet18's features (packaging/data/green-probe.py) tells validation's green
/// cells from the rest much better at low false-green rates when every cell also sees the photo's mean layer4
/// features (51 % of the green found at 1 % false green, against 25 % from the local features alone): whether a
/// textured mid-grey patch is grass depends on whether the photo is a meadow or a shop. The convolutions can learn
/// that from a pooled vector; with 341 training photos the trunk's self-attention did not.
/// <para>Plain form: the second convolution starts at zero (weights and bias), so a network given this block computes
/// exactly what it did without it, and a trained pack can be fine-tuned into it. Neither convolution is
/// spectral-normalised (the norm of a zero weight is 0). Trained through a whole cycle at 10 × the rate, that form's
/// context grew to 64 times the features it is added to and drowned them (issue 14, session 14).</para>
/// <para>Gated form: the context's size is the gate's and nothing else (the normalised context has RMS just under 1
/// over its channels per photo; one channel may hold more of it than another), so it cannot outgrow the features
/// unless the gate itself does, and Adam moves the gate by about its group's rate per step (the trainer's
/// <c>globalContextLrMultiplier</c> × the phase's). The gate starts at zero, so this form too computes exactly what the network did without it;
/// the second convolution starts random here, because a zero one would have no direction to normalise.</para>
/// </remarks>
public sealed class GlobalContext : Module<Tensor, Tensor>
{
    /// <summary>Added to the mean square before its root, so a context of zeros normalises to zeros.</summary>
    public const float GateEpsilon = 1e-5f;

    private readonly Conv2d _reduce;
    private readonly Conv2d _expand;
    private readonly Tensor? _gate;

    /// <summary>Creates the block with a zero second convolution (plain) or a zero gate (gated).</summary>
    /// <param name="channels">Channels of the features it adds to (512 after a ResNet's layer4).</param>
    /// <param name="hidden">Channels between the two convolutions.</param>
    /// <param name="generator">Random source of the convolutions' initial weights.</param>
    /// <param name="gated">Normalise the context and multiply it by a zero-initialised per-channel gate.</param>
    public GlobalContext(int channels, int hidden, Generator? generator, bool gated = false)
    {
        _reduce = RegisterModule("reduce", new Conv2d(channels, hidden, 1, generator: generator));
        _expand = RegisterModule("expand", new Conv2d(hidden, channels, 1, generator: generator));
        if (gated)
        {
            _gate = RegisterParameter("gate", Tensor.Zeros(1, channels, 1, 1));
            _gate!.RequiresGrad = true;
        }
        else
        {
            Init.Constant(_expand.Weight, 0f);
            Init.Constant(_expand.Bias!, 0f);
        }
    }

    /// <summary>The state-dict key prefix of the block in <see cref="ResNetUnet"/> (absent from packs without it).</summary>
    public const string KeyPrefix = "global_context.";

    /// <summary>Whether the context is normalised and gated (hyperparameter <c>globalContextGate</c>).</summary>
    public bool IsGated => _gate is not null;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Forward(input, out _);

    /// <summary>
    /// The features with the context added, and the photo's summary the context is made from (the hidden vector after
    /// the ReLU, [N, hidden, 1, 1]): what a training-time scene objective reads.
    /// </summary>
    public Tensor Forward(Tensor input, out Tensor summary)
    {
        summary = _reduce.Call(input.Mean([2, 3], keepDim: true)).Relu();
        var context = _expand.Call(summary);
        if (_gate is not null)
        {
            var rms = context.Square().Mean([1], keepDim: true).Add(GateEpsilon).Sqrt();
            context = context.Div(rms).Mul(_gate);
        }

        return input + context;
    }
}
