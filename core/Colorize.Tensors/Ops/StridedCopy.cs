namespace Colorize.Tensors.Ops;

/// <summary>Gathers a strided view of a source into a contiguous destination (permute, slice and expand copy through it).</summary>
internal static class StridedCopy
{
    /// <summary>dst[i] = src[offset + Σ index_k · strides_k] over <paramref name="shape"/> in row-major order.</summary>
    public static void Gather(float[] src, int offset, int[] shape, int[] strides, float[] dst, int dstOffset = 0)
    {
        // Merge dimensions that are contiguous in the source to make the inner run long.
        var dims = new List<(int Size, int Stride)>();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] != 1)
            {
                dims.Add((shape[i], strides[i]));
            }
        }

        if (dims.Count == 0)
        {
            dst[dstOffset] = src[offset];
            return;
        }

        var merged = new List<(int Size, int Stride)> { dims[^1] };
        for (int i = dims.Count - 2; i >= 0; i--)
        {
            if (dims[i].Stride == merged[0].Size * merged[0].Stride)
            {
                merged[0] = (merged[0].Size * dims[i].Size, merged[0].Stride);
            }
            else
            {
                merged.Insert(0, dims[i]);
            }
        }

        int inner = merged[^1].Size;
        int innerStride = merged[^1].Stride;
        int outerDims = merged.Count - 1;
        var outerShape = new int[outerDims];
        var outerStrides = new int[outerDims];
        int rows = 1;
        for (int i = 0; i < outerDims; i++)
        {
            (outerShape[i], outerStrides[i]) = merged[i];
            rows *= outerShape[i];
        }

        Parallelism.For(rows, Math.Max(1, Elementwise.Grain / Math.Max(1, inner)), (s, e) =>
        {
            for (int row = s; row < e; row++)
            {
                int r = row;
                int so = offset;
                for (int i = outerDims - 1; i >= 0; i--)
                {
                    so += (r % outerShape[i]) * outerStrides[i];
                    r /= outerShape[i];
                }

                int d0 = dstOffset + (row * inner);
                if (innerStride == 1)
                {
                    Array.Copy(src, so, dst, d0, inner);
                }
                else
                {
                    for (int j = 0; j < inner; j++)
                    {
                        dst[d0 + j] = src[so + (j * innerStride)];
                    }
                }
            }
        });
    }
}
