using System.Globalization;

namespace Colorize.Tensors;

/// <summary>Shape arithmetic shared by the ops: element counts, strides, broadcasting and dimension checks.</summary>
internal static class ShapeUtil
{
    /// <summary>The element count, refusing shapes whose count does not fit a .NET array.</summary>
    public static long CheckedCount(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Shape {Format(shape)} has a negative dimension.");
            }

            count *= d;
            if (count > Array.MaxLength)
            {
                throw new ArgumentException($"Shape {Format(shape)} has more elements than a tensor can hold ({Array.MaxLength}).");
            }
        }

        return count;
    }

    public static int Count(ReadOnlySpan<int> shape)
    {
        int count = 1;
        foreach (int d in shape)
        {
            count *= d;
        }

        return count;
    }

    public static int[] Strides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }

        return strides;
    }

    public static int NormalizeDim(int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank)
        {
            throw new ArgumentOutOfRangeException(nameof(dim), $"Dimension {dim} is out of range for a tensor of rank {rank}.");
        }

        return d;
    }

    public static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    public static int Offset(ReadOnlySpan<int> shape, ReadOnlySpan<int> indices)
    {
        if (indices.Length != shape.Length)
        {
            throw new ArgumentException($"{indices.Length} indices given for a tensor of rank {shape.Length}.");
        }

        int offset = 0;
        for (int i = 0; i < shape.Length; i++)
        {
            int idx = indices[i] < 0 ? indices[i] + shape[i] : indices[i];
            if ((uint)idx >= (uint)shape[i])
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"Index {indices[i]} is out of range for dimension {i} of size {shape[i]}.");
            }

            offset = (offset * shape[i]) + idx;
        }

        return offset;
    }

    /// <summary>The NumPy/PyTorch broadcast of two shapes.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
            {
                throw new ArgumentException($"Shapes {Format(a)} and {Format(b)} cannot be broadcast together.");
            }

            result[i] = da == 1 ? db : da;
        }

        return result;
    }

    /// <summary>Strides of <paramref name="shape"/> viewed as broadcast to <paramref name="target"/> (0 where broadcast).</summary>
    public static int[] BroadcastStrides(ReadOnlySpan<int> shape, ReadOnlySpan<int> target)
    {
        var strides = new int[target.Length];
        var own = Strides(shape);
        int offset = target.Length - shape.Length;
        for (int i = 0; i < target.Length; i++)
        {
            int j = i - offset;
            strides[i] = j < 0 || shape[j] == 1 ? 0 : own[j];
        }

        return strides;
    }

    public static string Format(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }

    /// <summary>Resolves a single -1 in a requested shape against an element count, as <c>view</c> does.</summary>
    public static int[] InferShape(ReadOnlySpan<int> requested, int count)
    {
        var shape = requested.ToArray();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (infer >= 0)
                {
                    throw new ArgumentException("Only one dimension can be inferred (-1).");
                }

                infer = i;
            }
            else if (shape[i] < 0)
            {
                throw new ArgumentException($"Invalid shape {Format(requested)}.");
            }
            else
            {
                known *= shape[i];
            }
        }

        if (infer >= 0)
        {
            if (known == 0 || count % known != 0)
            {
                throw new ArgumentException($"Shape {Format(requested)} is invalid for {count} elements.");
            }

            shape[infer] = (int)(count / known);
        }
        else if (known != count)
        {
            throw new ArgumentException($"Shape {Format(requested)} is invalid for {count} elements.");
        }

        return shape;
    }
}
