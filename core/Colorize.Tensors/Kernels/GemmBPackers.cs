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
