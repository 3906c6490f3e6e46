using System.Collections.ObjectModel;

namespace Colorize.Tensors.Serialization;

/// <summary>One tensor described by a safetensors header: its name, element type, shape and bytes in the data region.</summary>
/// <remarks>Entries only exist after the whole header was validated, so their numbers are consistent and in bounds.</remarks>
public sealed class SafeTensorsEntry
{
    private readonly long[] _shape;

    internal SafeTensorsEntry(string name, SafeTensorsDType dtype, long[] shape, long elementCount, long dataBegin, long dataEnd)
    {
        Name = name;
        DType = dtype;
        _shape = shape;
        Shape = new ReadOnlyCollection<long>(shape);
        ElementCount = elementCount;
        DataBegin = dataBegin;
        DataEnd = dataEnd;
    }

    /// <summary>The tensor's name, e.g. <c>"down.0.weight"</c>.</summary>
    public string Name { get; }

    /// <summary>The element type stored in the file.</summary>
    public SafeTensorsDType DType { get; }

    /// <summary>The size of every dimension; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The number of elements: the product of <see cref="Shape"/> (1 for a scalar, 0 if a dimension is 0).</summary>
    public long ElementCount { get; }

    /// <summary>The first byte of the tensor, relative to the start of the data region (the header's <c>data_offsets[0]</c>).</summary>
    public long DataBegin { get; }

    /// <summary>One past the last byte of the tensor, relative to the start of the data region (<c>data_offsets[1]</c>).</summary>
    public long DataEnd { get; }

    /// <summary>The number of bytes the tensor occupies: <see cref="ElementCount"/> × the dtype's size.</summary>
    public long ByteLength => DataEnd - DataBegin;

    /// <summary>The shape as <see cref="int"/> values, the form the engine's tensors use.</summary>
    /// <returns>A new array with one entry per dimension.</returns>
    /// <exception cref="OverflowException">A dimension does not fit in an <see cref="int"/>.</exception>
    public int[] GetShapeInt32()
    {
        var shape = new int[_shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            shape[i] = checked((int)_shape[i]);
        }

        return shape;
    }

    /// <summary>A readable description, e.g. <c>conv.weight: F16 [64, 3, 3, 3]</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"{Name}: {DType.ToHeaderName()} [{string.Join(", ", _shape)}]";
}
