using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Colorize.Onnx.Proto;
using Colorize.Tensors;
using Google.Protobuf;

namespace Colorize.Onnx.Writing;

/// <summary>
/// Builds one ONNX model, a node at a time, on the same generated protobuf types the reader parses: float32
/// initializers from <see cref="Tensor"/>s, int64 constants for shape-like inputs, nodes with attributes, graph inputs
/// and outputs whose dimensions may be named (dynamic), and the model's metadata. <see cref="ToBytes"/> serialises it;
/// <see cref="Save"/> writes it atomically.
/// </summary>
/// <remarks>
/// The builder checks what it can see at each call (duplicate names, inputs that no earlier node, initializer or graph
/// input produced), so a graph it writes is in topological order with every value defined once. It does not check
/// operator semantics; ONNX Runtime and <c>onnx.checker</c> do.
/// </remarks>
public sealed class OnnxGraphBuilder
{
    /// <summary>
    /// The IR version written: 8, the one that goes with opset 17 (ONNX 1.12). ONNX Runtime reads it and every later
    /// runtime does too; a higher IR version would shut out older runtimes for nothing this graph needs.
    /// </summary>
    public const long IrVersion = 8;

    /// <summary>The default-domain operator set written unless the constructor is given another: 17.</summary>
    public const long DefaultOpset = 17;

    private readonly GraphProto _graph;
    private readonly HashSet<string> _defined = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _opCounts = new(StringComparer.Ordinal);

    /// <summary>Starts an empty graph.</summary>
    /// <param name="graphName">The graph's name (e.g. the architecture).</param>
    /// <param name="opset">The default-domain operator set version.</param>
    public OnnxGraphBuilder(string graphName, long opset = DefaultOpset)
    {
        ArgumentNullException.ThrowIfNull(graphName);
        ArgumentOutOfRangeException.ThrowIfLessThan(opset, 1);
        _graph = new GraphProto { Name = graphName };
        Opset = opset;
    }

    /// <summary>The default-domain operator set the model imports.</summary>
    public long Opset { get; }

    /// <summary>Nodes added so far.</summary>
    public int NodeCount => _graph.Node.Count;

    /// <summary>How many nodes of each operator type were added (for a summary line).</summary>
    public IReadOnlyDictionary<string, int> OperatorCounts => _opCounts;

    /// <summary>A value name not used yet, from <paramref name="stem"/> (<c>stem</c>, then <c>stem_1</c>, …).</summary>
    public string UniqueName(string stem)
    {
        ArgumentException.ThrowIfNullOrEmpty(stem);
        if (!_defined.Contains(stem) && !_counters.ContainsKey(stem))
        {
            _counters[stem] = 0;
            return stem;
        }

        int n = _counters.GetValueOrDefault(stem);
        string name;
        do
        {
            name = $"{stem}_{++n}";
        }
        while (_defined.Contains(name));

        _counters[stem] = n;
        return name;
    }

    /// <summary>Adds a float32 initializer (a copy of <paramref name="value"/>'s data, little-endian raw data).</summary>
    /// <returns>The initializer's name (<paramref name="name"/>, made unique).</returns>
    public string AddInitializer(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return AddInitializer(name, value.Data, value.Shape);
    }

    /// <summary>Adds a float32 initializer of shape <paramref name="shape"/> holding <paramref name="values"/>.</summary>
    /// <returns>The initializer's name (<paramref name="name"/>, made unique).</returns>
    public string AddInitializer(string name, ReadOnlySpan<float> values, ReadOnlySpan<int> shape)
    {
        CheckCount(values.Length, shape);
        var bytes = new byte[values.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(bytes);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
            }
        }

        return AddTensor(name, TensorProto.Types.DataType.Float, bytes, shape);
    }

    /// <summary>Adds an int64 initializer (shapes, pads, axes: the inputs ONNX operators take as int64 tensors).</summary>
    /// <returns>The initializer's name (<paramref name="name"/>, made unique).</returns>
    public string AddInt64Initializer(string name, ReadOnlySpan<long> values, ReadOnlySpan<int> shape)
    {
        CheckCount(values.Length, shape);
        var bytes = new byte[values.Length * sizeof(long)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        }

        return AddTensor(name, TensorProto.Types.DataType.Int64, bytes, shape);
    }

    /// <summary>Adds a one-dimensional int64 initializer.</summary>
    public string AddInt64Initializer(string name, params long[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return AddInt64Initializer(name, values, [values.Length]);
    }

    /// <summary>Adds a float32 scalar initializer (shape []), e.g. a bound for <c>Clip</c>.</summary>
    public string AddScalar(string name, float value) => AddInitializer(name, [value], []);

    /// <summary>Declares a graph input. A dimension with a <see cref="OnnxDimension.Symbol"/> is dynamic, named.</summary>
    /// <returns>The input's name.</returns>
    public string AddInput(string name, OnnxElementType elementType, IReadOnlyList<OnnxDimension> shape, string? docString = null)
    {
        Define(name);
        _graph.Input.Add(ValueInfo(name, elementType, shape, docString));
        return name;
    }

    /// <summary>Declares <paramref name="name"/>, an existing value, as a graph output.</summary>
    public void AddOutput(string name, OnnxElementType elementType, IReadOnlyList<OnnxDimension> shape, string? docString = null)
    {
        if (!_defined.Contains(name))
        {
            throw new InvalidOperationException($"Graph output '{name}' is not produced by any node, initializer or input.");
        }

        _graph.Output.Add(ValueInfo(name, elementType, shape, docString));
    }

    /// <summary>Adds a node with one output, named after <paramref name="outputStem"/> (or the operator).</summary>
    /// <param name="opType">The ONNX operator, e.g. <c>Conv</c>.</param>
    /// <param name="inputs">Input value names in operator order; an empty string skips an optional input.</param>
    /// <param name="outputStem">The output's name stem; null uses the operator name in lower case.</param>
    /// <param name="attributes">The node's attributes (<see cref="OnnxAttributes"/> makes them).</param>
    /// <returns>The output's name.</returns>
    public string AddNode(string opType, IReadOnlyList<string> inputs, string? outputStem = null, params OnnxAttributeValue[] attributes) =>
        AddNode(opType, inputs, 1, outputStem, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputCount"/> outputs.</summary>
    /// <returns>The outputs' names.</returns>
    public IReadOnlyList<string> AddNode(string opType, IReadOnlyList<string> inputs, int outputCount, string? outputStem, params OnnxAttributeValue[] attributes)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputCount, 1);
        foreach (string input in inputs)
        {
            if (input.Length > 0 && !_defined.Contains(input))
            {
                throw new InvalidOperationException($"{opType} node: input '{input}' is not defined yet (nodes must come after the values they read).");
            }
        }

        int index = _opCounts.GetValueOrDefault(opType);
        _opCounts[opType] = index + 1;
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{index}" };
        node.Input.Add(inputs);
        string stem = outputStem ?? opType.ToLowerInvariant();
        var outputs = new string[outputCount];
        for (int i = 0; i < outputCount; i++)
        {
            outputs[i] = UniqueName(stem);
            Define(outputs[i]);
        }

        node.Output.Add(outputs);
        foreach (var a in attributes)
        {
            node.Attribute.Add(ToProto(a));
        }

        _graph.Node.Add(node);
        return outputs;
    }

    /// <summary>Serialises the model with its metadata.</summary>
    /// <param name="metadata">Producer, doc string and metadata properties.</param>
    public byte[] ToBytes(OnnxModelMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (_graph.Output.Count == 0)
        {
            throw new InvalidOperationException("The graph has no output.");
        }

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = metadata.ProducerName,
            ProducerVersion = metadata.ProducerVersion,
            Domain = metadata.Domain,
            ModelVersion = metadata.ModelVersion,
            DocString = metadata.DocString,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata.Properties)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return model.ToByteArray();
    }

    /// <summary>
    /// Writes the model to <paramref name="path"/> atomically: a temporary file in the same folder, renamed over the
    /// target, so a failure or a kill never leaves a partial model where a complete one is expected.
    /// </summary>
    /// <returns>The number of bytes written.</returns>
    public long Save(string path, OnnxModelMetadata metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = ToBytes(metadata);
        OnnxFile.WriteAtomically(path, bytes);
        return bytes.LongLength;
    }

    private string AddTensor(string name, TensorProto.Types.DataType type, byte[] bytes, ReadOnlySpan<int> shape)
    {
        string unique = UniqueName(name);
        Define(unique);
        var t = new TensorProto { Name = unique, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        foreach (int d in shape)
        {
            t.Dims.Add(d);
        }

        _graph.Initializer.Add(t);
        return unique;
    }

    private static void CheckCount(int count, ReadOnlySpan<int> shape)
    {
        long expected = 1;
        foreach (int d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            expected *= d;
        }

        if (expected != count)
        {
            throw new ArgumentException($"{count} values do not fill shape [{string.Join(", ", shape.ToArray())}] ({expected} elements).", nameof(shape));
        }
    }

    private void Define(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!_defined.Add(name))
        {
            throw new InvalidOperationException($"The value name '{name}' is defined twice.");
        }
    }

    private static ValueInfoProto ValueInfo(string name, OnnxElementType elementType, IReadOnlyList<OnnxDimension> shape, string? docString)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var tensorShape = new TensorShapeProto();
        foreach (var d in shape)
        {
            var dim = new TensorShapeProto.Types.Dimension();
            if (d.Value is { } v)
            {
                dim.DimValue = v;
            }
            else if (d.Symbol is { } s)
            {
                dim.DimParam = s;
            }

            tensorShape.Dim.Add(dim);
        }

        return new ValueInfoProto
        {
            Name = name,
            DocString = docString ?? "",
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = tensorShape } },
        };
    }

    private static AttributeProto ToProto(OnnxAttributeValue a)
    {
        var p = new AttributeProto { Name = a.Name };
        switch (a.Type)
        {
            case OnnxAttributeType.Float:
                p.Type = AttributeProto.Types.AttributeType.Float;
                p.F = a.Float;
                break;
            case OnnxAttributeType.Int:
                p.Type = AttributeProto.Types.AttributeType.Int;
                p.I = a.Int;
                break;
            case OnnxAttributeType.String:
                p.Type = AttributeProto.Types.AttributeType.String;
                p.S = ByteString.CopyFromUtf8(a.String ?? "");
                break;
            case OnnxAttributeType.Floats:
                p.Type = AttributeProto.Types.AttributeType.Floats;
                p.Floats.Add(a.Floats);
                break;
            case OnnxAttributeType.Ints:
                p.Type = AttributeProto.Types.AttributeType.Ints;
                p.Ints.Add(a.Ints);
                break;
            case OnnxAttributeType.Strings:
                p.Type = AttributeProto.Types.AttributeType.Strings;
                p.Strings.Add(a.Strings.Select(ByteString.CopyFromUtf8));
                break;
            default:
                throw new ArgumentException($"Attribute '{a.Name}' of type {a.Type} cannot be written.", nameof(a));
        }

        return p;
    }
}

/// <summary>What a written model says about itself besides its graph.</summary>
public sealed record OnnxModelMetadata
{
    /// <summary>The tool that wrote the model (ONNX <c>producer_name</c>).</summary>
    public string ProducerName { get; init; } = "";

    /// <summary>The tool's version.</summary>
    public string ProducerVersion { get; init; } = "";

    /// <summary>The model's domain (reverse-DNS name); may be empty.</summary>
    public string Domain { get; init; } = "";

    /// <summary>The model's own version number.</summary>
    public long ModelVersion { get; init; }

    /// <summary>A human-readable description: what goes in, what comes out.</summary>
    public string DocString { get; init; } = "";

    /// <summary>Key–value metadata (ONNX <c>metadata_props</c>), in this order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Properties { get; init; } = [];
}
