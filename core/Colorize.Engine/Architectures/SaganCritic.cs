using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Architectures;

/// <summary>
/// DeOldify's critic (<c>custom_gan_critic</c>): spectral-normalised convolutions with LeakyReLU 0.2, channel dropout,
/// one SAGAN self-attention layer after the first downsampling block, and a patch of logits (no sigmoid). Ours is
/// conditional: it sees L‖ab (3 channels). A width of 256 is DeOldify's width; smaller is CPU-friendly.
/// </summary>
public sealed class SaganCritic : Module<Tensor, Tensor>
{
    private readonly Sequential _layers;

    /// <summary>Creates the critic.</summary>
    /// <param name="inputChannels">3 for L‖ab.</param>
    /// <param name="nf">Filters of the first layer.</param>
    /// <param name="blocks">Downsampling blocks after the first (3).</param>
    /// <param name="dropout">Channel-dropout probability p (p/2 after the first conv).</param>
    /// <param name="generator">Random source of weights and dropout masks.</param>
    public SaganCritic(int inputChannels = 3, int nf = 64, int blocks = 3, float dropout = 0.15f, Generator? generator = null)
    {
        _layers = RegisterModule("layers", BuildLayers(inputChannels, nf, blocks, dropout, generator));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => _layers.Call(input);

    private static Sequential BuildLayers(int inputChannels, int nf, int blocks, float p, Generator? generator)
    {
        var g = generator ?? Generator.Default;
        var seq = new Sequential(Block(inputChannels, nf, 4, 2, generator), new Dropout2d(p / 2, g));
        for (int i = 0; i < blocks; i++)
        {
            seq.Add(Block(nf, nf, 3, 1, generator));
            seq.Add(new Dropout2d(p, g));
            seq.Add(Block(nf, nf * 2, 4, 2, generator, selfAttention: i == 0));
            nf *= 2;
        }

        seq.Add(Block(nf, nf, 3, 1, generator));
        seq.Add(SpectralNorm.Apply(new Conv2d(nf, 1, 4, padding: 0, bias: false, generator: generator), generator: generator));
        return seq;
    }

    private static Sequential Block(int ni, int nf, int kernel, int stride, Generator? generator, bool selfAttention = false)
    {
        var block = new Sequential(Layers.Conv(ni, nf, kernel, spectralNorm: true, generator, stride, padding: (kernel - 1) / 2), new LeakyReLU(0.2f));
        if (selfAttention)
        {
            block.Add(new SelfAttention(nf, spectralNorm: true, generator));
        }

        return block;
    }
}
