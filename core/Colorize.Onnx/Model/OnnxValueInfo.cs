namespace Colorize.Onnx;

/// <summary>ONNX element types, numbered as <c>TensorProto.DataType</c> in onnx.proto.</summary>
public enum OnnxElementType
{
    /// <summary>Not given, or not a tensor.</summary>
    Undefined = 0,

    /// <summary>32-bit IEEE float.</summary>
    Float = 1,

    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 2,

    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 3,

    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,

    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,

    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,

    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 7,

    /// <summary>UTF-8 string.</summary>
    String = 8,

    /// <summary>Boolean.</summary>
    Bool = 9,

    /// <summary>16-bit IEEE float.</summary>
    Float16 = 10,

    /// <summary>64-bit IEEE float.</summary>
    Double = 11,

    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,

    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,

    /// <summary>Complex of two 32-bit floats.</summary>
    Complex64 = 14,

    /// <summary>Complex of two 64-bit floats.</summary>
    Complex128 = 15,

    /// <summary>bfloat16.</summary>
    BFloat16 = 16,
}

/// <summary>One dimension of a declared shape: a number, a symbolic name, or neither (unknown).</summary>
/// <param name="Value">The size, or null when symbolic or unknown.</param>
/// <param name="Symbol">The symbolic name (e.g. <c>batch</c>), or null.</param>
public readonly record struct OnnxDimension(long? Value, string? Symbol)
{
    /// <inheritdoc/>
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Symbol ?? "?";
}

/// <summary>A named value's declared type: a graph input, output or intermediate.</summary>
/// <param name="Name">The value's name in the graph.</param>
/// <param name="ElementType">The tensor element type; <see cref="OnnxElementType.Undefined"/> when not a tensor or not given.</param>
/// <param name="Shape">The declared shape, or null when the file gives none.</param>
public sealed record OnnxValueInfo(string Name, OnnxElementType ElementType, IReadOnlyList<OnnxDimension>? Shape)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: {ElementType}" + (Shape is null ? "" : $"[{string.Join(", ", Shape)}]");
}
