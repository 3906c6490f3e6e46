using Colorize.Tensors;

namespace Colorize.Onnx;

/// <summary>One operator call in a graph: its type, the names of the values it reads and writes, and its attributes.</summary>
public sealed class OnnxNode
{
    internal OnnxNode(string name, string opType, string domain, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, IReadOnlyDictionary<string, OnnxAttributeValue> attributes)
    {
        (Name, OpType, Domain, Inputs, Outputs, Attributes) = (name, opType, domain, inputs, outputs, attributes);
    }

    /// <summary>The node's name; may be empty (ONNX does not require one).</summary>
    public string Name { get; }

    /// <summary>The operator, e.g. <c>Conv</c>.</summary>
    public string OpType { get; }

    /// <summary>The operator's domain; empty for the default ONNX operators.</summary>
    public string Domain { get; }

    /// <summary>Input value names in operator order; an empty name is an omitted optional input.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Output value names in operator order; an empty name is an unused optional output.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>The attributes by name.</summary>
    public IReadOnlyDictionary<string, OnnxAttributeValue> Attributes { get; }

    /// <summary>The integer attribute <paramref name="name"/>, or <paramref name="defaultValue"/> when absent.</summary>
    /// <exception cref="OnnxFormatException">The attribute exists with another type.</exception>
    public long GetInt(string name, long defaultValue) =>
        Attributes.TryGetValue(name, out var a) ? a.Expect(OnnxAttributeType.Int, this).Int : defaultValue;

    /// <summary>The float attribute <paramref name="name"/>, or <paramref name="defaultValue"/> when absent.</summary>
    /// <exception cref="OnnxFormatException">The attribute exists with another type.</exception>
    public float GetFloat(string name, float defaultValue) =>
        Attributes.TryGetValue(name, out var a) ? a.Expect(OnnxAttributeType.Float, this).Float : defaultValue;

    /// <summary>The string attribute <paramref name="name"/>, or <paramref name="defaultValue"/> when absent.</summary>
    /// <exception cref="OnnxFormatException">The attribute exists with another type.</exception>
    public string? GetString(string name, string? defaultValue) =>
        Attributes.TryGetValue(name, out var a) ? a.Expect(OnnxAttributeType.String, this).String : defaultValue;

    /// <summary>The integer-list attribute <paramref name="name"/>, or null when absent.</summary>
    /// <exception cref="OnnxFormatException">The attribute exists with another type.</exception>
    public IReadOnlyList<long>? GetInts(string name) =>
        Attributes.TryGetValue(name, out var a) ? a.Expect(OnnxAttributeType.Ints, this).Ints : null;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{OpType} node '{Name}' ({string.Join(", ", Inputs)} → {string.Join(", ", Outputs)})";
}

/// <summary>The kind of value an <see cref="OnnxAttributeValue"/> holds (the readable subset of onnx.proto's AttributeType).</summary>
public enum OnnxAttributeType
{
    /// <summary>A kind this reader does not convert (graph, sparse tensor, type proto and their lists).</summary>
    Unsupported,

    /// <summary>One float: <see cref="OnnxAttributeValue.Float"/>.</summary>
    Float,

    /// <summary>One integer: <see cref="OnnxAttributeValue.Int"/>.</summary>
    Int,

    /// <summary>One string: <see cref="OnnxAttributeValue.String"/>.</summary>
    String,

    /// <summary>One float32 tensor: <see cref="OnnxAttributeValue.Tensor"/>.</summary>
    Tensor,

    /// <summary>A float list: <see cref="OnnxAttributeValue.Floats"/>.</summary>
    Floats,

    /// <summary>An integer list: <see cref="OnnxAttributeValue.Ints"/>.</summary>
    Ints,

    /// <summary>A string list: <see cref="OnnxAttributeValue.Strings"/>.</summary>
    Strings,
}

/// <summary>A node attribute (name and value). Only the property that matches <see cref="Type"/> carries the value.</summary>
public sealed class OnnxAttributeValue
{
    internal OnnxAttributeValue(string name, OnnxAttributeType type)
    {
        (Name, Type) = (name, type);
    }

    /// <summary>The attribute's name, e.g. <c>kernel_shape</c>.</summary>
    public string Name { get; }

    /// <summary>Which of the value properties holds the value.</summary>
    public OnnxAttributeType Type { get; }

    /// <summary>The value of a <see cref="OnnxAttributeType.Float"/> attribute.</summary>
    public float Float { get; init; }

    /// <summary>The value of an <see cref="OnnxAttributeType.Int"/> attribute.</summary>
    public long Int { get; init; }

    /// <summary>The value of a <see cref="OnnxAttributeType.String"/> attribute (ONNX strings are bytes; read as UTF-8).</summary>
    public string? String { get; init; }

    /// <summary>The value of a <see cref="OnnxAttributeType.Tensor"/> attribute.</summary>
    public Tensor? Tensor { get; init; }

    /// <summary>The value of a <see cref="OnnxAttributeType.Floats"/> attribute.</summary>
    public IReadOnlyList<float> Floats { get; init; } = [];

    /// <summary>The value of an <see cref="OnnxAttributeType.Ints"/> attribute.</summary>
    public IReadOnlyList<long> Ints { get; init; } = [];

    /// <summary>The value of a <see cref="OnnxAttributeType.Strings"/> attribute.</summary>
    public IReadOnlyList<string> Strings { get; init; } = [];

    internal OnnxAttributeValue Expect(OnnxAttributeType type, OnnxNode node) => Type == type
        ? this
        : throw new OnnxFormatException($"Attribute '{Name}' of {node} is {Type}, expected {type}.");

    /// <inheritdoc/>
    public override string ToString() => Type switch
    {
        OnnxAttributeType.Float => $"{Name}={Float}",
        OnnxAttributeType.Int => $"{Name}={Int}",
        OnnxAttributeType.String => $"{Name}=\"{String}\"",
        OnnxAttributeType.Tensor => $"{Name}=tensor[{string.Join("×", Tensor!.GetShape())}]",
        OnnxAttributeType.Floats => $"{Name}=[{string.Join(", ", Floats)}]",
        OnnxAttributeType.Ints => $"{Name}=[{string.Join(", ", Ints)}]",
        OnnxAttributeType.Strings => $"{Name}=[{string.Join(", ", Strings)}]",
        _ => $"{Name}=(unsupported)",
    };
}
