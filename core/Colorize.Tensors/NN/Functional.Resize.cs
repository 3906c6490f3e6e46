using Colorize.Tensors.Autograd;
using Colorize.Tensors.Ops;

namespace Colorize.Tensors.NN;

/// <summary>Interpolation modes of <c>Functional.Interpolate</c>.</summary>
public enum InterpolationMode
{
    /// <summary>PyTorch's 'nearest' (floor of the scaled index).</summary>
    Nearest,

    /// <summary>Bilinear, as PyTorch's 'bilinear' (no antialiasing).</summary>
    Bilinear,
}

/// <summary>Padding modes of <see cref="Functional.Pad"/>.</summary>
public enum PaddingMode
{
    /// <summary>A constant value (zeros by default).</summary>
    Constant,

    /// <summary>Mirror without repeating the edge (PyTorch 'reflect').</summary>
    Reflect,

    /// <summary>Repeat the edge (PyTorch 'replicate').</summary>
    Replicate,
}

public static partial class Functional
{
    /// <summary>Resizes [N, C, H, W] to an explicit size, like <c>F.interpolate(size=...)</c>.</summary>
    /// <param name="input">Input [N, C, H, W].</param>
    /// <param name="height">Output height.</param>
    /// <param name="width">Output width.</param>
    /// <param name="mode">Nearest or bilinear.</param>
    /// <param name="alignCorners">For bilinear: align the corner pixels' centres (PyTorch's align_corners).</param>
    public static Tensor Interpolate(Tensor input, int height, int width, InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false)
    {
        Check4D(input, "Interpolate");
        if (height <= 0 || width <= 0)
        {
            throw new ArgumentException("Interpolate needs a positive output size.");
        }

        return Resize(input, height, width, mode, alignCorners, null);
    }

    /// <summary>Resizes by a scale factor, like <c>F.interpolate(scale_factor=...)</c> (the factor itself sets the sampling grid, as in PyTorch).</summary>
    /// <param name="input">Input [N, C, H, W].</param>
    /// <param name="scaleFactor">Factor applied to height and width.</param>
    /// <param name="mode">Nearest or bilinear.</param>
    /// <param name="alignCorners">For bilinear: PyTorch's align_corners.</param>
    public static Tensor Interpolate(Tensor input, double scaleFactor, InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false)
    {
        Check4D(input, "Interpolate");
        if (!(scaleFactor > 0) || double.IsInfinity(scaleFactor))
        {
            throw new ArgumentException("Interpolate needs a positive scale factor.");
        }

        int height = (int)Math.Floor(input.Shape[2] * scaleFactor);
        int width = (int)Math.Floor(input.Shape[3] * scaleFactor);
        return Resize(input, height, width, mode, alignCorners, scaleFactor);
    }

    private static Tensor Resize(Tensor input, int outH, int outW, InterpolationMode mode, bool alignCorners, double? scaleFactor)
    {
        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], w = input.Shape[3];
        var rows = Taps(h, outH, mode, alignCorners, scaleFactor);
        var cols = Taps(w, outW, mode, alignCorners, scaleFactor);
        return LinearOp.Apply(input, mode == InterpolationMode.Nearest ? "UpsampleNearest2DBackward0" : "UpsampleBilinear2DBackward0",
            x =>
            {
                var y = Tensor.Empty(n, c, outH, outW);
                var (xd, yd) = (x.Storage, y.Storage);
                Parallelism.For(n * c, 1, (p0, p1) =>
                {
                    for (int plane = p0; plane < p1; plane++)
                    {
                        int xo = plane * h * w;
                        for (int oy = 0; oy < outH; oy++)
                        {
                            var r = rows[oy];
                            int r0 = xo + (r.I0 * w), r1 = xo + (r.I1 * w);
                            int yo = ((plane * outH) + oy) * outW;
                            for (int ox = 0; ox < outW; ox++)
                            {
                                var col = cols[ox];
                                // Same association as PyTorch's kernel: h0λ·(w0λ·a + w1λ·b) + h1λ·(w0λ·c + w1λ·d).
                                yd[yo + ox] = (r.W0 * ((col.W0 * xd[r0 + col.I0]) + (col.W1 * xd[r0 + col.I1])))
                                    + (r.W1 * ((col.W0 * xd[r1 + col.I0]) + (col.W1 * xd[r1 + col.I1])));
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
                        int xo = plane * h * w;
                        for (int oy = 0; oy < outH; oy++)
                        {
                            var r = rows[oy];
                            int r0 = xo + (r.I0 * w), r1 = xo + (r.I1 * w);
                            int yo = ((plane * outH) + oy) * outW;
                            for (int ox = 0; ox < outW; ox++)
                            {
                                var col = cols[ox];
                                float v = gd[yo + ox];
                                dd[r0 + col.I0] += r.W0 * col.W0 * v;
                                dd[r0 + col.I1] += r.W0 * col.W1 * v;
                                dd[r1 + col.I0] += r.W1 * col.W0 * v;
                                dd[r1 + col.I1] += r.W1 * col.W1 * v;
                            }
                        }
                    }
                });
                return dx;
            });
    }

    /// <summary>For every output index, the two source indices and weights (nearest uses one tap with weight 1).</summary>
    private static (int I0, int I1, float W0, float W1)[] Taps(int input, int output, InterpolationMode mode, bool alignCorners, double? scaleFactor)
    {
        var taps = new (int, int, float, float)[output];
        if (mode == InterpolationMode.Nearest)
        {
            // PyTorch computes the scale in float32 and floors index·scale.
            float scale = scaleFactor is { } f ? (float)(1.0 / f) : (float)input / output;
            for (int o = 0; o < output; o++)
            {
                int src = Math.Min((int)MathF.Floor(o * scale), input - 1);
                taps[o] = (src, src, 1f, 0f);
            }

            return taps;
        }

        float s = alignCorners
            ? (output > 1 ? (float)(input - 1) / (output - 1) : 0f)
            : (scaleFactor is { } sf ? (float)(1.0 / sf) : (float)input / output);
        for (int o = 0; o < output; o++)
        {
            float src = alignCorners ? s * o : Math.Max((s * (o + 0.5f)) - 0.5f, 0f);
            int i0 = (int)src;
            int i1 = i0 + (i0 < input - 1 ? 1 : 0);
            float l1 = src - i0;
            taps[o] = (i0, i1, 1f - l1, l1);
        }

        return taps;
    }

    /// <summary>Rearranges [N, C·r², H, W] into [N, C, H·r, W·r], like <c>F.pixel_shuffle</c>.</summary>
    public static Tensor PixelShuffle(Tensor input, int upscaleFactor)
    {
        Check4D(input, "PixelShuffle");
        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], w = input.Shape[3], r = upscaleFactor;
        if (r < 1 || c % (r * r) != 0)
        {
            throw new ArgumentException($"PixelShuffle: {c} channels are not divisible by {r}².");
        }

        int oc = c / (r * r);
        return input.Reshape(n, oc, r, r, h, w).Permute(0, 1, 4, 2, 5, 3).Reshape(n, oc, h * r, w * r);
    }

    /// <summary>
    /// fastai's PixelShuffle_ICNR after its convolution, with blur (DeOldify's decoder, against checkerboard
    /// artefacts): optional ReLU, <see cref="PixelShuffle"/>(r), one replicated row and column on the top and left
    /// (<see cref="Pad"/> (1, 0, 1, 0), replicate) and a 2×2 <see cref="AvgPool2d"/> with stride 1. [N, C·r², H, W]
    /// in, [N, C, H·r, W·r] out.
    /// </summary>
    /// <remarks>
    /// When autograd records, these are the separate ops. Otherwise one pass over the input does the same float
    /// operations in the same order, so the bits are the same, without the three tensors of the output's size the
    /// separate ops write and read again (the pad's loop also ran on one thread).
    /// </remarks>
    /// <param name="input">Input [N, C·r², H, W], H and W at least 1.</param>
    /// <param name="upscaleFactor">r.</param>
    /// <param name="relu">Apply ReLU to the input first.</param>
    public static Tensor PixelShuffleBlur(Tensor input, int upscaleFactor, bool relu = true)
    {
        Check4D(input, "PixelShuffleBlur");
        if (GradMode.ShouldRecord(input))
        {
            var shuffled = PixelShuffle(relu ? input.Relu() : input, upscaleFactor);
            return AvgPool2d(Pad(shuffled, (1, 0, 1, 0), PaddingMode.Replicate), 2, stride: 1);
        }

        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], w = input.Shape[3], r = upscaleFactor;
        if (r < 1 || c % (r * r) != 0)
        {
            throw new ArgumentException($"PixelShuffleBlur: {c} channels are not divisible by {r}².");
        }

        if (h == 0 || w == 0)
        {
            throw new ArgumentException("PixelShuffleBlur needs a non-empty input (the blur replicates its edge).");
        }

        int oc = c / (r * r), inPlanes = r * r * h * w, outPlane = h * r * w * r;
        var y = Tensor.Empty(n, oc, h * r, w * r);
        var (xd, yd) = (input.Storage, y.Storage);
        Parallelism.For(n * oc, Math.Max(1, Elementwise.Grain / outPlane), (p0, p1) =>
        {
            float[] above = new float[w * r], current = new float[w * r];
            for (int p = p0; p < p1; p++)
            {
                ShuffleBlurKernels.Plane(xd.AsSpan(p * inPlanes, inPlanes), h, w, r, relu, yd.AsSpan(p * outPlane, outPlane), above, current);
            }
        });
        return y;
    }

    /// <summary>
    /// Pads the last two dimensions by (left, right, top, bottom), like <c>F.pad</c> on a 4-D tensor.
    /// </summary>
    /// <param name="input">Input [N, C, H, W].</param>
    /// <param name="padding">(left, right, top, bottom), each non-negative.</param>
    /// <param name="mode">Constant, reflect or replicate.</param>
    /// <param name="value">Fill value for constant mode.</param>
    public static Tensor Pad(Tensor input, (int Left, int Right, int Top, int Bottom) padding, PaddingMode mode = PaddingMode.Constant, float value = 0f)
    {
        Check4D(input, "Pad");
        var (l, r, t, b) = padding;
        if (l < 0 || r < 0 || t < 0 || b < 0)
        {
            throw new ArgumentException("Negative padding is not supported.");
        }

        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], w = input.Shape[3];
        if (mode == PaddingMode.Reflect && (l >= w || r >= w || t >= h || b >= h))
        {
            throw new ArgumentException($"Reflect padding must be smaller than the input size {h}×{w}.");
        }

        if (mode == PaddingMode.Replicate && (h == 0 || w == 0))
        {
            throw new ArgumentException("Replicate padding needs a non-empty input.");
        }

        int oh = h + t + b, ow = w + l + r;
        var rowMap = PadMap(h, t, oh, mode);
        var colMap = PadMap(w, l, ow, mode);
        var padded = LinearOp.Apply(input, mode switch
        {
            PaddingMode.Reflect => "ReflectionPad2DBackward0",
            PaddingMode.Replicate => "ReplicationPad2DBackward0",
            _ => "ConstantPadNdBackward0",
        },
            x =>
            {
                var y = Tensor.Empty(n, c, oh, ow);
                var (xd, yd) = (x.Storage, y.Storage);
                for (int plane = 0; plane < n * c; plane++)
                {
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int sy = rowMap[oy];
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int sx = colMap[ox];
                            yd[(((plane * oh) + oy) * ow) + ox] = sy < 0 || sx < 0 ? 0f : xd[(((plane * h) + sy) * w) + sx];
                        }
                    }
                }

                return y;
            },
            g =>
            {
                var dx = Tensor.Zeros(n, c, h, w);
                var (gd, dd) = (g.Storage, dx.Storage);
                for (int plane = 0; plane < n * c; plane++)
                {
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int sy = rowMap[oy];
                        for (int ox = 0; ox < ow; ox++)
                        {
                            int sx = colMap[ox];
                            if (sy >= 0 && sx >= 0)
                            {
                                dd[(((plane * h) + sy) * w) + sx] += gd[(((plane * oh) + oy) * ow) + ox];
                            }
                        }
                    }
                }

                return dx;
            });

        if (mode == PaddingMode.Constant && value != 0f)
        {
            // The fill is a constant: add it outside the linear map so gradients are unaffected.
            var fill = Tensor.Zeros(1, 1, oh, ow);
            for (int oy = 0; oy < oh; oy++)
            {
                for (int ox = 0; ox < ow; ox++)
                {
                    if (rowMap[oy] < 0 || colMap[ox] < 0)
                    {
                        fill.Storage[(oy * ow) + ox] = value;
                    }
                }
            }

            padded += fill;
        }

        return padded;
    }

    private static int[] PadMap(int size, int before, int outSize, PaddingMode mode)
    {
        var map = new int[outSize];
        for (int o = 0; o < outSize; o++)
        {
            int i = o - before;
            map[o] = mode switch
            {
                PaddingMode.Reflect => i < 0 ? -i : i >= size ? (2 * (size - 1)) - i : i,
                PaddingMode.Replicate => Math.Clamp(i, 0, size - 1),
                _ => i < 0 || i >= size ? -1 : i,
            };
        }

        return map;
    }
}
