using System.Globalization;
using Colorize.Tensors.Autograd;
using System.Runtime.CompilerServices;
using System.Text;

namespace Colorize.Tensors;

/// <summary>
/// A dense float32 tensor of any rank, stored contiguously in row-major order (NCHW for images), with
/// define-by-run autograd like PyTorch's <c>torch.Tensor</c>.
/// </summary>
/// <remarks>
/// Tensors are always contiguous: <see cref="Reshape(int[])"/> returns a view that shares storage, while
/// permute, transpose and narrow copy. Keeping one layout keeps every kernel simple and SIMD-friendly; the copies
/// are cheap next to the convolutions that dominate colorization models.
/// </remarks>
public sealed partial class Tensor
{
    private readonly float[] _storage;
    private readonly int[] _shape;
    private bool _requiresGrad;

    internal Tensor(float[] storage, int[] shape)
    {
        long count = ShapeUtil.CheckedCount(shape);
        if (storage.Length < count)
        {
            throw new ArgumentException($"Storage holds {storage.Length} elements but shape {ShapeUtil.Format(shape)} needs {count}.");
        }

        _storage = storage;
        _shape = shape;
        Count = (int)count;
    }

    /// <summary>The number of elements.</summary>
    public int Count { get; }

    /// <summary>The number of dimensions (0 for a scalar).</summary>
    public int Rank => _shape.Length;

    /// <summary>The size of every dimension.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The elements in row-major order. Writing to them bypasses autograd.</summary>
    public Span<float> Data => _storage.AsSpan(0, Count);

    /// <summary>Whether operations on this tensor are recorded for <see cref="Backward"/>.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (!value && GradFn is not null)
            {
                throw new InvalidOperationException("RequiresGrad can only be cleared on leaf tensors; use Detach() instead.");
            }

            _requiresGrad = value;
        }
    }

    /// <summary>The accumulated gradient of a leaf tensor after <see cref="Backward"/>, or null.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The autograd node that produced this tensor; null for leaves and for results computed without grad.</summary>
    internal Node? GradFn { get; private set; }

    /// <summary>True when this tensor was created by the user rather than by a recorded operation.</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>The raw storage, possibly shared with views. Kernels read and write it directly.</summary>
    internal float[] Storage => _storage;

    internal int[] ShapeArray => _shape;

    /// <summary>The size of dimension <paramref name="dim"/>; negative values count from the end.</summary>
    public int Size(int dim) => _shape[ShapeUtil.NormalizeDim(dim, Rank)];

    /// <summary>A copy of the shape.</summary>
    public int[] GetShape() => (int[])_shape.Clone();

    /// <summary>Copies the elements into a new array.</summary>
    public float[] ToArray() => Data.ToArray();

    /// <summary>The value of a one-element tensor.</summary>
    public float Item()
    {
        if (Count != 1)
        {
            throw new InvalidOperationException($"Item() needs a tensor with one element, this one has shape {ShapeUtil.Format(_shape)}.");
        }

        return _storage[0];
    }

    /// <summary>Reads the element at the given indices.</summary>
    [IndexerName("At")]
    public float this[params int[] indices]
    {
        get => _storage[ShapeUtil.Offset(_shape, indices)];
        set => _storage[ShapeUtil.Offset(_shape, indices)] = value;
    }

    internal void SetGradFn(Node node)
    {
        GradFn = node;
        _requiresGrad = true;
    }

    /// <summary>A tensor that shares this tensor's data but is cut from the autograd graph.</summary>
    public Tensor Detach() => new(_storage, _shape);

    /// <summary>A deep copy; recorded by autograd like PyTorch's <c>clone()</c>.</summary>
    public Tensor Clone()
    {
        var result = new Tensor(Data.ToArray(), GetShape());
        if (Autograd.GradMode.ShouldRecord(this))
        {
            Autograd.Node.Record(result, "CloneBackward", [this], (g, _) => [g]);
        }

        return result;
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor, for fluent construction.</summary>
    public Tensor SetRequiresGrad(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>Copies <paramref name="source"/>'s elements into this tensor, without autograd (like <c>copy_</c> under no_grad).</summary>
    public void CopyFrom(Tensor source)
    {
        if (!ShapeUtil.SameShape(_shape, source._shape))
        {
            throw new ArgumentException($"Cannot copy a tensor of shape {ShapeUtil.Format(source._shape)} into one of shape {ShapeUtil.Format(_shape)}.");
        }

        source.Data.CopyTo(Data);
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("Tensor").Append(ShapeUtil.Format(_shape));
        if (RequiresGrad)
        {
            sb.Append(", requires_grad");
        }

        sb.Append(" [");
        int shown = Math.Min(Count, 8);
        for (int i = 0; i < shown; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(_storage[i].ToString("G6", CultureInfo.InvariantCulture));
        }

        if (Count > shown)
        {
            sb.Append(", …");
        }

        return sb.Append(']').ToString();
    }

    // ---- creation -------------------------------------------------------------------------------------------

    /// <summary>A tensor filled with zeros.</summary>
    public static Tensor Zeros(params int[] shape) => new(new float[ShapeUtil.CheckedCount(shape)], (int[])shape.Clone());

    /// <summary>A tensor filled with ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(float value, params int[] shape)
    {
        var t = Empty(shape);
        t.Data.Fill(value);
        return t;
    }

    /// <summary>A tensor of zeros with the same shape as <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Zeros(like._shape);

    /// <summary>A tensor of ones with the same shape as <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Ones(like._shape);

    /// <summary>A one-element tensor of rank 0.</summary>
    public static Tensor Scalar(float value) => new([value], []);

    /// <summary>An uninitialised tensor; every element must be written before it is read.</summary>
    internal static Tensor Empty(params int[] shape)
    {
        long count = ShapeUtil.CheckedCount(shape);
        return new Tensor(GC.AllocateUninitializedArray<float>((int)count), (int[])shape.Clone());
    }

    /// <summary>Values from <paramref name="start"/> up to (not including) <paramref name="end"/>, like <c>torch.arange</c>.</summary>
    public static Tensor Arange(float start, float end, float step = 1f)
    {
        if (step == 0 || float.IsNaN(step))
        {
            throw new ArgumentOutOfRangeException(nameof(step), "Step must be non-zero.");
        }

        int n = (int)Math.Max(0, Math.Ceiling((end - start) / (double)step));
        var t = Empty(n);
        var d = t.Data;
        for (int i = 0; i < n; i++)
        {
            d[i] = (float)(start + (i * (double)step));
        }

        return t;
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> data, params int[] shape)
    {
        if (shape.Length == 0 && data.Length != 1)
        {
            shape = [data.Length];
        }

        long count = ShapeUtil.CheckedCount(shape);
        if (count != data.Length)
        {
            throw new ArgumentException($"{data.Length} values do not fill shape {ShapeUtil.Format(shape)} ({count} elements).");
        }

        return new Tensor(data.ToArray(), (int[])shape.Clone());
    }

    /// <summary>Wraps <paramref name="data"/> without copying; the caller must not resize it.</summary>
    public static Tensor Wrap(float[] data, params int[] shape) => new(data, (int[])shape.Clone());

    /// <summary>Uniform samples in [<paramref name="low"/>, <paramref name="high"/>) from <paramref name="generator"/>.</summary>
    public static Tensor Rand(Generator generator, float low, float high, params int[] shape)
    {
        var t = Empty(shape);
        generator.FillUniform(t.Data, low, high);
        return t;
    }

    /// <summary>Normal samples with the given mean and standard deviation from <paramref name="generator"/>.</summary>
    public static Tensor Randn(Generator generator, float mean, float std, params int[] shape)
    {
        var t = Empty(shape);
        generator.FillNormal(t.Data, mean, std);
        return t;
    }

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor Rand(Generator generator, params int[] shape) => Rand(generator, 0f, 1f, shape);

    /// <summary>Standard normal samples.</summary>
    public static Tensor Randn(Generator generator, params int[] shape) => Randn(generator, 0f, 1f, shape);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Tensor Result(float[] storage, int[] shape) => new(storage, shape);
}
