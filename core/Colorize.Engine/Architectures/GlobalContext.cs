using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Architectures;

/// <summary>
/// Iizuka et al. 2016's global features for <see cref="ResNetUnet"/> (hyperparameter <c>globalContext</c>): the
/// encoder's deepest features averaged over the whole photo, through two 1×1 convolutions (C→hidden, ReLU,
/// hidden→C), added to every position of those features before the middle block.
/// </summary>
/// <remarks>
/// Why: a probe on the frozen ImageNet ResNet18's features (packaging/data/green-probe.py) tells validation's green
/// cells from the rest much better at low false-green rates when every cell also sees the photo's mean layer4
/// features (51 % of the green found at 1 % false green, against 25 % from the local features alone): whether a
/// textured mid-grey patch is grass depends on whether the photo is a meadow or a shop. The convolutions can learn
/// that from a pooled vector; with 341 training photos the trunk's self-attention did not. The second convolution
/// starts at zero (weights and bias), so a network given this block computes exactly what it did without it, and a
/// trained pack can be fine-tuned into it. Neither convolution is spectral-normalised (the norm of a zero weight is 0).
/// </remarks>
public sealed class GlobalContext : Module<Tensor, Tensor>
{
    private readonly Conv2d _reduce;
    private readonly Conv2d _expand;

    /// <summary>Creates the block with a zero second convolution.</summary>
    /// <param name="channels">Channels of the features it adds to (512 after a ResNet's layer4).</param>
    /// <param name="hidden">Channels between the two convolutions.</param>
    /// <param name="generator">Random source of the first convolution's initial weights.</param>
    public GlobalContext(int channels, int hidden, Generator? generator)
    {
        _reduce = RegisterModule("reduce", new Conv2d(channels, hidden, 1, generator: generator));
        _expand = RegisterModule("expand", new Conv2d(hidden, channels, 1, generator: generator));
        Init.Constant(_expand.Weight, 0f);
        Init.Constant(_expand.Bias!, 0f);
    }

    /// <summary>The state-dict key prefix of the block in <see cref="ResNetUnet"/> (absent from packs without it).</summary>
    public const string KeyPrefix = "global_context.";

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var context = _expand.Call(_reduce.Call(input.Mean([2, 3], keepDim: true)).Relu());
        return input + context;
    }
}
