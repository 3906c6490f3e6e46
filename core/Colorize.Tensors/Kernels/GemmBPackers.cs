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
/// op(B) = the im2col matrix of one channel group of <paramref name="images"/> consecutive images, for the output
/// positions [start, start + …) of the first image (or all positions of each image when images &gt; 1): column j
/// is position start + j of image j / OutSpatial. It is packed straight from the input, never stored.
/// </summary>
internal readonly unsafe struct Im2ColBPacker(Conv2dShape shape, float* firstImage, int imageStride, int images, int start) : IGemmBPacker
{
    /// <inheritdoc/>
    public void Pack(int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        // One im2col row segment at a time into a small scratch row, then dealt out to the panels.
        int spatial = shape.OutSpatial;
        float* row = stackalloc float[nc];
        for (int p = 0; p < kc; p++)
        {
            int r = p0 + p;
            if (images == 1)
            {
                Convolution.Im2ColRows(shape, firstImage, start + j0, nc, row, nc, r, r + 1);
            }
            else
            {
                for (int j = j0; j < j0 + nc;)
                {
                    int image = j / spatial, position = j - (image * spatial), count = Math.Min(spatial - position, j0 + nc - j);
                    Convolution.Im2ColRows(shape, firstImage + ((long)image * imageStride), position, count, row + (j - j0), nc, r, r + 1);
                    j += count;
                }
            }

            GemmPacking.DealRow(row, nc, nr, kc, p, dst);
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
        int spatial = shape.OutSpatial;
        float* block = stackalloc float[Group * kc];
        for (int jr = 0; jr < nc; jr += nr)
        {
            float* panel = dst + ((nint)jr * kc);
            for (int g0 = 0; g0 < nr; g0 += Group)
            {
                int width = Math.Min(Group, nr - g0);
                int valid = Math.Clamp(nc - jr - g0, 0, width);
                for (int t = 0; t < valid; t++)
                {
                    int r = j0 + jr + g0 + t;
                    float* row = block + ((nint)t * kc);
                    if (images == 1)
                    {
                        Convolution.Im2ColRows(shape, firstImage, start + p0, kc, row, kc, r, r + 1);
                    }
                    else
                    {
                        for (int p = p0; p < p0 + kc;)
                        {
                            int image = p / spatial, position = p - (image * spatial), count = Math.Min(spatial - position, p0 + kc - p);
                            Convolution.Im2ColRows(shape, firstImage + ((long)image * imageStride), position, count, row + (p - p0), kc, r, r + 1);
                            p += count;
                        }
                    }
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
