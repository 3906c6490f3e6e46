using System.Numerics.Tensors;

namespace Colorize.Tensors.Kernels;

/// <summary>
/// Convolutions with one group and one output channel (a PatchGAN's or a SAGAN critic's logit layer), computed on
/// channels-last copies: every output is a sum over kernel taps of dot products of C_in-long contiguous vectors.
/// </summary>
/// <remarks>
/// <see cref="DirectConvolution"/>'s row kernels multiply-add shifted input rows; on a critic's last layer the rows
/// are only 6–14 outputs long (a 4×4 kernel on a 7×7 or 15×15 map), shorter than or barely one vector, so they ran
/// mostly scalar, one C_in·16-step loop per row: 3 ms forward for the 2.4 MFLOP 256→1 layer at 7×7, batch 8, where
/// PyTorch takes 0.5 ms, and it was never split among threads. With the image transposed to [H, W, C_in] (and the
/// weight to [kH, kW, C_in]) the work is dot products and multiply-adds of 256- or 512-long vectors instead. Each
/// result's operation sequence depends on the shape only (taps in order, images in order for the weight), and
/// images are split among threads only where every image owns its outputs, so the bits do not depend on threads.
/// </remarks>
internal static class SingleOutputConvolution
{
    /// <summary>Whether these kernels handle <paramref name="shape"/>: one group, one output channel, not pointwise.</summary>
    public static bool Applies(in Conv2dShape shape) => shape.Groups == 1 && shape.OutChannels == 1 && !shape.IsPointwise;

    /// <summary>output[n, 0, y, x] = Σ_{ki, kj} Σ_c w[0, c, ki, kj] · input[n, c, y·sh − ph + ki·dh, x·sw − pw + kj·dw].</summary>
    public static unsafe void Forward(in Conv2dShape shape, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, Span<float> output, int threads)
    {
        Conv2dShape s = shape;
        int cin = s.InChannels, inSpatial = s.InSpatial, outSpatial = s.OutSpatial;
        float[] weightLast = ToChannelsLast(weight, cin, s.KernelHeight * s.KernelWidth);
        var taps = new TapTable(s);
        fixed (float* pin = input)
        fixed (float* pout = output)
        {
            nint inAddress = (nint)pin, outAddress = (nint)pout;
            ForImages(s, threads, n =>
            {
                float[] image = ToChannelsLast(new ReadOnlySpan<float>((float*)inAddress + ((long)n * cin * inSpatial), cin * inSpatial), cin, inSpatial);
                var outPlane = new Span<float>((float*)outAddress + ((long)n * outSpatial), outSpatial);
                for (int o = 0; o < outSpatial; o++)
                {
                    float sum = 0f;
                    for (int t = taps.Start[o]; t < taps.Start[o + 1]; t++)
                    {
                        sum += TensorPrimitives.Dot(weightLast.AsSpan(taps.Tap[t] * cin, cin), image.AsSpan(taps.Position[t] * cin, cin));
                    }

                    outPlane[o] = sum;
                }
            });
        }
    }

    /// <summary>gradInput[n, c, iy, ix] = Σ over the outputs reading (iy, ix) of w[0, c, ki, kj] · gradOutput[n, 0, y, x] (overwritten).</summary>
    public static unsafe void BackwardInput(in Conv2dShape shape, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput, int threads)
    {
        Conv2dShape s = shape;
        int cin = s.InChannels, inSpatial = s.InSpatial, outSpatial = s.OutSpatial;
        float[] weightLast = ToChannelsLast(weight, cin, s.KernelHeight * s.KernelWidth);
        var taps = new TapTable(s);
        fixed (float* pdy = gradOutput)
        fixed (float* pdx = gradInput)
        {
            nint dyAddress = (nint)pdy, dxAddress = (nint)pdx;
            ForImages(s, threads, n =>
            {
                // [H·W, C_in] accumulator of this image, added to in output order, then transposed back.
                var imageGrad = new float[inSpatial * cin];
                var dyPlane = new ReadOnlySpan<float>((float*)dyAddress + ((long)n * outSpatial), outSpatial);
                for (int o = 0; o < outSpatial; o++)
                {
                    float g = dyPlane[o];
                    for (int t = taps.Start[o]; t < taps.Start[o + 1]; t++)
                    {
                        Span<float> target = imageGrad.AsSpan(taps.Position[t] * cin, cin);
                        TensorPrimitives.FusedMultiplyAdd(weightLast.AsSpan(taps.Tap[t] * cin, cin), g, target, target);
                    }
                }

                FromChannelsLast(imageGrad, cin, inSpatial, new Span<float>((float*)dxAddress + ((long)n * cin * inSpatial), cin * inSpatial));
            });
        }
    }

    /// <summary>gradWeight[0, c, ki, kj] = Σ_n Σ_{y, x} gradOutput[n, 0, y, x] · input[n, c, shifted] (overwritten).</summary>
    public static void BackwardWeight(in Conv2dShape shape, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradWeight)
    {
        Conv2dShape s = shape;
        int cin = s.InChannels, inSpatial = s.InSpatial, outSpatial = s.OutSpatial, tapCount = s.KernelHeight * s.KernelWidth;
        var taps = new TapTable(s);
        // [kH·kW, C_in] accumulator, added to image by image and output by output: one fixed order, one thread
        // (the whole layer is a few MFLOP).
        var weightGrad = new float[tapCount * cin];
        for (int n = 0; n < s.Batch; n++)
        {
            float[] image = ToChannelsLast(input.Slice(n * cin * inSpatial, cin * inSpatial), cin, inSpatial);
            ReadOnlySpan<float> dyPlane = gradOutput.Slice(n * outSpatial, outSpatial);
            for (int o = 0; o < outSpatial; o++)
            {
                float g = dyPlane[o];
                for (int t = taps.Start[o]; t < taps.Start[o + 1]; t++)
                {
                    Span<float> target = weightGrad.AsSpan(taps.Tap[t] * cin, cin);
                    TensorPrimitives.FusedMultiplyAdd(image.AsSpan(taps.Position[t] * cin, cin), g, target, target);
                }
            }
        }

        FromChannelsLast(weightGrad, cin, tapCount, gradWeight);
    }

    /// <summary>
    /// For every output position, the kernel taps that read inside the image, in kernel order, and the input
    /// position each reads (a compressed-row table: output o owns entries [Start[o], Start[o + 1])).
    /// </summary>
    private sealed class TapTable
    {
        public TapTable(in Conv2dShape s)
        {
            Start = new int[s.OutSpatial + 1];
            var tap = new List<int>();
            var position = new List<int>();
            for (int y = 0; y < s.OutHeight; y++)
            {
                for (int x = 0; x < s.OutWidth; x++)
                {
                    for (int ki = 0; ki < s.KernelHeight; ki++)
                    {
                        int iy = (y * s.StrideHeight) - s.PaddingHeight + (ki * s.DilationHeight);
                        for (int kj = 0; kj < s.KernelWidth && (uint)iy < (uint)s.InHeight; kj++)
                        {
                            int ix = (x * s.StrideWidth) - s.PaddingWidth + (kj * s.DilationWidth);
                            if ((uint)ix < (uint)s.InWidth)
                            {
                                tap.Add((ki * s.KernelWidth) + kj);
                                position.Add((iy * s.InWidth) + ix);
                            }
                        }
                    }

                    Start[(y * s.OutWidth) + x + 1] = tap.Count;
                }
            }

            Tap = [.. tap];
            Position = [.. position];
        }

        public int[] Start { get; }

        public int[] Tap { get; }

        public int[] Position { get; }
    }

    /// <summary>[C, S] → [S, C].</summary>
    private static float[] ToChannelsLast(ReadOnlySpan<float> planes, int channels, int spatial)
    {
        var last = new float[spatial * channels];
        for (int c = 0; c < channels; c++)
        {
            ReadOnlySpan<float> plane = planes.Slice(c * spatial, spatial);
            for (int i = 0; i < spatial; i++)
            {
                last[(i * channels) + c] = plane[i];
            }
        }

        return last;
    }

    /// <summary>[S, C] → [C, S] into <paramref name="planes"/>.</summary>
    private static void FromChannelsLast(ReadOnlySpan<float> last, int channels, int spatial, Span<float> planes)
    {
        for (int c = 0; c < channels; c++)
        {
            Span<float> plane = planes.Slice(c * spatial, spatial);
            for (int i = 0; i < spatial; i++)
            {
                plane[i] = last[(i * channels) + c];
            }
        }
    }

    /// <summary>Runs <paramref name="perImage"/> for every image, images split among threads when there is enough work.</summary>
    private static void ForImages(Conv2dShape s, int threads, Action<int> perImage)
    {
        // An image's outputs (or input gradient) belong to that image alone, so the split cannot change any bits.
        int parts = (int)Math.Clamp((double)s.OutputLength * s.ColumnRows / Gemm.MinMultiplyAddsPerThread, 1, Math.Min(Gemm.ResolveThreads(threads), s.Batch));
        Parallelism.For(s.Batch, (s.Batch + parts - 1) / parts, (n0, n1) =>
        {
            for (int n = n0; n < n1; n++)
            {
                perImage(n);
            }
        });
    }
}
