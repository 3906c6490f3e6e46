using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Architectures;

/// <summary>Normalisation layer choice for the pix2pix networks.</summary>
public enum NormKind
{
    /// <summary>BatchNorm2d (pix2pix's default; convolutions then have no bias).</summary>
    Batch,

    /// <summary>InstanceNorm2d without affine parameters (convolutions keep their bias).</summary>
    Instance,
}

/// <summary>
/// The pix2pix U-Net generator (Isola et al. 2017; the reference <c>UnetGenerator</c>), built from nested skip blocks
/// so the state-dict keys equal the reference code's (<c>model.model.1.model.3.…</c>). <c>unet_256</c> is
/// <c>numDowns = 8</c>: eight 4×4 stride-2 downsamplings from 256 px to 1 px, dropout 0.5 in the three innermost
/// 512-channel up blocks, tanh output.
/// </summary>
public sealed class Pix2PixUnet : Module<Tensor, Tensor>
{
    private readonly UnetSkipBlock _model;

    /// <summary>Creates the generator.</summary>
    /// <param name="inputChannels">Input channels (1 for L).</param>
    /// <param name="outputChannels">Output channels (2 for ab).</param>
    /// <param name="numDowns">Downsamplings; the input side must be divisible by 2^numDowns.</param>
    /// <param name="ngf">Filters of the outermost layer (64 in pix2pix).</param>
    /// <param name="norm">Normalisation layer.</param>
    /// <param name="useDropout">Dropout 0.5 in the innermost 8·ngf blocks (pix2pix's only noise source).</param>
    /// <param name="generator">Random source of the initial weights.</param>
    public Pix2PixUnet(int inputChannels = 1, int outputChannels = 2, int numDowns = 8, int ngf = 64, NormKind norm = NormKind.Batch, bool useDropout = true, Generator? generator = null)
    {
        if (numDowns < 5)
        {
            throw new ArgumentOutOfRangeException(nameof(numDowns), "The pix2pix U-Net needs at least 5 downsamplings.");
        }

        (NumDowns, InputChannels, OutputChannels) = (numDowns, inputChannels, outputChannels);
        var dropoutGenerator = generator ?? Generator.Default;
        var block = new UnetSkipBlock(ngf * 8, ngf * 8, null, null, UnetBlockKind.Innermost, norm, false, dropoutGenerator);
        for (int i = 0; i < numDowns - 5; i++)
        {
            block = new UnetSkipBlock(ngf * 8, ngf * 8, null, block, UnetBlockKind.Middle, norm, useDropout, dropoutGenerator);
        }

        block = new UnetSkipBlock(ngf * 4, ngf * 8, null, block, UnetBlockKind.Middle, norm, false, dropoutGenerator);
        block = new UnetSkipBlock(ngf * 2, ngf * 4, null, block, UnetBlockKind.Middle, norm, false, dropoutGenerator);
        block = new UnetSkipBlock(ngf, ngf * 2, null, block, UnetBlockKind.Middle, norm, false, dropoutGenerator);
        _model = RegisterModule("model", new UnetSkipBlock(outputChannels, ngf, inputChannels, block, UnetBlockKind.Outermost, norm, false, dropoutGenerator));
        Pix2PixInit.Apply(this, generator);
    }

    /// <summary>Downsamplings (the input side must be a multiple of 2^NumDowns).</summary>
    public int NumDowns { get; }

    /// <summary>Input channels.</summary>
    public int InputChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutputChannels { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => _model.Call(input);
}

/// <summary>Position of a skip block in the U-Net.</summary>
internal enum UnetBlockKind
{
    Outermost,
    Middle,
    Innermost,
}

/// <summary>One level of the U-Net: down path, the inner levels, up path, and the skip concatenation.</summary>
internal sealed class UnetSkipBlock : Module<Tensor, Tensor>
{
    private readonly Sequential _model;
    private readonly bool _outermost;

    public UnetSkipBlock(int outerChannels, int innerChannels, int? inputChannels, UnetSkipBlock? submodule, UnetBlockKind kind, NormKind norm, bool useDropout, Generator dropoutGenerator)
    {
        bool useBias = norm == NormKind.Instance;
        int input = inputChannels ?? outerChannels;
        var downconv = new Conv2d(input, innerChannels, 4, stride: 2, padding: 1, bias: useBias);
        var layers = new List<Module<Tensor, Tensor>>();
        switch (kind)
        {
            case UnetBlockKind.Outermost:
                layers.Add(downconv);
                layers.Add(submodule!);
                layers.Add(new ReLU());
                layers.Add(new ConvTranspose2d(innerChannels * 2, outerChannels, 4, stride: 2, padding: 1));
                layers.Add(new Tanh());
                break;
            case UnetBlockKind.Innermost:
                layers.Add(new LeakyReLU(0.2f));
                layers.Add(downconv);
                layers.Add(new ReLU());
                layers.Add(new ConvTranspose2d(innerChannels, outerChannels, 4, stride: 2, padding: 1, bias: useBias));
                layers.Add(MakeNorm(norm, outerChannels));
                break;
            default:
                layers.Add(new LeakyReLU(0.2f));
                layers.Add(downconv);
                layers.Add(MakeNorm(norm, innerChannels));
                layers.Add(submodule!);
                layers.Add(new ReLU());
                layers.Add(new ConvTranspose2d(innerChannels * 2, outerChannels, 4, stride: 2, padding: 1, bias: useBias));
                layers.Add(MakeNorm(norm, outerChannels));
                if (useDropout)
                {
                    layers.Add(new Dropout(0.5f, dropoutGenerator));
                }

                break;
        }

        _outermost = kind == UnetBlockKind.Outermost;
        _model = RegisterModule("model", new Sequential([.. layers]));
    }

    public override Tensor Forward(Tensor input) =>
        _outermost ? _model.Call(input) : Tensor.Cat([input, _model.Call(input)], 1);

    internal static Module<Tensor, Tensor> MakeNorm(NormKind norm, int channels) =>
        norm == NormKind.Batch ? new BatchNorm2d(channels) : new InstanceNorm2d(channels);
}

/// <summary>pix2pix's <c>init_weights(net, 'normal', 0.02)</c>: conv weights N(0, 0.02), biases 0, BatchNorm γ ~ N(1, 0.02), β = 0.</summary>
internal static class Pix2PixInit
{
    public static void Apply(Module module, Generator? generator, float gain = 0.02f)
    {
        foreach (var (_, m) in module.NamedModules())
        {
            switch (m)
            {
                case Conv2d conv:
                    Init.Normal(conv.Weight, 0f, gain, generator);
                    if (conv.Bias is { } b)
                    {
                        Init.Constant(b, 0f);
                    }

                    break;
                case ConvTranspose2d convT:
                    Init.Normal(convT.Weight, 0f, gain, generator);
                    if (convT.Bias is { } bt)
                    {
                        Init.Constant(bt, 0f);
                    }

                    break;
                case BatchNorm2d bn when bn.Weight is not null:
                    Init.Normal(bn.Weight, 1f, gain, generator);
                    Init.Constant(bn.Bias!, 0f);
                    break;
            }
        }
    }
}
