namespace Colorize.Tensors.NN;

/// <summary>
/// Rewrites a trained model for inference (<see cref="Optimize"/>): spectral norm's weights computed once instead of
/// before every forward, then every BatchNorm2d that directly follows a Conv2d or ConvTranspose2d folded into that
/// convolution's weight and bias, removing a full pass over the activations per layer. The pairs are found in
/// <see cref="Sequential"/> containers and, for modules that hold them as fields, through
/// <see cref="IBatchNormFoldable"/>. The model must be in eval mode; the result computes the same function (to
/// rounding) but its state-dict keys differ, so save the original, not the optimised copy.
/// </summary>
public static class InferenceOptimizer
{
    /// <summary>
    /// Everything this class does, in the order that lets the most apply: <see cref="MaterializeSpectralNorm"/>
    /// (a spectral-normalised convolution followed by BatchNorm can then be folded), then <see cref="FoldBatchNorm"/>
    /// (the BatchNorm between a convolution and its ReLU becomes an identity), then <see cref="FuseReLU"/>.
    /// </summary>
    /// <param name="model">A model in eval mode.</param>
    /// <returns>How many spectral norms were materialised, BatchNorm layers folded and ReLUs fused.</returns>
    /// <exception cref="InvalidOperationException">A module is in training mode.</exception>
    public static InferenceOptimization Optimize(Module model)
    {
        int spectralNorms = MaterializeSpectralNorm(model);
        int batchNorms = FoldBatchNorm(model);
        return new InferenceOptimization(spectralNorms, batchNorms, FuseReLU(model));
    }

    /// <summary>
    /// Moves every <see cref="ReLU"/> that follows a <see cref="Conv2d"/> in a <see cref="Sequential"/> (with only
    /// identities between them, such as folded BatchNorms) into the convolution (<see cref="Conv2d.AppliesReLU"/>), so
    /// that without autograd it is applied as the convolution writes its output instead of in a pass of its own over
    /// a new tensor. The outputs are bit-identical; under autograd the layer records the same two ops as before.
    /// </summary>
    /// <returns>How many ReLUs were fused.</returns>
    /// <exception cref="InvalidOperationException">A module is in training mode.</exception>
    public static int FuseReLU(Module model)
    {
        RequireEval(model, "fusing ReLUs", "the optimised model is meant for inference only");
        int fused = 0;
        foreach (var (_, module) in model.NamedModules().ToList())
        {
            if (module is not Sequential seq)
            {
                continue;
            }

            for (int i = 0; i < seq.Count; i++)
            {
                if (seq[i] is not Conv2d { AppliesReLU: false } conv)
                {
                    continue;
                }

                int next = i + 1;
                while (next < seq.Count && seq[next] is Identity)
                {
                    next++;
                }

                if (next < seq.Count && seq[next] is ReLU)
                {
                    conv.AppliesReLU = true;
                    seq.Replace(next, Eval(new Identity()));
                    fused++;
                }
            }
        }

        return fused;
    }

    /// <summary>
    /// Replaces every spectral norm in the model by the weight an eval-mode forward computes (<see cref="SpectralNorm.Remove"/>):
    /// in eval mode u, v and <c>weight_orig</c> never change, so the division by σ need not run before every forward.
    /// The outputs are bit-identical.
    /// </summary>
    /// <returns>How many spectral norms were removed.</returns>
    /// <exception cref="InvalidOperationException">A module is in training mode, where the power iteration updates u and v on every forward.</exception>
    public static int MaterializeSpectralNorm(Module model)
    {
        RequireEval(model, "materialising spectral norm", "training mode runs a power iteration on every forward");
        int removed = 0;
        foreach (var (_, module) in model.NamedModules().ToList())
        {
            foreach (string name in SpectralNorm.NormalizedParameters(module))
            {
                SpectralNorm.Remove(module, name);
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Folds BatchNorm layers into the preceding convolutions; returns how many were folded.</summary>
    /// <exception cref="InvalidOperationException">A module is in training mode.</exception>
    public static int FoldBatchNorm(Module model)
    {
        RequireEval(model, "folding BatchNorm", "training mode uses batch statistics");
        int folded = 0;
        foreach (var (_, module) in model.NamedModules().ToList())
        {
            if (module is IBatchNormFoldable foldable)
            {
                folded += foldable.FoldBatchNorm();
            }

            if (module is not Sequential seq)
            {
                continue;
            }

            for (int i = 0; i + 1 < seq.Count; i++)
            {
                if (seq[i + 1] is not BatchNorm2d bn)
                {
                    continue;
                }

                Module<Tensor, Tensor>? fused = seq[i] switch
                {
                    Conv2d conv => TryFold(conv, bn),
                    ConvTranspose2d convT => TryFold(convT, bn),
                    _ => null,
                };
                if (fused is null)
                {
                    continue;
                }

                seq.Replace(i, fused);
                // In eval mode like the rest of the model, so that optimising again is not refused.
                seq.Replace(i + 1, Eval(new Identity()));
                folded++;
            }
        }

        return folded;
    }

    /// <summary>
    /// The convolution that computes <c>bn(conv(x))</c> of an eval-mode pair, or null when the pair cannot be folded
    /// (BatchNorm without running statistics, channel counts that differ, or a convolution whose weight a pre-hook
    /// such as spectral norm recomputes). For <see cref="IBatchNormFoldable"/> implementations.
    /// </summary>
    /// <exception cref="InvalidOperationException">Either module is in training mode.</exception>
    public static Conv2d? TryFold(Conv2d conv, BatchNorm2d bn)
    {
        if (!CanFold(conv, bn, conv.OutChannels))
        {
            return null;
        }

        var (scale, shift) = BatchNormAffine(bn);
        var w = conv.Weight;
        // Every weight and bias is overwritten below: built with the loading generator, so nothing is drawn for them.
        var fused = Eval(new Conv2d(conv.InChannels, conv.OutChannels, (w.Shape[2], w.Shape[3]), conv.Stride, conv.Padding, conv.Dilation, conv.Groups, bias: true, Generator.ForLoading()));
        int perOut = w.Count / conv.OutChannels;
        var src = w.Data;
        var dst = fused.Weight.Data;
        var bias = fused.Bias!.Data;
        for (int o = 0; o < conv.OutChannels; o++)
        {
            for (int j = 0; j < perOut; j++)
            {
                dst[(o * perOut) + j] = src[(o * perOut) + j] * scale[o];
            }

            bias[o] = ((conv.Bias?.Data[o] ?? 0f) * scale[o]) + shift[o];
        }

        return fused;
    }

    /// <summary>The transposed convolution that computes <c>bn(conv(x))</c>, or null when the pair cannot be folded.</summary>
    /// <exception cref="InvalidOperationException">Either module is in training mode.</exception>
    public static ConvTranspose2d? TryFold(ConvTranspose2d conv, BatchNorm2d bn)
    {
        if (!CanFold(conv, bn, conv.OutChannels))
        {
            return null;
        }

        var (scale, shift) = BatchNormAffine(bn);
        var w = conv.Weight;
        var fused = Eval(new ConvTranspose2d(conv.InChannels, conv.OutChannels, w.Shape[2], conv.Stride, conv.Padding, conv.OutputPadding, conv.Groups, bias: true, conv.Dilation, Generator.ForLoading()));
        int outPerGroup = w.Shape[1], kernel = w.Shape[2] * w.Shape[3];
        int inPerGroup = conv.InChannels / conv.Groups;
        var src = w.Data;
        var dst = fused.Weight.Data;
        for (int ci = 0; ci < conv.InChannels; ci++)
        {
            int group = ci / inPerGroup;
            for (int j = 0; j < outPerGroup; j++)
            {
                int o = (group * outPerGroup) + j;
                int off = ((ci * outPerGroup) + j) * kernel;
                for (int k = 0; k < kernel; k++)
                {
                    dst[off + k] = src[off + k] * scale[o];
                }
            }
        }

        var bias = fused.Bias!.Data;
        for (int o = 0; o < conv.OutChannels; o++)
        {
            bias[o] = ((conv.Bias?.Data[o] ?? 0f) * scale[o]) + shift[o];
        }

        return fused;
    }

    /// <summary>
    /// An eval-mode BatchNorm as y = x·scale + shift per channel, computed in double and rounded once: what the folded
    /// convolutions carry, and what a value added to a folded convolution's output before the BatchNorm must be scaled by.
    /// </summary>
    /// <exception cref="ArgumentException">The layer keeps no running statistics.</exception>
    public static (float[] Scale, float[] Shift) BatchNormAffine(BatchNorm2d bn)
    {
        if (bn.RunningMean is not { } runningMean || bn.RunningVar is not { } runningVar)
        {
            throw new ArgumentException("A BatchNorm2d without running statistics normalises by its input's statistics: it is not an affine map.", nameof(bn));
        }

        int c = bn.NumFeatures;
        var scale = new float[c];
        var shift = new float[c];
        var mean = runningMean.Data;
        var variance = runningVar.Data;
        for (int i = 0; i < c; i++)
        {
            double inv = 1.0 / Math.Sqrt(variance[i] + (double)bn.Eps);
            double gamma = bn.Weight?.Data[i] ?? 1f;
            double beta = bn.Bias?.Data[i] ?? 0f;
            scale[i] = (float)(gamma * inv);
            shift[i] = (float)(beta - (mean[i] * gamma * inv));
        }

        return (scale, shift);
    }

    private static bool CanFold(Module conv, BatchNorm2d bn, int convOutChannels)
    {
        if (conv.Training || bn.Training)
        {
            throw new InvalidOperationException("Call Eval() before folding BatchNorm: training mode uses batch statistics.");
        }

        return bn.TrackRunningStats && bn.RunningMean is not null && convOutChannels == bn.NumFeatures && !conv.HasPreHooks;
    }

    /// <summary>A module made to replace part of an eval-mode model, in eval mode itself.</summary>
    private static T Eval<T>(T module)
        where T : Module
    {
        module.Eval();
        return module;
    }

    private static void RequireEval(Module model, string what, string why)
    {
        if (model.NamedModules().Any(m => m.Module.Training))
        {
            throw new InvalidOperationException($"Call Eval() before {what}: {why}.");
        }
    }
}

/// <summary>What <see cref="InferenceOptimizer.Optimize"/> changed.</summary>
/// <param name="SpectralNorms">Spectral norms replaced by their eval-mode weight.</param>
/// <param name="BatchNorms">BatchNorm layers folded into convolutions.</param>
/// <param name="ReLUs">ReLU layers fused into the convolution before them.</param>
public readonly record struct InferenceOptimization(int SpectralNorms, int BatchNorms, int ReLUs = 0);

/// <summary>
/// A module that applies BatchNorm to a convolution's output through its own fields rather than a
/// <see cref="Sequential"/> (a ResNet's residual block or stem), so <see cref="InferenceOptimizer.FoldBatchNorm"/>
/// cannot see the pairs: it asks the module to fold them itself, usually with <see cref="InferenceOptimizer.TryFold(Conv2d, BatchNorm2d)"/>.
/// </summary>
public interface IBatchNormFoldable
{
    /// <summary>
    /// Replaces each of this module's own convolution → BatchNorm pairs (not its children's: the optimiser visits
    /// those) by the folded convolution, so the forward computes the same function; called in eval mode only.
    /// </summary>
    /// <returns>How many BatchNorm layers were folded; 0 when called again.</returns>
    int FoldBatchNorm();
}
