using System.Runtime.Intrinsics;
using Colorize.Tensors.Autograd;
using Colorize.Tensors.Ops;

namespace Colorize.Tensors.NN;

public static partial class Functional
{
    /// <summary>
    /// Batch normalisation over every dimension but 1, like <c>F.batch_norm</c>. In training the batch statistics
    /// are used and the running statistics updated in place (mean and unbiased variance, with <paramref name="momentum"/>).
    /// </summary>
    /// <param name="input">Input [N, C, ...].</param>
    /// <param name="runningMean">Running mean [C], or null.</param>
    /// <param name="runningVar">Running variance [C], or null.</param>
    /// <param name="weight">Optional scale γ [C].</param>
    /// <param name="bias">Optional shift β [C].</param>
    /// <param name="training">Use batch statistics (and update the running ones).</param>
    /// <param name="momentum">Running-statistics update factor.</param>
    /// <param name="eps">Added to the variance for stability.</param>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, float momentum = 0.1f, float eps = 1e-5f)
    {
        if (input.Rank < 2)
        {
            throw new ArgumentException($"BatchNorm needs an input of rank 2 or more, got {ShapeUtil.Format(input.Shape)}.");
        }

        int c = input.Shape[1];
        Tensor normalized;
        if (training)
        {
            int perChannel = input.Count / Math.Max(1, c);
            if (perChannel <= 1)
            {
                throw new ArgumentException($"BatchNorm in training needs more than one value per channel, got input {ShapeUtil.Format(input.Shape)}.");
            }

            bool fused = weight is not null && bias is not null && weight.Rank == 1 && bias.Rank == 1 && weight.Count == c && bias.Count == c;
            double[] mean, biasedVar;
            if (fused)
            {
                // Normalisation and affine in one op: two passes fewer over the activation forward, four backward.
                normalized = NormalizeOp.ApplyAffine(input, weight!, bias!, eps, out mean, out biasedVar);
            }
            else
            {
                normalized = NormalizeOp.Apply(input, eps, out mean, out biasedVar);
            }

            if (runningMean is not null && runningVar is not null)
            {
                float unbias = perChannel / (float)(perChannel - 1);
                var rm = runningMean.Data;
                var rv = runningVar.Data;
                for (int i = 0; i < c; i++)
                {
                    rm[i] = ((1 - momentum) * rm[i]) + (momentum * (float)mean[i]);
                    rv[i] = ((1 - momentum) * rv[i]) + (momentum * (float)biasedVar[i] * unbias);
                }
            }
        }
        else
        {
            if (runningMean is null || runningVar is null)
            {
                throw new ArgumentException("BatchNorm in eval mode needs running statistics.");
            }

            // Grad mode first: a module's γ and β always require grad, and under NoGrad (inference) nothing is
            // recorded, so the fused pass applies; testing the parameters alone sent inference down the slow path.
            bool record = GradMode.IsEnabled && (input.RequiresGrad || (weight?.RequiresGrad ?? false) || (bias?.RequiresGrad ?? false));
            if (!record)
            {
                // Inference: one fused pass y = x·γ/√(var+ε) + (β − mean·γ/√(var+ε)).
                var scale = new float[c];
                var shift = new float[c];
                for (int i = 0; i < c; i++)
                {
                    float inv = 1f / MathF.Sqrt(runningVar.Data[i] + eps);
                    float gamma = weight?.Data[i] ?? 1f;
                    scale[i] = gamma * inv;
                    shift[i] = (bias?.Data[i] ?? 0f) - (runningMean.Data[i] * gamma * inv);
                }

                return ActivationKernels.ChannelAffine(input, scale, shift);
            }

            var shape = ChannelShape(input.Rank, c);
            normalized = (input - runningMean.Detach().Reshape(shape)) * (runningVar.Detach() + eps).Sqrt().Pow(-1f).Reshape(shape);
        }

        return training && weight is not null && bias is not null && weight.Rank == 1 && bias.Rank == 1 && weight.Count == c && bias.Count == c
            ? normalized
            : Affine(normalized, weight, bias);
    }

    /// <summary>
    /// Instance normalisation: every (sample, channel) plane normalised on its own, like <c>F.instance_norm</c>
    /// without running statistics; the affine parameters are optional.
    /// </summary>
    /// <param name="input">Input [N, C, ...].</param>
    /// <param name="weight">Optional scale γ [C].</param>
    /// <param name="bias">Optional shift β [C].</param>
    /// <param name="eps">Added to the variance for stability.</param>
    public static Tensor InstanceNorm(Tensor input, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        if (input.Rank < 3)
        {
            throw new ArgumentException($"InstanceNorm needs an input of rank 3 or more, got {ShapeUtil.Format(input.Shape)}.");
        }

        var shape = input.GetShape();
        int n = shape[0], c = shape[1];
        // PyTorch does the same: view as one batch of N·C channels and batch-normalise.
        var folded = input.Reshape(1, n * c, -1);
        var normalized = NormalizeOp.Apply(folded, eps, out _, out _).Reshape(shape);
        return Affine(normalized, weight, bias);
    }

    private static Tensor Affine(Tensor x, Tensor? weight, Tensor? bias)
    {
        var shape = ChannelShape(x.Rank, x.Shape[1]);
        if (weight is not null)
        {
            x *= weight.Reshape(shape);
        }

        if (bias is not null)
        {
            x += bias.Reshape(shape);
        }

        return x;
    }

    private static int[] ChannelShape(int rank, int channels)
    {
        var shape = new int[rank];
        Array.Fill(shape, 1);
        shape[1] = channels;
        return shape;
    }
}

/// <summary>
/// (x − mean) / √(var + eps) per channel of an [N, C, ...] tensor, with biased variance. The forward and the
/// usual backward are fused kernels; under <c>createGraph</c> the backward is rebuilt from differentiable ops so
/// second derivatives are exact.
/// </summary>
internal static class NormalizeOp
{
    public static Tensor Apply(Tensor x, float eps, out double[] mean, out double[] variance)
    {
        int n = x.Shape[0], c = x.Shape[1];
        int s = x.Count / Math.Max(1, n * c);
        var m = new double[c];
        var v = new double[c];
        var invStd = new float[c];
        var y = Tensor.Empty(x.ShapeArray);
        var (xd, yd) = (x.Storage, y.Storage);
        Parallelism.For(c, 1, (c0, c1) =>
        {
            for (int ch = c0; ch < c1; ch++)
            {
                float inv = ChannelStatistics(xd, n, c, s, ch, eps, m, v, invStd);
                float muF = (float)m[ch];
                for (int b = 0; b < n; b++)
                {
                    int off = ((b * c) + ch) * s;
                    NormalizeKernels.SubtractMultiply(xd.AsSpan(off, s), muF, inv, yd.AsSpan(off, s));
                }
            }
        });

        mean = m;
        variance = v;
        if (GradMode.ShouldRecord(x))
        {
            Node.Record(y, "NativeBatchNormBackward0", [x], (g, _) => [GradMode.IsEnabled ? DifferentiableBackward(x, g, eps) : FastBackward(g, y, invStd, n, c, s)]);
        }

        return y;
    }

    /// <summary>
    /// Mean, biased variance and 1/√(var + eps) of channel <paramref name="ch"/> over all images, summed in double
    /// image by image; stored at <paramref name="ch"/> in the three arrays. Returns the inverse standard deviation.
    /// </summary>
    private static float ChannelStatistics(float[] xd, int n, int c, int s, int ch, float eps, double[] mean, double[] variance, float[] invStd)
    {
        double sum = 0;
        for (int b = 0; b < n; b++)
        {
            sum += NormalizeKernels.Sum(xd.AsSpan(((b * c) + ch) * s, s));
        }

        double mu = sum / ((double)n * s);
        double sq = 0;
        for (int b = 0; b < n; b++)
        {
            sq += NormalizeKernels.SumSquaredDeviations(xd.AsSpan(((b * c) + ch) * s, s), mu);
        }

        double var = sq / ((double)n * s);
        mean[ch] = mu;
        variance[ch] = var;
        float inv = (float)(1.0 / Math.Sqrt(var + eps));
        invStd[ch] = inv;
        return inv;
    }

    /// <summary>
    /// y = x̂ · γ + β with x̂ = (x − mean) / √(var + eps) per channel, in one pass: BatchNorm's normalisation and
    /// affine, which as separate ops cost two more passes (and tensors) over the activation forward and the mul/add
    /// backward four more (γ·g, g·x̂ and two channel sums) for every BatchNorm of the U-Nets and ResNets.
    /// </summary>
    /// <remarks>
    /// The forward does the separate ops' float operations in their order ((x − mean) · invstd, then · γ, then + β),
    /// so y has the same bits. The backward recomputes x̂ from x instead of keeping it; dx has the bits of the
    /// separate ops (the same products g·γ summed in the same order); dγ and dβ are summed per channel in double
    /// (images in order), which differs from the separate ops' channel sums only in rounding. Under
    /// <c>createGraph</c> the backward is built from differentiable ops.
    /// </remarks>
    public static Tensor ApplyAffine(Tensor x, Tensor weight, Tensor bias, float eps, out double[] mean, out double[] variance)
    {
        int n = x.Shape[0], c = x.Shape[1];
        int s = x.Count / Math.Max(1, n * c);
        var m = new double[c];
        var v = new double[c];
        var invStd = new float[c];
        var means = new float[c];
        var y = Tensor.Empty(x.ShapeArray);
        var (xd, yd, wd, bd) = (x.Storage, y.Storage, weight.Storage, bias.Storage);
        Parallelism.For(c, 1, (c0, c1) =>
        {
            for (int ch = c0; ch < c1; ch++)
            {
                float inv = ChannelStatistics(xd, n, c, s, ch, eps, m, v, invStd);
                means[ch] = (float)m[ch];
                for (int b = 0; b < n; b++)
                {
                    int off = ((b * c) + ch) * s;
                    NormalizeKernels.SubtractMultiplyAffine(xd.AsSpan(off, s), means[ch], inv, wd[ch], bd[ch], yd.AsSpan(off, s));
                }
            }
        });

        mean = m;
        variance = v;
        if (GradMode.ShouldRecord([x, weight, bias]))
        {
            Node.Record(y, "NativeBatchNormBackward0", [x, weight, bias], (g, need) => GradMode.IsEnabled
                ? DifferentiableAffineBackward(x, weight, g, eps, need)
                : FastAffineBackward(g, x, weight, means, invStd, n, c, s, need));
        }

        return y;
    }

    /// <summary>dγ = Σ g·x̂, dβ = Σ g, and dx as <see cref="FastBackward"/> of g·γ, with x̂ recomputed from x.</summary>
    private static Tensor?[] FastAffineBackward(Tensor g, Tensor x, Tensor weight, float[] means, float[] invStd, int n, int c, int s, bool[] need)
    {
        var dx = need[0] ? Tensor.Empty(g.ShapeArray) : null;
        var dw = new float[c];
        var db = new float[c];
        var (gd, xd, wd) = (g.Storage, x.Storage, weight.Storage);
        float[]? dd = dx?.Storage;
        Parallelism.For(c, 1, (c0, c1) =>
        {
            // One plane of x̂ and g·γ at a time, reused for the sums and for dx.
            var xhat = new float[s];
            var gGamma = new float[s];
            for (int ch = c0; ch < c1; ch++)
            {
                double sg = 0, sgh = 0, sumG = 0, sumGh = 0;
                float gamma = wd[ch], inv = invStd[ch];
                for (int b = 0; b < n; b++)
                {
                    int off = ((b * c) + ch) * s;
                    NormalizeKernels.SubtractMultiply(xd.AsSpan(off, s), means[ch], inv, xhat);
                    var (plainG, plainGh) = NormalizeKernels.SumAndDot(gd.AsSpan(off, s), xhat);
                    sumG += plainG;
                    sumGh += plainGh;
                    if (dd is not null)
                    {
                        System.Numerics.Tensors.TensorPrimitives.Multiply(gd.AsSpan(off, s), gamma, gGamma);
                        var (scaledG, scaledGh) = NormalizeKernels.SumAndDot(gGamma, xhat);
                        sg += scaledG;
                        sgh += scaledGh;
                    }
                }

                db[ch] = (float)sumG;
                dw[ch] = (float)sumGh;
                if (dd is null)
                {
                    continue;
                }

                double count = (double)n * s;
                float meanG = (float)(sg / count), meanGh = (float)(sgh / count);
                for (int b = 0; b < n; b++)
                {
                    int off = ((b * c) + ch) * s;
                    NormalizeKernels.SubtractMultiply(xd.AsSpan(off, s), means[ch], inv, xhat);
                    System.Numerics.Tensors.TensorPrimitives.Multiply(gd.AsSpan(off, s), gamma, gGamma);
                    NormalizeKernels.NormalizeBackward(gGamma, xhat, meanG, meanGh, inv, dd.AsSpan(off, s));
                }
            }
        });

        return [dx, need[1] ? Tensor.Wrap(dw, c) : null, need[2] ? Tensor.Wrap(db, c) : null];
    }

    /// <summary>The affine BatchNorm backward from differentiable ops, for double backward.</summary>
    private static Tensor?[] DifferentiableAffineBackward(Tensor x, Tensor weight, Tensor g, float eps, bool[] need)
    {
        var shape = new int[x.Rank];
        Array.Fill(shape, 1);
        shape[1] = x.Shape[1];
        var dims = new List<int> { 0 };
        for (int i = 2; i < x.Rank; i++)
        {
            dims.Add(i);
        }

        int[] d = [.. dims];
        Tensor? dw = null;
        if (need[1])
        {
            var mean = x.Mean(d, keepDim: true);
            var centered = x - mean;
            var xhat = centered * ((centered * centered).Mean(d, keepDim: true) + eps).Sqrt().Pow(-1f);
            dw = (g * xhat).Sum(d);
        }

        return [need[0] ? DifferentiableBackward(x, g * weight.Reshape(shape), eps) : null, dw, need[2] ? g.Sum(d) : null];
    }

    /// <summary>dx = invstd · (g − mean(g) − x̂ · mean(g · x̂)) per channel.</summary>
    private static Tensor FastBackward(Tensor g, Tensor xhat, float[] invStd, int n, int c, int s)
    {
        var dx = Tensor.Empty(g.ShapeArray);
        var (gd, hd, dd) = (g.Storage, xhat.Storage, dx.Storage);
        Parallelism.For(c, 1, (c0, c1) =>
        {
            for (int ch = c0; ch < c1; ch++)
            {
                double sg = 0, sgh = 0;
                for (int b = 0; b < n; b++)
                {
                    int off = ((b * c) + ch) * s;
                    var (sumG, sumGh) = NormalizeKernels.SumAndDot(gd.AsSpan(off, s), hd.AsSpan(off, s));
                    sg += sumG;
                    sgh += sumGh;
                }

                double count = (double)n * s;
                float meanG = (float)(sg / count), meanGh = (float)(sgh / count), inv = invStd[ch];
                for (int b = 0; b < n; b++)
                {
                    int off = ((b * c) + ch) * s;
                    NormalizeKernels.NormalizeBackward(gd.AsSpan(off, s), hd.AsSpan(off, s), meanG, meanGh, inv, dd.AsSpan(off, s));
                }
            }
        });
        return dx;
    }

    private static Tensor DifferentiableBackward(Tensor x, Tensor g, float eps)
    {
        var dims = new List<int> { 0 };
        for (int i = 2; i < x.Rank; i++)
        {
            dims.Add(i);
        }

        int[] d = [.. dims];
        var mean = x.Mean(d, keepDim: true);
        var centered = x - mean;
        var invStd = ((centered * centered).Mean(d, keepDim: true) + eps).Sqrt().Pow(-1f);
        var xhat = centered * invStd;
        return invStd * (g - g.Mean(d, keepDim: true) - (xhat * (g * xhat).Mean(d, keepDim: true)));
    }
}

/// <summary>
/// The per-plane passes of <see cref="NormalizeOp"/> (span in, span out). Sums accumulate in double, in eight
/// interleaved lanes (then the tail) whose order depends only on the length, so results do not depend on threads
/// or alignment; the element-wise passes do the same float operations, in the same order, as the scalar formulas.
/// </summary>
internal static class NormalizeKernels
{
    /// <summary>Σ x in double.</summary>
    public static double Sum(ReadOnlySpan<float> x)
    {
        int i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<float>.Count)
        {
            Vector256<double> lo = Vector256<double>.Zero, hi = Vector256<double>.Zero;
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (a, b) = Vector256.Widen(Vector256.Create(x.Slice(i, Vector256<float>.Count)));
                lo += a;
                hi += b;
            }

            sum = Vector256.Sum(lo + hi);
        }

        for (; i < x.Length; i++)
        {
            sum += x[i];
        }

        return sum;
    }

    /// <summary>Σ (x − mean)² in double.</summary>
    public static double SumSquaredDeviations(ReadOnlySpan<float> x, double mean)
    {
        int i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<float>.Count)
        {
            Vector256<double> lo = Vector256<double>.Zero, hi = Vector256<double>.Zero, mu = Vector256.Create(mean);
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (a, b) = Vector256.Widen(Vector256.Create(x.Slice(i, Vector256<float>.Count)));
                a -= mu;
                b -= mu;
                lo += a * a;
                hi += b * b;
            }

            sum = Vector256.Sum(lo + hi);
        }

        for (; i < x.Length; i++)
        {
            double d = x[i] - mean;
            sum += d * d;
        }

        return sum;
    }

    /// <summary>(Σ g, Σ g·h) in double.</summary>
    public static (double SumG, double SumGh) SumAndDot(ReadOnlySpan<float> g, ReadOnlySpan<float> h)
    {
        int i = 0;
        double sg = 0, sgh = 0;
        if (Vector256.IsHardwareAccelerated && g.Length >= Vector256<float>.Count)
        {
            Vector256<double> gLo = Vector256<double>.Zero, gHi = Vector256<double>.Zero, ghLo = Vector256<double>.Zero, ghHi = Vector256<double>.Zero;
            for (; i <= g.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (ga, gb) = Vector256.Widen(Vector256.Create(g.Slice(i, Vector256<float>.Count)));
                var (ha, hb) = Vector256.Widen(Vector256.Create(h.Slice(i, Vector256<float>.Count)));
                gLo += ga;
                gHi += gb;
                ghLo += ga * ha;
                ghHi += gb * hb;
            }

            sg = Vector256.Sum(gLo + gHi);
            sgh = Vector256.Sum(ghLo + ghHi);
        }

        for (; i < g.Length; i++)
        {
            sg += g[i];
            sgh += g[i] * (double)h[i];
        }

        return (sg, sgh);
    }

    /// <summary>y = (x − mean) · scale.</summary>
    public static void SubtractMultiply(ReadOnlySpan<float> x, float mean, float scale, Span<float> y)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> mu = Vector256.Create(mean), k = Vector256.Create(scale);
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                ((Vector256.Create(x.Slice(i, Vector256<float>.Count)) - mu) * k).CopyTo(y.Slice(i, Vector256<float>.Count));
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] = (x[i] - mean) * scale;
        }
    }

    /// <summary>y = ((x − mean) · scale) · gamma + beta, the float operations of the separate normalise, multiply and add ops.</summary>
    public static void SubtractMultiplyAffine(ReadOnlySpan<float> x, float mean, float scale, float gamma, float beta, Span<float> y)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> mu = Vector256.Create(mean), k = Vector256.Create(scale), w = Vector256.Create(gamma), b = Vector256.Create(beta);
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                ((((Vector256.Create(x.Slice(i, Vector256<float>.Count)) - mu) * k) * w) + b).CopyTo(y.Slice(i, Vector256<float>.Count));
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] = (((x[i] - mean) * scale) * gamma) + beta;
        }
    }

    /// <summary>dx = invStd · (g − meanG − x̂ · meanGh).</summary>
    public static void NormalizeBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> xhat, float meanG, float meanGh, float invStd, Span<float> dx)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> mg = Vector256.Create(meanG), mgh = Vector256.Create(meanGh), inv = Vector256.Create(invStd);
            for (; i <= g.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gv = Vector256.Create(g.Slice(i, Vector256<float>.Count));
                var hv = Vector256.Create(xhat.Slice(i, Vector256<float>.Count));
                (inv * (gv - mg - (hv * mgh))).CopyTo(dx.Slice(i, Vector256<float>.Count));
            }
        }

        for (; i < g.Length; i++)
        {
            dx[i] = invStd * (g[i] - meanG - (xhat[i] * meanGh));
        }
    }
}
