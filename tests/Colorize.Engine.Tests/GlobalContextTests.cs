using System.Text.Json;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Tensors;

namespace Colorize.Engine.Tests;

/// <summary>
/// The resnet-unet global-context block (<c>globalContext</c>, issue 14): its second convolution starts at zero, so a
/// network given the block computes exactly what the network without it computes with the same weights, and a trained
/// pack can be fine-tuned into it. Its parity with PyTorch, with non-zero weights, is in the golden tests
/// (<c>resnet_unet18_global</c>).
/// </summary>
public sealed class GlobalContextTests
{
    /// <summary>A small ImageNet-input resnet-unet18 ([2,2,2,3]), with the block (plain or <paramref name="gate"/>d) or without.</summary>
    internal static BuiltArchitecture Build(bool globalContext, ulong seed, bool gate = false) =>
        ArchitectureRegistry.Build(
            new ArchitectureSpec
            {
                Name = "resnet-unet",
                Version = 1,
                Hyperparameters = new Dictionary<string, JsonElement>
                {
                    ["encoderDepth"] = JsonSerializer.SerializeToElement(18),
                    ["layer4Blocks"] = JsonSerializer.SerializeToElement(3),
                    ["imageNetInput"] = JsonSerializer.SerializeToElement(true),
                    ["width"] = JsonSerializer.SerializeToElement(0.25),
                    ["globalContext"] = JsonSerializer.SerializeToElement(globalContext),
                    ["globalContextGate"] = JsonSerializer.SerializeToElement(gate),
                },
            },
            ArchitectureRole.Generator,
            new Generator(seed));

    [Fact]
    public void ZeroInitialisedBlock_GivesTheNetworkWithoutItsOutput_BitForBit()
    {
        var plain = Build(globalContext: false, seed: 11);
        var global = Build(globalContext: true, seed: 12);
        Assert.True(((ResNetUnet)global.Module).HasGlobalContext);
        Assert.False(((ResNetUnet)plain.Module).HasGlobalContext);

        var load = global.Module.LoadStateDict(plain.Module.StateDict(), strict: false);
        Assert.Empty(load.UnexpectedKeys);
        Assert.Equal(
            ["global_context.expand.bias", "global_context.expand.weight", "global_context.reduce.bias", "global_context.reduce.weight"],
            load.MissingKeys.Order(StringComparer.Ordinal));

        var l = Tensor.Rand(new Generator(5), -1f, 1f, 2, 1, 64, 96);
        SameOutput.InBothModes(plain.Module, l, global.Module, l, "the output differs from the network's without the block.");
    }

    [Fact]
    public void ZeroInitialisedBlock_LearnsFromTheFirstStep()
    {
        var global = Build(globalContext: true, seed: 3).Module;
        global.Train();
        var weights = new Generator(9);
        var output = global.Call(Tensor.Rand(new Generator(4), -1f, 1f, 2, 1, 64, 64));
        (output * Tensor.Rand(weights, -1f, 1f, output.GetShape())).Sum().Backward();

        var parameters = global.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        // The zero convolution's gradient is the ReLU'd reduced context times the upstream gradient: not zero, so the
        // block leaves zero at the first optimiser step (the first convolution's gradient waits for that step).
        Assert.Contains(parameters["global_context.expand.weight"].Grad!.ToArray(), g => g != 0f);
        Assert.Contains(parameters["global_context.expand.bias"].Grad!.ToArray(), g => g != 0f);
    }
}
