using Colorize.Tensors.Autograd;
using Colorize.Tensors.Kernels;

namespace Colorize.Tensors.NN;

/// <summary>
/// SAGAN self-attention as in DeOldify/fastai: 1×1 convolutions <c>query</c> and <c>key</c> to C/8 channels and
/// <c>value</c> to C, attention β = softmax(fᵀg) over the key positions, output γ·(h·β) + x with γ starting at 0 so
/// the layer begins as the identity. The convolutions are spectral-normalised by default, as DeOldify's are.
/// </summary>
public sealed class SelfAttention : Module<Tensor, Tensor>
{
    private readonly Conv2d _query;
    private readonly Conv2d _key;
    private readonly Conv2d _value;

    /// <summary>Creates the layer for <paramref name="channels"/> channels (at least 8).</summary>
    public SelfAttention(int channels, bool spectralNorm = true, Generator? generator = null)
    {
        if (channels < 8)
        {
            throw new ArgumentException("Self-attention needs at least 8 channels (query and key use C/8).");
        }

        _query = RegisterModule("query", MakeConv(channels, channels / 8, spectralNorm, generator));
        _key = RegisterModule("key", MakeConv(channels, channels / 8, spectralNorm, generator));
        _value = RegisterModule("value", MakeConv(channels, channels, spectralNorm, generator));
        RegisterParameter("gamma", Tensor.Zeros(1));
    }

    /// <summary>The learnable residual weight γ (initialised to 0).</summary>
    public Tensor Gamma => GetTensor("gamma")!;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], w = input.Shape[3];
        var f = _query.Call(input).Reshape(n, -1, h * w);
        var g = _key.Call(input).Reshape(n, -1, h * w);
        var v = _value.Call(input).Reshape(n, c, h * w);
        if (!GradMode.ShouldRecord([f, g, v, Gamma, input]))
        {
            // Nothing to differentiate: the blocked kernel, which never forms the (h·w)² attention matrix.
            var y = Tensor.Empty(n, c, h, w);
            SelfAttentionKernel.Forward(f.Data, g.Data, v.Data, input.Data, Gamma.Item(), n, f.Shape[1], c, h * w, y.Data, TensorOptions.NumThreads);
            return y;
        }

        var beta = Functional.Softmax(f.Transpose(1, 2).Bmm(g), dim: 1);
        var o = (Gamma * v.Bmm(beta)) + input.Reshape(n, c, h * w);
        return o.Reshape(n, c, h, w);
    }

    private static Conv2d MakeConv(int cin, int cout, bool spectralNorm, Generator? generator)
    {
        var conv = new Conv2d(cin, cout, 1, bias: false, generator: generator);
        Init.KaimingNormal(conv.Weight, generator: generator);
        return spectralNorm ? SpectralNorm.Apply(conv, generator: generator) : conv;
    }
}
