using System.Runtime.Intrinsics;

namespace Colorize.Tensors.Kernels;

/// <summary>
/// Direct (no im2col, no GEMM) convolution kernels for convolutions with one output channel per group, such as a
/// PatchGAN's or a SAGAN critic's final 1-channel logit layer.
/// </summary>
/// <remarks>
/// Through <see cref="Convolution"/>'s implicit GEMM such a layer is a product with a single row: the micro-kernel
/// pads it to a whole tile (6 or 14 rows) and the whole im2col matrix is packed for one dot product per column, and
/// the input gradient first stores a K = 1 column matrix as large as the im2col matrix and then scatters it back.
/// Measured on the PatchGAN's 256→1, 4×4 layer at 15×15, batch 8, that made a 13 MFLOP layer cost about as much as
/// the 1.9 GFLOP layer before it. Here every output (or input-gradient) row is a multiply-add of a shifted input
/// (or output-gradient) row, and every weight gradient a sum of row dot products. Images (or weight rows) are split
/// among threads and each element's operation sequence is fixed by the shape, so results have the same bits for any
/// thread count.
/// </remarks>
internal static class DirectConvolution
{
    /// <summary>Whether the direct kernels handle <paramref name="shape"/> (one output channel per group, not pointwise).</summary>
    public static bool Applies(in Conv2dShape shape) => shape.OutChannelsPerGroup == 1 && !shape.IsPointwise;

    /// <summary>output[n, g] = Σ_{c, ki, kj} w[g, c, ki, kj] · input[n, g·cinG + c, shifted] (no bias).</summary>
    public static unsafe void Forward(in Conv2dShape shape, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, Span<float> output, int threads)
    {
        if (SingleOutputConvolution.Applies(shape))
        {
            // One group: the rows would be a logit map's few outputs long; dot products over channels instead.
            SingleOutputConvolution.Forward(shape, input, weight, output, threads);
            return;
        }

        Conv2dShape s = shape;
        // Conv2dShape's sizes are computed properties (divisions): read them once, not per row.
        int ho = s.OutHeight, wo = s.OutWidth, sw = s.StrideWidth, groups = s.Groups, rowsPerGroup = s.ColumnRows;
        long outPlaneLength = s.OutSpatial, inPlaneLength = s.InSpatial, outChannels = s.OutChannels, inChannels = s.InChannels, cinG = s.InChannelsPerGroup;
        fixed (float* pin = input)
        fixed (float* pw = weight)
        fixed (float* pout = output)
        {
            nint inAddress = (nint)pin, wAddress = (nint)pw, outAddress = (nint)pout;
            ForImages(s, threads, n =>
            {
                for (int g = 0; g < groups; g++)
                {
                    float* outPlane = (float*)outAddress + (((long)n * outChannels) + g) * outPlaneLength;
                    new Span<float>(outPlane, (int)outPlaneLength).Clear();
                    float* image = (float*)inAddress + (((long)n * inChannels) + (g * cinG)) * inPlaneLength;
                    float* w = (float*)wAddress + ((long)g * rowsPerGroup);
                    for (int r = 0; r < rowsPerGroup; r++)
                    {
                        var rows = new RowGeometry(s, r);
                        int x0 = rows.X0, x1 = rows.X1;
                        for (int y = 0; y < ho; y++)
                        {
                            if (rows.InputRow(y) is { } inRow)
                            {
                                MultiplyAddRow(w[r], image + inRow, sw, outPlane + ((long)y * wo), x0, x1);
                            }
                        }
                    }
                }
            });
        }
    }

    /// <summary>gradInput[n, g·cinG + c, shifted] += w[g, c, ki, kj] · gradOutput[n, g]; gradInput must start zeroed.</summary>
    public static unsafe void BackwardInput(in Conv2dShape shape, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput, int threads)
    {
        if (SingleOutputConvolution.Applies(shape))
        {
            SingleOutputConvolution.BackwardInput(shape, gradOutput, weight, gradInput, threads);
            return;
        }

        Conv2dShape s = shape;
        // Conv2dShape's sizes are computed properties (divisions): read them once, not per row.
        int ho = s.OutHeight, wo = s.OutWidth, sw = s.StrideWidth, groups = s.Groups, rowsPerGroup = s.ColumnRows;
        long outPlaneLength = s.OutSpatial, inPlaneLength = s.InSpatial, outChannels = s.OutChannels, inChannels = s.InChannels, cinG = s.InChannelsPerGroup;
        fixed (float* pdy = gradOutput)
        fixed (float* pw = weight)
        fixed (float* pdx = gradInput)
        {
            nint dyAddress = (nint)pdy, wAddress = (nint)pw, dxAddress = (nint)pdx;
            ForImages(s, threads, n =>
            {
                for (int g = 0; g < groups; g++)
                {
                    float* dyPlane = (float*)dyAddress + (((long)n * outChannels) + g) * outPlaneLength;
                    float* image = (float*)dxAddress + (((long)n * inChannels) + (g * cinG)) * inPlaneLength;
                    float* w = (float*)wAddress + ((long)g * rowsPerGroup);
                    for (int r = 0; r < rowsPerGroup; r++)
                    {
                        var rows = new RowGeometry(s, r);
                        int x0 = rows.X0, x1 = rows.X1;
                        for (int y = 0; y < ho; y++)
                        {
                            if (rows.InputRow(y) is { } inRow)
                            {
                                ScatterMultiplyAddRow(w[r], dyPlane + ((long)y * wo), image + inRow, sw, x0, x1);
                            }
                        }
                    }
                }
            });
        }
    }

    /// <summary>gradWeight[g, c, ki, kj] = Σ_n Σ_positions gradOutput[n, g] · input[n, g·cinG + c, shifted] (overwritten).</summary>
    public static unsafe void BackwardWeight(in Conv2dShape shape, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradWeight, int threads)
    {
        if (SingleOutputConvolution.Applies(shape))
        {
            SingleOutputConvolution.BackwardWeight(shape, input, gradOutput, gradWeight);
            return;
        }

        Conv2dShape s = shape;
        // Conv2dShape's sizes are computed properties (divisions): read them once, not per row.
        int ho = s.OutHeight, wo = s.OutWidth, sw = s.StrideWidth, groups = s.Groups, rowsPerGroup = s.ColumnRows;
        long outPlaneLength = s.OutSpatial, inPlaneLength = s.InSpatial, outChannels = s.OutChannels, inChannels = s.InChannels, cinG = s.InChannelsPerGroup;
        int total = groups * rowsPerGroup, batch = s.Batch;
        int parts = (int)Math.Clamp((double)s.OutputLength * s.ColumnRows / Gemm.MinMultiplyAddsPerThread, 1, Math.Min(Gemm.ResolveThreads(threads), total));
        fixed (float* pin = input)
        fixed (float* pdy = gradOutput)
        fixed (float* pdw = gradWeight)
        {
            nint inAddress = (nint)pin, dyAddress = (nint)pdy, dwAddress = (nint)pdw;
            void Part(int part)
            {
                // Each part owns whole weight elements; each element sums images, then rows, in a fixed order.
                int i0 = (int)((long)total * part / parts), i1 = (int)((long)total * (part + 1) / parts);
                for (int i = i0; i < i1; i++)
                {
                    int g = i / rowsPerGroup, r = i % rowsPerGroup;
                    var rows = new RowGeometry(s, r);
                    int x0 = rows.X0, x1 = rows.X1;
                    float sum = 0f;
                    for (int n = 0; n < batch; n++)
                    {
                        float* dyPlane = (float*)dyAddress + (((long)n * outChannels) + g) * outPlaneLength;
                        float* image = (float*)inAddress + (((long)n * inChannels) + (g * cinG)) * inPlaneLength;
                        float imageSum = 0f;
                        for (int y = 0; y < ho; y++)
                        {
                            if (rows.InputRow(y) is { } inRow)
                            {
                                imageSum += DotRow(dyPlane + ((long)y * wo), image + inRow, sw, x0, x1);
                            }
                        }

                        sum += imageSum;
                    }

                    ((float*)dwAddress)[i] = sum;
                }
            }

            if (parts == 1)
            {
                Part(0);
            }
            else
            {
                Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, Part);
            }
        }
    }

    /// <summary>
    /// Where im2col row r (input channel c, kernel tap ki, kj) of one image reads: output row y reads input row
    /// y·sh − ph + ki·dh (if inside the image), output x in [X0, X1) reads input x = x·sw + offset.
    /// </summary>
    private readonly struct RowGeometry
    {
        private readonly long _plane;
        private readonly int _offset, _rowStep, _firstRow, _height, _width;

        public RowGeometry(in Conv2dShape s, int r)
        {
            int kh = s.KernelHeight, kw = s.KernelWidth, sw = s.StrideWidth;
            int c = r / (kh * kw), ki = r / kw % kh, kj = r % kw;
            _plane = (long)c * s.InHeight * s.InWidth;
            _offset = (kj * s.DilationWidth) - s.PaddingWidth;
            _rowStep = s.StrideHeight;
            _firstRow = (ki * s.DilationHeight) - s.PaddingHeight;
            _height = s.InHeight;
            _width = s.InWidth;
            X0 = _offset >= 0 ? 0 : Math.Min(s.OutWidth, (-_offset + sw - 1) / sw);
            X1 = s.InWidth - 1 - _offset < 0 ? 0 : Math.Min(s.OutWidth, ((s.InWidth - 1 - _offset) / sw) + 1);
            X1 = Math.Max(X0, X1);
        }

        /// <summary>First output x that reads inside the image.</summary>
        public int X0 { get; }

        /// <summary>End of the output x that read inside the image.</summary>
        public int X1 { get; }

        /// <summary>The offset of output x = 0's source for output row y (input x = x·sw + offset may be negative), or null when the row lies in the padding.</summary>
        public long? InputRow(int y)
        {
            int iy = (y * _rowStep) + _firstRow;
            return (uint)iy < (uint)_height && X0 < X1 ? _plane + ((long)iy * _width) + _offset : null;
        }
    }

    private static void ForImages(Conv2dShape s, int threads, Action<int> perImage)
    {
        int parts = (int)Math.Clamp((double)s.OutputLength * s.ColumnRows / Gemm.MinMultiplyAddsPerThread, 1, Math.Min(Gemm.ResolveThreads(threads), s.Batch));
        if (parts <= 1)
        {
            for (int n = 0; n < s.Batch; n++)
            {
                perImage(n);
            }

            return;
        }

        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            int n0 = (int)((long)s.Batch * part / parts), n1 = (int)((long)s.Batch * (part + 1) / parts);
            for (int n = n0; n < n1; n++)
            {
                perImage(n);
            }
        });
    }

    /// <summary>out[x] = fma(w, in[x·sw], out[x]) for x in [x0, x1).</summary>
    private static unsafe void MultiplyAddRow(float w, float* inRow, int sw, float* outRow, int x0, int x1)
    {
        int x = x0;
        if (sw == 1 && Vector256.IsHardwareAccelerated)
        {
            var vw = Vector256.Create(w);
            for (; x <= x1 - 8; x += 8)
            {
                Vector256.Store(Vector256.FusedMultiplyAdd(vw, Vector256.Load(inRow + x), Vector256.Load(outRow + x)), outRow + x);
            }
        }

        for (; x < x1; x++)
        {
            outRow[x] = MathF.FusedMultiplyAdd(w, inRow[(long)x * sw], outRow[x]);
        }
    }

    /// <summary>in[x·sw] = fma(w, dy[x], in[x·sw]) for x in [x0, x1).</summary>
    private static unsafe void ScatterMultiplyAddRow(float w, float* dyRow, float* inRow, int sw, int x0, int x1)
    {
        int x = x0;
        if (sw == 1 && Vector256.IsHardwareAccelerated)
        {
            var vw = Vector256.Create(w);
            for (; x <= x1 - 8; x += 8)
            {
                Vector256.Store(Vector256.FusedMultiplyAdd(vw, Vector256.Load(dyRow + x), Vector256.Load(inRow + x)), inRow + x);
            }
        }

        for (; x < x1; x++)
        {
            long i = (long)x * sw;
            inRow[i] = MathF.FusedMultiplyAdd(w, dyRow[x], inRow[i]);
        }
    }

    /// <summary>Σ dy[x] · in[x·sw] over [x0, x1), eight lanes from x0 then the tail, in an order fixed by the bounds.</summary>
    private static unsafe float DotRow(float* dyRow, float* inRow, int sw, int x0, int x1)
    {
        int x = x0;
        float sum = 0f;
        if (sw == 1 && Vector256.IsHardwareAccelerated && x1 - x0 >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; x <= x1 - 8; x += 8)
            {
                acc = Vector256.FusedMultiplyAdd(Vector256.Load(dyRow + x), Vector256.Load(inRow + x), acc);
            }

            sum = Vector256.Sum(acc);
        }

        for (; x < x1; x++)
        {
            sum = MathF.FusedMultiplyAdd(dyRow[x], inRow[(long)x * sw], sum);
        }

        return sum;
    }
}
