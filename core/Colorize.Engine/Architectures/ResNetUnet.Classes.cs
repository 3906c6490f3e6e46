using Colorize.Tensors;

namespace Colorize.Engine.Architectures;

// The head of ResNetUnet: 1×1 conv + tanh, or with abHead "classes" one logit per ab bin decoded by the annealed mean
// (AbClassHead). Kept apart from ResNetUnet.cs, which holds the trunk.
public sealed partial class ResNetUnet
{
    /// <summary>The classification head's bins and temperature, or null for the tanh head.</summary>
    public AbClassHead? ClassHead => _classes;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var features = Trunk(input);
        return _classes is null ? _head.Call(features).Tanh() : _classes.Decode(features, _head);
    }

    /// <summary>
    /// The class head's logits (N×Q×H×W, before the temperature) and the ab they decode to (what <see cref="Forward"/>
    /// returns), from one pass: the trainer's cross-entropy needs the former, every other term the latter.
    /// </summary>
    /// <exception cref="InvalidOperationException">The network has the tanh head.</exception>
    public (Tensor Ab, Tensor Logits) ForwardWithLogits(Tensor input)
    {
        var classes = _classes ?? throw new InvalidOperationException("This ResNetUnet has the tanh head: it gives no class logits.");
        var logits = _head.Call(Trunk(input));
        return (classes.Decode(logits), logits);
    }

    /// <summary>
    /// What <see cref="Forward"/> returns and the global-context block's summary of each photo ([N, 256, 1, 1], the
    /// hidden vector the context is made from), from one pass: a training-time scene objective reads the latter.
    /// </summary>
    /// <exception cref="InvalidOperationException">The network has no global-context block or has the class head.</exception>
    public (Tensor Ab, Tensor SceneSummary) ForwardWithSceneSummary(Tensor input)
    {
        if (_globalContext is null || _classes is not null)
        {
            throw new InvalidOperationException("A scene summary needs a ResNetUnet with the global-context block and the tanh head.");
        }

        var features = Trunk(input, out var summary);
        return (_head.Call(features).Tanh(), summary!);
    }
}
