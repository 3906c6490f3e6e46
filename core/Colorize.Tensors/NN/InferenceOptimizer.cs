namespace Colorize.Tensors.NN;

/// <summary>
/// Rewrites a trained model for inference: every BatchNorm2d that directly follows a Conv2d or ConvTranspose2d in a
/// <see cref="Sequential"/> is folded into that convolution's weight and bias, removing a full pass over the
/// activations per layer. The model must be in eval mode; the result computes the same function (to rounding)
/// but its state-dict keys differ, so save the original, not the folded copy.
/// </summary>
public static class InferenceOptimizer
{
    /// <summary>Folds BatchNorm layers into the preceding convolutions; returns how many were folded.</summary>
    public static int FoldBatchNorm(Module model)
    {
        if (model.NamedModules().Any(m => m.Module.Training))
        {
            throw new InvalidOperationException("Call Eval() before folding BatchNorm: training mode uses batch statistics.");
        }

        int folded = 0;
        foreach (var (_, module) in model.NamedModules().ToList())
        {
            if (module is not Sequential seq)
            {
                continue;
            }

            for (int i = 0; i + 1 < seq.Count; i++)
            {
                if (seq[i + 1] is not BatchNorm2d { TrackRunningStats: true } bn || seq[i].HasPreHooks)
                {
                    continue;
                }

                Module<Tensor, Tensor>? fused = seq[i] switch
                {
                    Conv2d conv when conv.OutChannels == bn.NumFeatures => FoldConv(conv, bn),
                    ConvTranspose2d convT when convT.OutChannels == bn.NumFeatures => FoldConvTranspose(convT, bn),
                    _ => null,
                };
                if (fused is null)
                {
                    continue;
                }

                seq.Replace(i, fused);
                seq.Replace(i + 1, new Identity());
                folded++;
            }
        }

        return folded;
    }

    private static (float[] Scale, float[] Shift) Affine(BatchNorm2d bn)
    {
        int c = bn.NumFeatures;
        var scale = new float[c];
        var shift = new float[c];
        var mean = bn.RunningMean!.Data;
        var variance = bn.RunningVar!.Data;
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

    private static Conv2d FoldConv(Conv2d conv, BatchNorm2d bn)
    {
        var (scale, shift) = Affine(bn);
        var w = conv.Weight;
        var fused = new Conv2d(conv.InChannels, conv.OutChannels, (w.Shape[2], w.Shape[3]), conv.Stride, conv.Padding, conv.Dilation, conv.Groups, bias: true);
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

    private static ConvTranspose2d FoldConvTranspose(ConvTranspose2d conv, BatchNorm2d bn)
    {
        var (scale, shift) = Affine(bn);
        var w = conv.Weight;
        var fused = new ConvTranspose2d(conv.InChannels, conv.OutChannels, w.Shape[2], conv.Stride, conv.Padding, conv.OutputPadding, conv.Groups, bias: true, conv.Dilation);
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
}
