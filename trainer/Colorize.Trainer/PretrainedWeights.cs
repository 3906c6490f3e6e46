using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Onnx;
using Colorize.Onnx.Import;
using Colorize.Tensors;
using Colorize.Tensors.NN;

namespace Colorize.Trainer;

/// <summary>Pretrained weights the trainer can start from; they come with the trainer's build, nothing downloads.</summary>
internal static class PretrainedWeights
{
    /// <summary>ML.NET's ImageNet ResNet18 (NuGet <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>, MIT): blocks [2, 2, 2, 3].</summary>
    public const string ResNet18ImageNet = "resnet18-imagenet";

    public const string GeneratorRequirement =
        "pretrainedEncoder needs the resnet-unet generator with encoderDepth 18, layer4Blocks 3 and imageNetInput true (the layout and input of the ImageNet ResNet18).";

    private static IReadOnlyDictionary<string, Tensor>? s_resNet18;

    /// <summary>Whether <paramref name="generator"/> has the encoder layout and input the ImageNet weights need.</summary>
    public static bool FitsGenerator(ArchitectureSpec generator)
    {
        var h = generator.Hyperparameters;
        return generator.Name == "resnet-unet"
            && h is not null
            && h.TryGetValue("encoderDepth", out var depth) && depth.TryGetInt32(out int d) && d == 18
            && h.TryGetValue("layer4Blocks", out var l4) && l4.TryGetInt32(out int b) && b == 3
            && h.TryGetValue("imageNetInput", out var input) && input.ValueKind == System.Text.Json.JsonValueKind.True;
    }

    /// <summary>The ResNet18's state dict in <see cref="ResNetEncoder"/> keys (read once per process).</summary>
    public static IReadOnlyDictionary<string, Tensor> LoadResNet18()
    {
        if (s_resNet18 is null)
        {
            try
            {
                s_resNet18 = ImageNetResNet18.LoadStateDict(ImageNetResNet18.DefaultPath);
            }
            catch (Exception e) when (e is OnnxFormatException or IOException or UnauthorizedAccessException)
            {
                throw new TrainerException($"Cannot read the ImageNet ResNet18: {e.Message}", e);
            }
        }

        return s_resNet18;
    }

    /// <summary>Copies the ImageNet ResNet18 into the generator's <c>encoder.*</c> weights; every encoder weight must be covered.</summary>
    public static void LoadInto(Module generator)
    {
        var weights = LoadResNet18().ToDictionary(kv => "encoder." + kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var result = generator.LoadStateDict(weights, strict: false);
        // num_batches_tracked counts are not in an ONNX file and do not affect a BatchNorm with a momentum.
        var missing = result.MissingKeys.Where(k => k.StartsWith("encoder.", StringComparison.Ordinal) && !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal)).ToList();
        if (missing.Count > 0 || result.UnexpectedKeys.Count > 0)
        {
            throw new TrainerException($"The ImageNet ResNet18 does not fit the generator's encoder: missing {string.Join(", ", missing.Take(5))}; unexpected {string.Join(", ", result.UnexpectedKeys.Take(5))}.");
        }
    }

    /// <summary>Whether a parameter name belongs to the generator's encoder.</summary>
    public static bool IsEncoderParameter(string name) => name.StartsWith("encoder.", StringComparison.Ordinal);
}

/// <summary>The frozen ResNet18 of <see cref="FeatureLossConfig"/>: eval mode, no parameter gradients.</summary>
internal sealed class FeatureLoss
{
    private readonly ResNetEncoder _net;
    private readonly float[] _stageWeights;

    public FeatureLoss(FeatureLossConfig config)
    {
        Config = config;
        _stageWeights = [.. config.StageWeights];
        _net = new ResNetEncoder(18, 3, generator: null, layer4Blocks: 3);
        var result = _net.LoadStateDict(PretrainedWeights.LoadResNet18(), strict: false);
        if (result.MissingKeys.Any(k => !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal)) || result.UnexpectedKeys.Count > 0)
        {
            throw new TrainerException("The ImageNet ResNet18 does not fit the feature-loss network.");
        }

        _net.Eval();
        foreach (var p in _net.Parameters())
        {
            p.RequiresGrad = false;
        }
    }

    public FeatureLossConfig Config { get; }

    /// <summary>
    /// Σ stageWeight · mean |φ(pred) − φ(truth)| over the configured stages, where φ sees L with the predicted or the
    /// true ab as an sRGB photo. Gradients flow to <paramref name="predAb"/> only.
    /// </summary>
    public Tensor Compute(Tensor l, Tensor predAb, Tensor trueAb)
    {
        int stages = _stageWeights.Length;
        Tensor[] target;
        using (Tensor.NoGrad())
        {
            target = _net.Features(ImageNetInput.FromSrgb(ImageNetInput.LabToSrgb(l, trueAb)), stages);
        }

        var predicted = _net.Features(ImageNetInput.FromSrgb(ImageNetInput.LabToSrgb(l.Detach(), predAb)), stages);
        Tensor? sum = null;
        for (int i = 0; i < stages; i++)
        {
            if (_stageWeights[i] == 0)
            {
                continue;
            }

            var term = Losses.L1(predicted[i], target[i]).Mul(_stageWeights[i]);
            sum = sum is null ? term : sum + term;
        }

        return sum!;
    }
}
