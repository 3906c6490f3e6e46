using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Engine.Architectures;

/// <summary>Whether an architecture colorizes (generator) or judges (discriminator, used only in training).</summary>
public enum ArchitectureRole
{
    /// <summary>Maps L to ab; can be shipped in a pack.</summary>
    Generator,

    /// <summary>Scores L‖ab; used by the trainer.</summary>
    Discriminator,
}

/// <summary>A built network and what the pipeline needs to know about it.</summary>
/// <param name="Module">The network.</param>
/// <param name="Stride">Height and width of the input must be multiples of this.</param>
/// <param name="TakesHints">The input is L followed by the colour-hint planes a/110, b/110 and mask (the resnet-unet
/// hyperparameter <c>hints</c>); otherwise L alone.</param>
public sealed record BuiltArchitecture(Module<Tensor, Tensor> Module, int Stride, bool TakesHints = false);

/// <summary>An architecture the engine knows, by name and version, with a factory that reads its hyperparameters.</summary>
/// <param name="Info">Name, version and description.</param>
/// <param name="Role">Generator or discriminator.</param>
/// <param name="Factory">Builds the network from hyperparameters and a weight-initialisation generator.</param>
public sealed record ArchitectureDescriptor(ArchitectureInfo Info, ArchitectureRole Role, Func<Hyperparameters, Generator?, BuiltArchitecture> Factory);

/// <summary>
/// The architectures of the seeds, registered by name and version: <c>pix2pix-unet</c>, <c>unet-classic</c>,
/// <c>resnet-unet</c> (generators) and <c>patchgan</c>, <c>sagan-critic</c> (discriminators).
/// </summary>
public static class ArchitectureRegistry
{
    private static readonly string[] s_classHeadOnly = ["abBinSize", "annealTemperature"];

    private static readonly ArchitectureDescriptor[] s_all =
    [
        new(new ArchitectureInfo("pix2pix-unet", 1, "pix2pix U-Net (unet_256 family): numDowns, ngf, norm (batch|instance), dropout"), ArchitectureRole.Generator, (h, g) =>
        {
            int downs = h.Int("numDowns", 8, 5, 10);
            var net = new Pix2PixUnet(1, 2, downs, h.Int("ngf", 64, 4, 256), ParseNorm(h), h.Bool("dropout", true), g);
            return new BuiltArchitecture(net, 1 << downs);
        }),
        new(new ArchitectureInfo("unet-classic", 1, "classic U-Net of seed 002: width, depth"), ArchitectureRole.Generator, (h, g) =>
        {
            int depth = h.Int("depth", 4, 1, 6);
            return new BuiltArchitecture(new ClassicUnet(1, 2, h.Int("width", 64, 4, 256), depth, g), 1 << depth);
        }),
        new(new ArchitectureInfo("resnet-unet", 1, "ResNet18/34 U-Net with PixelShuffle_ICNR+blur: encoderDepth, layer4Blocks, imageNetInput, width, selfAttention, spectralNorm, hints, abHead (tanh|classes), abBinSize, annealTemperature, globalContext, globalContextGate"), ArchitectureRole.Generator, (h, g) =>
        {
            int depth = h.Int("encoderDepth", 34, 18, 34);
            if (depth is not (18 or 34))
            {
                throw new ModelPackException("Hyperparameter 'encoderDepth' must be 18 or 34.");
            }

            int layer4 = h.Int("layer4Blocks", depth == 18 ? 2 : 3, 1, 8);
            bool globalContext = h.Bool("globalContext", false), globalContextGate = h.Bool("globalContextGate", false);
            if (globalContextGate && !globalContext)
            {
                throw new ModelPackException("Hyperparameter 'globalContextGate' needs 'globalContext': true.");
            }

            var net = new ResNetUnet(depth, 1, 2, h.Float("width", 1f, 0.125f, 4f), h.Bool("selfAttention", true), h.Bool("spectralNorm", true), g, layer4, h.Bool("imageNetInput", false), h.Bool("hints", false), ParseAbHead(h), globalContext, globalContextGate);
            return new BuiltArchitecture(net, 32, net.TakesHints);
        }),
        new(new ArchitectureInfo("patchgan", 1, "pix2pix 70×70 PatchGAN on L‖ab: ndf, layers, norm (batch|instance)"), ArchitectureRole.Discriminator, (h, g) =>
            new BuiltArchitecture(new PatchGan(3, h.Int("ndf", 64, 4, 256), h.Int("layers", 3, 1, 6), ParseNorm(h), g), 1)),
        new(new ArchitectureInfo("sagan-critic", 1, "DeOldify critic with spectral norm and self-attention on L‖ab: nf, blocks, dropout"), ArchitectureRole.Discriminator, (h, g) =>
            new BuiltArchitecture(new SaganCritic(3, h.Int("nf", 64, 8, 512), h.Int("blocks", 3, 1, 5), h.Float("dropout", 0.15f, 0f, 0.9f), g), 1)),
    ];

    /// <summary>Every registered architecture.</summary>
    public static IReadOnlyList<ArchitectureDescriptor> All => s_all;

    /// <summary>Finds an architecture by name and version, or null.</summary>
    public static ArchitectureDescriptor? Find(string name, int version) =>
        Array.Find(s_all, d => d.Info.Name == name && d.Info.Version == version);

    /// <summary>Builds the network a manifest describes; throws <see cref="ModelPackException"/> for unknown names or bad hyperparameters.</summary>
    public static BuiltArchitecture Build(ArchitectureSpec spec, ArchitectureRole role, Generator? generator = null)
    {
        var descriptor = Find(spec.Name, spec.Version)
            ?? throw new ModelPackException($"Unknown architecture '{spec.Name}' version {spec.Version}; this engine knows {string.Join(", ", s_all.Select(a => $"{a.Info.Name} v{a.Info.Version}"))}.");
        if (descriptor.Role != role)
        {
            throw new ModelPackException($"Architecture '{spec.Name}' is a {descriptor.Role.ToString().ToLowerInvariant()}, not a {role.ToString().ToLowerInvariant()}.");
        }

        var hyper = new Hyperparameters(spec.Hyperparameters);
        var built = descriptor.Factory(hyper, generator);
        hyper.RejectUnknown(spec.Name);
        return built;
    }

    /// <summary>
    /// resnet-unet's <c>abHead</c>: "tanh" (null) or "classes" with <c>abBinSize</c> (default 10) and
    /// <c>annealTemperature</c> (default 0.38); the latter two are refused with the tanh head, which would ignore them.
    /// </summary>
    private static AbClassHead? ParseAbHead(Hyperparameters h)
    {
        if (h.Choice("abHead", "tanh", "tanh", "classes") == "tanh")
        {
            var stray = s_classHeadOnly.Where(h.Contains).ToList();
            if (stray.Count > 0)
            {
                throw new ModelPackException($"Hyperparameter {string.Join(" and ", stray.Select(s => $"'{s}'"))} applies only with abHead \"classes\".");
            }

            return null;
        }

        // Bins of 5 already give about a thousand classes (a 1×1 conv of that many outputs at full resolution); of
        // more than 55 at most a handful.
        return new AbClassHead(h.Int("abBinSize", 10, 5, 55), h.Float("annealTemperature", 0.38f, 0.01f, 10f));
    }

    private static NormKind ParseNorm(Hyperparameters h) => h.Choice("norm", "batch", "batch", "instance") == "batch" ? NormKind.Batch : NormKind.Instance;
}
