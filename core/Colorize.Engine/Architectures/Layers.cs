using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Architectures;

/// <summary>Convolution factory shared by the decoder: same padding, optional spectral norm.</summary>
internal static class Layers
{
    public static Conv2d Conv(int ni, int nf, int kernel, bool spectralNorm, Generator? generator, int stride = 1, int? padding = null, bool bias = true)
    {
        var conv = new Conv2d(ni, nf, kernel, stride: stride, padding: padding ?? ((kernel - 1) / 2), bias: bias, generator: generator);
        Init.KaimingNormal(conv.Weight, generator: generator);
        if (conv.Bias is { } b)
        {
            Init.Constant(b, 0f);
        }

        return spectralNorm ? SpectralNorm.Apply(conv, generator: generator) : conv;
    }
}
