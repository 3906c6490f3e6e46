using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Colorize.Tensors.Kernels;

// im2col and its adjoint col2im: the row walks that the GEMM's B packers, the explicit im2col and the input
// gradient's scatter share, with the vectorised stride-2 gather and scatter.
internal static partial class Convolution
{
    /// <summary>
    /// Writes the im2col matrix of one image and one channel group for the output positions
    /// [<paramref name="start"/>, <paramref name="start"/> + <paramref name="width"/>): row (c·kH + i)·kW + j,
    /// column p holds input[c, y·sH − pH + i·dH, x·sW − pW + j·dW] for position p = y·W_out + x, or 0 in the padding.
    /// </summary>
    /// <param name="shape">The convolution geometry.</param>
    /// <param name="image">The group's channels of one image: [C_in / groups, H, W].</param>
    /// <param name="start">First output position.</param>
    /// <param name="width">Number of output positions.</param>
    /// <param name="columns">[ColumnRows, ld] destination.</param>
    /// <param name="ld">Row length of <paramref name="columns"/> (at least <paramref name="width"/>).</param>
    public static unsafe void Im2Col(in Conv2dShape shape, ReadOnlySpan<float> image, int start, int width, Span<float> columns, int ld)
    {
        CheckColumns(shape, image.Length, start, width, columns.Length, ld);
        fixed (float* src = image)
        fixed (float* dst = columns)
        {
            Im2ColRows(shape, src, start, width, dst, ld, 0, shape.ColumnRows);
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Im2Col"/>: adds every column entry back onto the image position it was read from.
    /// </summary>
    /// <param name="shape">The convolution geometry.</param>
    /// <param name="columns">[ColumnRows, ld] source.</param>
    /// <param name="ld">Row length of <paramref name="columns"/>.</param>
    /// <param name="start">First output position the columns stand for.</param>
    /// <param name="width">Number of output positions.</param>
    /// <param name="image">The group's channels of one image: [C_in / groups, H, W]; accumulated into.</param>
    public static unsafe void Col2Im(in Conv2dShape shape, ReadOnlySpan<float> columns, int ld, int start, int width, Span<float> image)
    {
        CheckColumns(shape, image.Length, start, width, columns.Length, ld);
        fixed (float* src = columns)
        fixed (float* dst = image)
        {
            Col2ImChannels(shape, src, ld, start, width, dst, 0, shape.InChannelsPerGroup);
        }
    }

    private static void CheckColumns(in Conv2dShape shape, int imageLength, int start, int width, int columnsLength, int ld)
    {
        shape.Validate();
        if (start < 0 || width < 0 || start + width > shape.OutSpatial || ld < width)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"Positions [{start}, {start + width}) with row length {ld} do not fit the {shape.OutSpatial} output positions.");
        }

        if (imageLength < shape.InChannelsPerGroup * shape.InSpatial)
        {
            throw new ArgumentException($"The image holds {imageLength} elements but one group of one image needs {shape.InChannelsPerGroup * shape.InSpatial}.");
        }

        if (width > 0 && columnsLength < ((long)(shape.ColumnRows - 1) * ld) + width)
        {
            throw new ArgumentException($"The column matrix holds {columnsLength} elements but needs {((long)(shape.ColumnRows - 1) * ld) + width}.");
        }
    }

    /// <summary>im2col rows [r0, r1) of one image for output positions [start, start + width); row r goes to columns + (r − r0)·ld.</summary>
    internal static unsafe void Im2ColRows(in Conv2dShape s, float* image, int start, int width, float* columns, int ld, int r0, int r1)
    {
        int kh = s.KernelHeight, kw = s.KernelWidth, h = s.InHeight, w = s.InWidth, wo = s.OutWidth;
        int sh = s.StrideHeight, sw = s.StrideWidth, ph = s.PaddingHeight, pw = s.PaddingWidth, dh = s.DilationHeight, dw = s.DilationWidth;
        int end = start + width;
        // Output rows are walked incrementally (no division per row: rows are short in deep layers).
        int yStart = start / wo, xStart = start - (yStart * wo);
        for (int r = r0; r < r1; r++)
        {
            int c = r / (kh * kw), ki = r / kw % kh, kj = r % kw;
            float* plane = image + ((long)c * h * w);
            float* dstRow = columns + ((long)(r - r0) * ld);
            int xOffset = (kj * dw) - pw;
            // Output x whose input x = x·sw + xOffset lies inside [0, w).
            int xLo = xOffset >= 0 ? 0 : (-xOffset + sw - 1) / sw;
            int xHi = w - 1 - xOffset < 0 ? 0 : Math.Min(wo, ((w - 1 - xOffset) / sw) + 1);
            for (int p = start, y = yStart, x0 = xStart; p < end; y++, x0 = 0)
            {
                int x1 = Math.Min(wo, x0 + (end - p));
                float* d = dstRow + (p - start);
                int iy = (y * sh) - ph + (ki * dh);
                if ((uint)iy >= (uint)h)
                {
                    new Span<float>(d, x1 - x0).Clear();
                }
                else
                {
                    float* srcRow = plane + ((long)iy * w) + xOffset;
                    int a = Math.Clamp(xLo, x0, x1), b = Math.Clamp(xHi, a, x1);
                    for (int x = x0; x < a; x++)
                    {
                        d[x - x0] = 0f;
                    }

                    if (sw == 1)
                    {
                        new ReadOnlySpan<float>(srcRow + a, b - a).CopyTo(new Span<float>(d + (a - x0), b - a));
                    }
                    else if (sw == 2)
                    {
                        GatherEven(srcRow + (2L * a), d + (a - x0), b - a);
                    }
                    else
                    {
                        for (int x = a; x < b; x++)
                        {
                            d[x - x0] = srcRow[(long)x * sw];
                        }
                    }

                    for (int x = b; x < x1; x++)
                    {
                        d[x - x0] = 0f;
                    }
                }

                p += x1 - x0;
            }
        }
    }

    /// <summary>col2im for input channels [c0, c1) of one image, output positions [start, start + width).</summary>
    private static unsafe void Col2ImChannels(in Conv2dShape s, float* columns, int ld, int start, int width, float* image, int c0, int c1)
    {
        int kh = s.KernelHeight, kw = s.KernelWidth, h = s.InHeight, w = s.InWidth, wo = s.OutWidth;
        int sh = s.StrideHeight, sw = s.StrideWidth, ph = s.PaddingHeight, pw = s.PaddingWidth, dh = s.DilationHeight, dw = s.DilationWidth;
        int end = start + width;
        int yStart = start / wo, xStart = start - (yStart * wo);
        for (int c = c0; c < c1; c++)
        {
            float* plane = image + ((long)c * h * w);
            for (int ki = 0; ki < kh; ki++)
            {
                for (int kj = 0; kj < kw; kj++)
                {
                    int r = (((c * kh) + ki) * kw) + kj;
                    float* srcRow = columns + ((long)r * ld);
                    int xOffset = (kj * dw) - pw;
                    int xLo = xOffset >= 0 ? 0 : (-xOffset + sw - 1) / sw;
                    int xHi = w - 1 - xOffset < 0 ? 0 : Math.Min(wo, ((w - 1 - xOffset) / sw) + 1);
                    for (int p = start, y = yStart, x0 = xStart; p < end; y++, x0 = 0)
                    {
                        int x1 = Math.Min(wo, x0 + (end - p));
                        int iy = (y * sh) - ph + (ki * dh);
                        if ((uint)iy < (uint)h)
                        {
                            float* src = srcRow + (p - start);
                            float* dstRow = plane + ((long)iy * w) + xOffset;
                            int a = Math.Clamp(xLo, x0, x1), b = Math.Clamp(xHi, a, x1);
                            if (sw == 1)
                            {
                                var target = new Span<float>(dstRow + a, b - a);
                                TensorPrimitives.Add(target, new ReadOnlySpan<float>(src + (a - x0), b - a), target);
                            }
                            else if (sw == 2)
                            {
                                ScatterAddEven(src + (a - x0), dstRow + (2L * a), b - a);
                            }
                            else
                            {
                                for (int x = a; x < b; x++)
                                {
                                    dstRow[(long)x * sw] += src[x - x0];
                                }
                            }
                        }

                        p += x1 - x0;
                    }
                }
            }
        }
    }

    /// <summary>d[i] = s[2i] for i &lt; count (the stride-2 im2col row), eight at a time with AVX2.</summary>
    internal static unsafe void GatherEven(float* s, float* d, int count)
    {
        int i = 0;
        if (Avx2.IsSupported)
        {
            // Reads reach s[2i + 15]; stopping while i ≤ count − 9 keeps them before s[2·(count − 1)], the last element needed.
            for (; i <= count - 9; i += 8)
            {
                Vector256<float> evens = Avx.Shuffle(Avx.LoadVector256(s + (2 * i)), Avx.LoadVector256(s + (2 * i) + 8), 0x88);
                Avx.Store(d + i, Avx2.Permute4x64(evens.AsDouble(), 0xD8).AsSingle());
            }
        }

        for (; i < count; i++)
        {
            d[i] = s[2 * i];
        }
    }

    /// <summary>d[2i] += s[i] for i &lt; count (the stride-2 col2im row); the odd entries in between get + 0.</summary>
    private static unsafe void ScatterAddEven(float* s, float* d, int count)
    {
        int i = 0;
        if (Avx2.IsSupported)
        {
            // Touches d[2i .. 2i + 15], all inside the row while i ≤ count − 9 (the last one needed is d[2·(count − 1)]).
            for (; i <= count - 9; i += 8)
            {
                Vector256<float> v = Avx.LoadVector256(s + i);
                Vector256<float> low = Avx.UnpackLow(v, Vector256<float>.Zero), high = Avx.UnpackHigh(v, Vector256<float>.Zero);
                float* target = d + (2 * i);
                Avx.Store(target, Avx.Add(Avx.LoadVector256(target), Avx.Permute2x128(low, high, 0x20)));
                Avx.Store(target + 8, Avx.Add(Avx.LoadVector256(target + 8), Avx.Permute2x128(low, high, 0x31)));
            }
        }

        for (; i < count; i++)
        {
            d[2 * i] += s[i];
        }
    }
}
