using Colorize.Tensors.Autograd;
using Colorize.Tensors.Ops;

namespace Colorize.Tensors.NN;

public static partial class Functional
{
    /// <summary>2-D max pooling (padding counts as −∞), like <c>F.max_pool2d</c>.</summary>
    /// <param name="input">Input [N, C, H, W].</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Step; defaults to the window size.</param>
    /// <param name="padding">Implicit −∞ padding on each side.</param>
    /// <param name="dilation">Spacing of window elements.</param>
    /// <param name="ceilMode">Use ceiling instead of floor for the output size.</param>
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        Check4D(input, "MaxPool2d");
        int s = stride ?? kernelSize;
        if (padding * 2 > kernelSize)
        {
            throw new ArgumentException("MaxPool2d padding must be at most half the kernel size.");
        }

        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], w = input.Shape[3];
        int ho = PoolOutputSize(h, kernelSize, s, padding, dilation, ceilMode);
        int wo = PoolOutputSize(w, kernelSize, s, padding, dilation, ceilMode);
        if (kernelSize == 3 && s == 2 && padding == 1 && dilation == 1 && !ceilMode && !GradMode.ShouldRecord(input))
        {
            // The ResNet stem's pool at inference: no indices to keep, and a separable path with the scan's bits.
            return MaxPool3x3Stride2(input, n * c, h, w, ho, wo);
        }

        var y = Tensor.Empty(n, c, ho, wo);
        var indices = new int[n * c * ho * wo];
        var xd = input.Storage;
        var yd = y.Storage;
        bool twoByTwo = kernelSize == 2 && s == 2 && padding == 0 && dilation == 1 && 2 * ho <= h && 2 * wo <= w;
        if (twoByTwo)
        {
            // The U-Nets' 2×2 pooling: every window lies inside the plane, so no bounds tests per element.
            Parallelism.For(n * c, 1, (p0, p1) =>
            {
                for (int plane = p0; plane < p1; plane++)
                {
                    PoolingKernels.MaxPool2x2(xd.AsSpan(plane * h * w, h * w), h, w, yd.AsSpan(plane * ho * wo, ho * wo), indices.AsSpan(plane * ho * wo, ho * wo), ho, wo);
                }
            });
        }
        else
        {
            MaxPoolGeneral(xd, yd, indices, n * c, h, w, ho, wo, kernelSize, s, padding, dilation);
        }

        if (GradMode.ShouldRecord(input))
        {
            var inShape = input.GetShape();
            var outShape = y.GetShape();
            Node.Record(y, "MaxPool2DWithIndicesBackward0", [input], (g, _) =>
                [LinearOp.Apply(g, "MaxPoolScatter", gg => twoByTwo ? ScatterTwoByTwo(gg, indices, inShape) : ScatterPlanes(gg, indices, inShape), h => GatherPlanes(h, indices, outShape))]);
        }

        return y;
    }

    private static Tensor MaxPool3x3Stride2(Tensor input, int planes, int h, int w, int ho, int wo)
    {
        var y = Tensor.Empty(input.Shape[0], input.Shape[1], ho, wo);
        var (xd, yd) = (input.Storage, y.Storage);
        Parallelism.For(planes, Math.Max(1, Ops.Elementwise.Grain / Math.Max(1, h * w)), (p0, p1) =>
        {
            var rowMaxima = new float[h * wo];
            var columns = new float[2 * wo];
            for (int plane = p0; plane < p1; plane++)
            {
                PoolingKernels.MaxPool3x3Stride2(xd.AsSpan(plane * h * w, h * w), h, w, yd.AsSpan(plane * ho * wo, ho * wo), rowMaxima, columns);
            }
        });
        return y;
    }

    /// <summary>Max pooling of any window geometry; -∞ outside the plane, the first maximum (or NaN) in scan order wins.</summary>
    private static void MaxPoolGeneral(float[] xd, float[] yd, int[] indices, int planes, int h, int w, int ho, int wo, int kernelSize, int s, int padding, int dilation)
    {
        Parallelism.For(planes, 1, (p0, p1) =>
        {
            for (int plane = p0; plane < p1; plane++)
            {
                int xoff = plane * h * w, yoff = plane * ho * wo;
                for (int oy = 0; oy < ho; oy++)
                {
                    for (int ox = 0; ox < wo; ox++)
                    {
                        float best = float.NegativeInfinity;
                        int bestIdx = -1;
                        for (int ki = 0; ki < kernelSize; ki++)
                        {
                            int iy = (oy * s) - padding + (ki * dilation);
                            if ((uint)iy >= (uint)h)
                            {
                                continue;
                            }

                            for (int kj = 0; kj < kernelSize; kj++)
                            {
                                int ix = (ox * s) - padding + (kj * dilation);
                                if ((uint)ix >= (uint)w)
                                {
                                    continue;
                                }

                                float v = xd[xoff + (iy * w) + ix];
                                if (bestIdx < 0 || v > best || float.IsNaN(v))
                                {
                                    best = v;
                                    bestIdx = (iy * w) + ix;
                                    if (float.IsNaN(v))
                                    {
                                        goto done;
                                    }
                                }
                            }
                        }

                    done:
                        yd[yoff + (oy * wo) + ox] = best;
                        indices[yoff + (oy * wo) + ox] = bestIdx;
                    }
                }
            }
        });
    }

    /// <summary>2-D average pooling, like <c>F.avg_pool2d</c> (count_include_pad defaults to true).</summary>
    /// <param name="input">Input [N, C, H, W].</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Step; defaults to the window size.</param>
    /// <param name="padding">Zero padding on each side.</param>
    /// <param name="ceilMode">Use ceiling instead of floor for the output size.</param>
    /// <param name="countIncludePad">Whether padded zeros count in the divisor.</param>
    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true)
    {
        Check4D(input, "AvgPool2d");
        int s = stride ?? kernelSize;
        if (padding * 2 > kernelSize)
        {
            throw new ArgumentException("AvgPool2d padding must be at most half the kernel size.");
        }

        int h = input.Shape[2], w = input.Shape[3];
        int ho = PoolOutputSize(h, kernelSize, s, padding, 1, ceilMode);
        int wo = PoolOutputSize(w, kernelSize, s, padding, 1, ceilMode);
        var rows = PoolWindows(h, ho, kernelSize, s, padding, countIncludePad);
        var cols = PoolWindows(w, wo, kernelSize, s, padding, countIncludePad);
        return WindowAverage(input, rows, cols, "AvgPool2DBackward0");
    }

    /// <summary>Adaptive average pooling to [outH, outW], like <c>F.adaptive_avg_pool2d</c>.</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int outputHeight, int outputWidth)
    {
        Check4D(input, "AdaptiveAvgPool2d");
        var rows = AdaptiveWindows(input.Shape[2], outputHeight);
        var cols = AdaptiveWindows(input.Shape[3], outputWidth);
        return WindowAverage(input, rows, cols, "AdaptiveAvgPool2DBackward0");
    }

    /// <summary>Output size of a pooling window, with PyTorch's rule that the last window must start inside the input or left padding.</summary>
    private static int PoolOutputSize(int input, int kernel, int stride, int pad, int dilation, bool ceil)
    {
        long numerator = input + (2L * pad) - (dilation * (kernel - 1L)) - 1 + (ceil ? stride - 1 : 0);
        int output = (int)Math.Floor(numerator / (double)stride) + 1;
        if (ceil && (long)(output - 1) * stride >= input + pad)
        {
            output--;
        }

        if (output <= 0)
        {
            throw new ArgumentException($"Pooling output size {output} is not positive (input {input}, kernel {kernel}, stride {stride}, padding {pad}).");
        }

        return output;
    }

    /// <summary>Per output index: window start, end (clamped to the input) and divisor.</summary>
    private static (int Start, int End, float Divisor)[] PoolWindows(int input, int output, int kernel, int stride, int pad, bool countIncludePad)
    {
        var windows = new (int, int, float)[output];
        for (int o = 0; o < output; o++)
        {
            int start = (o * stride) - pad;
            int end = Math.Min(start + kernel, input + pad);
            int size = end - start;
            start = Math.Max(start, 0);
            end = Math.Min(end, input);
            windows[o] = (start, end, countIncludePad ? size : end - start);
        }

        return windows;
    }

    private static (int Start, int End, float Divisor)[] AdaptiveWindows(int input, int output)
    {
        var windows = new (int, int, float)[output];
        for (int o = 0; o < output; o++)
        {
            int start = (int)Math.Floor(o * input / (double)output);
            int end = (int)Math.Ceiling((o + 1) * input / (double)output);
            windows[o] = (start, end, end - start);
        }

        return windows;
    }

    /// <summary>
    /// Average over separable windows. The divisor is the product of the row and column divisors, which is how
    /// PyTorch computes it for both avg_pool2d and adaptive_avg_pool2d.
    /// </summary>
    private static Tensor WindowAverage(Tensor input, (int Start, int End, float Divisor)[] rows, (int Start, int End, float Divisor)[] cols, string name)
    {
        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], w = input.Shape[3];
        int ho = rows.Length, wo = cols.Length;
        return LinearOp.Apply(input, name,
            x =>
            {
                var y = Tensor.Empty(n, c, ho, wo);
                var (xd, yd) = (x.Storage, y.Storage);
                Parallelism.For(n * c, 1, (p0, p1) =>
                {
                    for (int plane = p0; plane < p1; plane++)
                    {
                        for (int oy = 0; oy < ho; oy++)
                        {
                            var r = rows[oy];
                            for (int ox = 0; ox < wo; ox++)
                            {
                                var col = cols[ox];
                                float sum = 0;
                                for (int iy = r.Start; iy < r.End; iy++)
                                {
                                    int rowOff = (((plane * h) + iy) * w);
                                    for (int ix = col.Start; ix < col.End; ix++)
                                    {
                                        sum += xd[rowOff + ix];
                                    }
                                }

                                yd[(((plane * ho) + oy) * wo) + ox] = sum / (r.Divisor * col.Divisor);
                            }
                        }
                    }
                });
                return y;
            },
            g =>
            {
                var dx = Tensor.Zeros(n, c, h, w);
                var (gd, dd) = (g.Storage, dx.Storage);
                Parallelism.For(n * c, 1, (p0, p1) =>
                {
                    for (int plane = p0; plane < p1; plane++)
                    {
                        for (int oy = 0; oy < ho; oy++)
                        {
                            var r = rows[oy];
                            for (int ox = 0; ox < wo; ox++)
                            {
                                var col = cols[ox];
                                float v = gd[(((plane * ho) + oy) * wo) + ox] / (r.Divisor * col.Divisor);
                                for (int iy = r.Start; iy < r.End; iy++)
                                {
                                    int rowOff = (((plane * h) + iy) * w);
                                    for (int ix = col.Start; ix < col.End; ix++)
                                    {
                                        dd[rowOff + ix] += v;
                                    }
                                }
                            }
                        }
                    }
                });
                return dx;
            });
    }

    /// <summary>
    /// The gradient of a 2×2, stride-2 max pooling, plane by plane in parallel (see <see cref="PoolingKernels.MaxPool2x2Backward"/>).
    /// </summary>
    private static Tensor ScatterTwoByTwo(Tensor g, int[] indices, int[] inShape)
    {
        int planes = inShape[0] * inShape[1], h = inShape[2], w = inShape[3], ho = g.Shape[2], wo = g.Shape[3];
        int planeIn = h * w, planeOut = ho * wo;
        var dx = Tensor.Empty(inShape);
        var (gd, dd) = (g.Storage, dx.Storage);
        Parallelism.For(planes, Math.Max(1, Ops.Elementwise.Grain / Math.Max(1, planeIn)), (p0, p1) =>
        {
            for (int plane = p0; plane < p1; plane++)
            {
                PoolingKernels.MaxPool2x2Backward(gd.AsSpan(plane * planeOut, planeOut), indices.AsSpan(plane * planeOut, planeOut), ho, wo, dd.AsSpan(plane * planeIn, planeIn), h, w);
            }
        });
        return dx;
    }

    private static Tensor ScatterPlanes(Tensor g, int[] indices, int[] inShape)
    {
        int planes = inShape[0] * inShape[1];
        int planeIn = inShape[2] * inShape[3];
        int planeOut = g.Count / Math.Max(1, planes);
        var dx = Tensor.Zeros(inShape);
        var (gd, dd) = (g.Storage, dx.Storage);
        // A plane's gradient only lands in its own input plane, so planes run in parallel; within a plane the
        // adds keep their order (overlapping windows can hit one element twice), so the bits do not change.
        Parallelism.For(planes, Math.Max(1, Ops.Elementwise.Grain / Math.Max(1, planeOut)), (p0, p1) =>
        {
            for (int plane = p0; plane < p1; plane++)
            {
                var src = gd.AsSpan(plane * planeOut, planeOut);
                var idx = indices.AsSpan(plane * planeOut, planeOut);
                var dst = dd.AsSpan(plane * planeIn, planeIn);
                for (int i = 0; i < src.Length; i++)
                {
                    dst[idx[i]] += src[i];
                }
            }
        });

        return dx;
    }

    private static Tensor GatherPlanes(Tensor h, int[] indices, int[] outShape)
    {
        var y = Tensor.Empty(outShape);
        int planeIn = h.Shape[2] * h.Shape[3];
        int planeOut = outShape[2] * outShape[3];
        var (hd, yd) = (h.Storage, y.Storage);
        for (int i = 0; i < y.Count; i++)
        {
            yd[i] = hd[((i / planeOut) * planeIn) + indices[i]];
        }

        return y;
    }

    private static void Check4D(Tensor input, string op)
    {
        if (input.Rank != 4)
        {
            throw new ArgumentException($"{op} needs a 4-D [N, C, H, W] input, got {ShapeUtil.Format(input.Shape)}.");
        }
    }
}
