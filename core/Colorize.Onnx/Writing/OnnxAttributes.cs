namespace Colorize.Onnx.Writing;

/// <summary>
/// Makes node attributes for <see cref="OnnxGraphBuilder.AddNode(string, IReadOnlyList{string}, string?, OnnxAttributeValue[])"/>:
/// the same <see cref="OnnxAttributeValue"/> type the reader gives, so a written graph reads back attribute for attribute.
/// </summary>
public static class OnnxAttributes
{
    /// <summary>An integer attribute, e.g. <c>axis</c>.</summary>
    public static OnnxAttributeValue Int(string name, long value) => new(Check(name), OnnxAttributeType.Int) { Int = value };

    /// <summary>A float attribute, e.g. <c>epsilon</c>.</summary>
    public static OnnxAttributeValue Float(string name, float value) => new(Check(name), OnnxAttributeType.Float) { Float = value };

    /// <summary>A string attribute, e.g. <c>mode</c>.</summary>
    public static OnnxAttributeValue String(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(Check(name), OnnxAttributeType.String) { String = value };
    }

    /// <summary>An integer-list attribute, e.g. <c>kernel_shape</c>.</summary>
    public static OnnxAttributeValue Ints(string name, params long[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new(Check(name), OnnxAttributeType.Ints) { Ints = [.. values] };
    }

    /// <summary>A float-list attribute.</summary>
    public static OnnxAttributeValue Floats(string name, params float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new(Check(name), OnnxAttributeType.Floats) { Floats = [.. values] };
    }

    private static string Check(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return name;
    }
}
