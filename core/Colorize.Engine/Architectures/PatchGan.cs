using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Architectures;

/// <summary>
/// The pix2pix PatchGAN discriminator (the reference <c>NLayerDiscriminator</c>): with three layers its receptive
/// field is 70×70 and a 256 px input gives 30×30 logits. Input is L‖ab (3 channels); no sigmoid (use BCE with logits).
/// Keys follow the reference code (<c>model.0.weight</c>, …).
/// </summary>
public sealed class PatchGan : Module<Tensor, Tensor>
{
    private readonly Sequential _model;

    /// <summary>Creates the discriminator.</summary>
    /// <param name="inputChannels">Input channels (3 for L‖ab).</param>
    /// <param name="ndf">Filters of the first layer (64).</param>
    /// <param name="layers">Stride-2 layers (3 gives the 70×70 PatchGAN).</param>
    /// <param name="norm">Normalisation layer.</param>
    /// <param name="generator">Random source of the initial weights.</param>
    public PatchGan(int inputChannels = 3, int ndf = 64, int layers = 3, NormKind norm = NormKind.Batch, Generator? generator = null)
    {
        bool useBias = norm == NormKind.Instance;
        var seq = new Sequential(new Conv2d(inputChannels, ndf, 4, stride: 2, padding: 1), new LeakyReLU(0.2f));
        int mult = 1;
        for (int n = 1; n < layers; n++)
        {
            int prev = mult;
            mult = Math.Min(1 << n, 8);
            seq.Add(new Conv2d(ndf * prev, ndf * mult, 4, stride: 2, padding: 1, bias: useBias));
            seq.Add(UnetSkipBlock.MakeNorm(norm, ndf * mult));
            seq.Add(new LeakyReLU(0.2f));
        }

        int last = mult;
        mult = Math.Min(1 << layers, 8);
        seq.Add(new Conv2d(ndf * last, ndf * mult, 4, stride: 1, padding: 1, bias: useBias));
        seq.Add(UnetSkipBlock.MakeNorm(norm, ndf * mult));
        seq.Add(new LeakyReLU(0.2f));
        seq.Add(new Conv2d(ndf * mult, 1, 4, stride: 1, padding: 1));
        _model = RegisterModule("model", seq);
        Pix2PixInit.Apply(this, generator);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => _model.Call(input);
}
