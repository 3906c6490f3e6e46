using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Colorize.Tensors.Kernels;

/// <summary>
/// Produces blocks of op(B) in the packed panel layout (see <see cref="GemmPacking"/>): for rows [p0, p0 + kc)
/// and columns [j0, j0 + nc), ⌈nc/nr⌉ panels of kc·nr floats, columns past nc zero. The GEMM driver is generic
/// over it, so a B that is computed on the fly (an im2col matrix) costs no stored copy.
/// </summary>
internal interface IGemmBPacker
{
    /// <summary>Writes the packed block to <paramref name="dst"/> (which has <see cref="GemmPacking.Slack"/> floats of room after it).</summary>
    unsafe void Pack(int p0, int kc, int j0, int nc, int nr, float* dst);
}

/// <summary>op(B) from a stored row-major matrix.</summary>
internal readonly unsafe struct MatrixBPacker(bool transB, float* b, int ldb) : IGemmBPacker
{
    /// <inheritdoc/>
    public void Pack(int p0, int kc, int j0, int nc, int nr, float* dst) => GemmPacking.PackB(transB, b, ldb, p0, kc, j0, nc, nr, dst);
}

/// <summary>
/// op(B)[p, j] = planes[offsets[p] + j]: each K row is a contiguous run. Kernels with a rows twin
/// (<see cref="GemmConfig.RowsKernel"/>) read the runs in place; the others get them packed with plain copies.
/// The memory must be readable for <see cref="Slack"/> floats past the end of every run (a partial tile's loads).
/// </summary>
internal readonly unsafe struct OffsetRowsBPacker(float* planes, int* offsets) : IGemmBPacker
{
    /// <summary>Floats past the end of a run that the rows kernels may read (at least the widest NR − 1).</summary>
    public const int Slack = 32;

    /// <summary>Gets the base of the runs.</summary>
    public float* Planes => planes;

    /// <summary>Gets the offset of each K row's run from <see cref="Planes"/>.</summary>
    public int* Offsets => offsets;

    /// <inheritdoc/>
    public void Pack(int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        for (int p = 0; p < kc; p++)
        {
            GemmPacking.DealRow(planes + offsets[p0 + p] + j0, nc, nr, kc, p, dst);
        }
    }
}

/// <summary>
/// op(B) = the im2col matrix of one channel group of <paramref name="images"/> consecutive images, for the output
/// positions [start, start + …) of the first image (or all positions of each image when images &gt; 1): column j
/// is position start + j of image j / OutSpatial. It is packed straight from the input, never stored.
/// </summary>
internal readonly unsafe struct Im2ColBPacker(Conv2dShape shape, float* firstImage, int imageStride, int images, int start) : IGemmBPacker
{
    /// <inheritdoc/>
    public void Pack(int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        // Each im2col row segment is written straight into its panel slots (no scratch row, no dealing pass): a
        // segment is a run of one output row that stays inside one panel, so it is a short copy, gather or fill.
        Im2ColWalk walk = Im2ColWalk.At(shape, images == 1 ? start + j0 : j0);
        nint panelStride = (nint)nr * kc;
        for (int p = 0; p < kc; p++)
        {
            Im2ColWalk.WriteRow(shape, firstImage, imageStride, p0 + p, walk, nc, nr, panelStride, dst + ((nint)p * nr));
        }
    }
}

/// <summary>
/// op(B) = the transposed im2col matrix (rows: output positions, the product's K; columns: im2col rows), for the
/// weight gradient dW = dY · im2colᵀ. Positions run over <paramref name="images"/> consecutive images as in
/// <see cref="Im2ColBPacker"/>. Eight im2col rows at a time are built in a scratch block and transposed into the panels.
/// </summary>
internal readonly unsafe struct Im2ColTransposedBPacker(Conv2dShape shape, float* firstImage, int imageStride, int images, int start) : IGemmBPacker
{
    /// <inheritdoc/>
    public void Pack(int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        const int Group = 8;
        float* block = stackalloc float[Group * kc];
        Im2ColWalk walk = Im2ColWalk.At(shape, images == 1 ? start + p0 : p0);
        for (int jr = 0; jr < nc; jr += nr)
        {
            float* panel = dst + ((nint)jr * kc);
            for (int g0 = 0; g0 < nr; g0 += Group)
            {
                int width = Math.Min(Group, nr - g0);
                int valid = Math.Clamp(nc - jr - g0, 0, width);
                for (int t = 0; t < valid; t++)
                {
                    // One im2col row of kc positions, as a single "panel" kc wide.
                    Im2ColWalk.WriteRow(shape, firstImage, imageStride, j0 + jr + g0 + t, walk, kc, kc, 0, block + ((nint)t * kc));
                }

                int k = 0;
                if (width == Group && System.Runtime.Intrinsics.X86.Avx.IsSupported)
                {
                    // Rows past valid read as zero, so padding columns come out zero too.
                    for (; k <= kc - Group; k += Group)
                    {
                        GemmPacking.Transpose8x8(block + k, kc, valid, panel + ((nint)k * nr) + g0, nr);
                    }
                }

                for (; k < kc; k++)
                {
                    float* d = panel + ((nint)k * nr) + g0;
                    for (int t = 0; t < width; t++)
                    {
                        d[t] = t < valid ? block[((nint)t * kc) + k] : 0f;
                    }
                }
            }
        }
    }
}

/// <summary>
/// A position in the im2col column sequence (image, output row, output column), and the writer that lays one im2col
/// row's run of columns out into packed panels.
/// </summary>
/// <param name="Image">Image index relative to the first image.</param>
/// <param name="Y">Output row.</param>
/// <param name="X">Output column.</param>
internal readonly record struct Im2ColWalk(int Image, int Y, int X)
{
    /// <summary>The walk position of column <paramref name="position"/> counted from output position 0 of the first image.</summary>
    public static Im2ColWalk At(in Conv2dShape s, int position)
    {
        int spatial = s.OutSpatial, image = position / spatial, rest = position - (image * spatial), y = rest / s.OutWidth;
        return new Im2ColWalk(image, y, rest - (y * s.OutWidth));
    }

    /// <summary>
    /// Writes im2col row <paramref name="r"/> for <paramref name="count"/> columns from <paramref name="from"/> on:
    /// column t goes to dst[(t / nr)·panelStride + t % nr], and the last panel's slots past count get 0. Each run
    /// of one output row inside one panel is a single copy (stride 1), even-element gather (stride 2) or strided
    /// read, with zeros where the kernel tap falls in the padding; the values are those of <see cref="Convolution.Im2ColRows"/>.
    /// </summary>
    public static unsafe void WriteRow(in Conv2dShape s, float* firstImage, int imageStride, int r, Im2ColWalk from, int count, int nr, nint panelStride, float* dst)
    {
        int kh = s.KernelHeight, kw = s.KernelWidth, h = s.InHeight, w = s.InWidth, wo = s.OutWidth, ho = s.OutHeight;
        int sh = s.StrideHeight, sw = s.StrideWidth;
        int c = r / (kh * kw), ki = r / kw % kh, kj = r % kw;
        int rowOffset = (ki * s.DilationHeight) - s.PaddingHeight, xOffset = (kj * s.DilationWidth) - s.PaddingWidth;
        // Output x whose input x = x·sw + xOffset lies inside [0, w).
        int xLo = xOffset >= 0 ? 0 : (-xOffset + sw - 1) / sw;
        int xHi = w - 1 - xOffset < 0 ? 0 : Math.Min(wo, ((w - 1 - xOffset) / sw) + 1);
        float* plane = firstImage + ((long)c * h * w) + ((long)from.Image * imageStride);
        int y = from.Y, x = from.X, t = 0;
        float* panel = dst;
        while (count > 0)
        {
            int len = Math.Min(Math.Min(wo - x, nr - t), count);
            float* d = panel + t;
            int iy = (y * sh) + rowOffset;
            if ((uint)iy >= (uint)h)
            {
                Fill(d, len);
            }
            else
            {
                float* srcRow = plane + ((long)iy * w) + xOffset;
                int end = x + len, a = Math.Clamp(xLo, x, end), b = Math.Clamp(xHi, a, end);
                for (int i = x; i < a; i++)
                {
                    d[i - x] = 0f;
                }

                float* da = d + (a - x);
                if (sw == 1)
                {
                    Copy(srcRow + a, da, b - a);
                }
                else if (sw == 2)
                {
                    Convolution.GatherEven(srcRow + (2L * a), da, b - a);
                }
                else
                {
                    for (int i = a; i < b; i++)
                    {
                        da[i - a] = srcRow[(long)i * sw];
                    }
                }

                for (int i = b; i < end; i++)
                {
                    d[i - x] = 0f;
                }
            }

            count -= len;
            x += len;
            t += len;
            if (t == nr)
            {
                t = 0;
                panel += panelStride;
            }

            if (x == wo)
            {
                x = 0;
                if (++y == ho)
                {
                    // Only chunks of several whole images cross into the next image.
                    y = 0;
                    plane += imageStride;
                }
            }
        }

        if (t > 0)
        {
            Fill(panel + t, nr - t);
        }
    }

    /// <summary>d[i] = s[i] for i &lt; n: whole vectors, then one last vector ending exactly at n (it may overlap).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Copy(float* s, float* d, int n)
    {
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            int i = 0;
            for (; i <= n - 8; i += 8)
            {
                Vector256.Store(Vector256.Load(s + i), d + i);
            }

            if (i < n)
            {
                Vector256.Store(Vector256.Load(s + n - 8), d + n - 8);
            }
        }
        else if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            Vector128.Store(Vector128.Load(s), d);
            Vector128.Store(Vector128.Load(s + n - 4), d + n - 4);
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                d[i] = s[i];
            }
        }
    }

    /// <summary>d[i] = 0 for i &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Fill(float* d, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                Vector256.Store(Vector256<float>.Zero, d + i);
            }
        }

        for (; i < n; i++)
        {
            d[i] = 0f;
        }
    }
}
