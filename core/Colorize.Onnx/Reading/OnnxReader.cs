using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Colorize.Onnx.Proto;
using Colorize.Tensors;
using Google.Protobuf;

namespace Colorize.Onnx.Reading;

/// <summary>
/// Turns ONNX bytes into an <see cref="OnnxModel"/>: protobuf parsing by Google.Protobuf (types generated from
/// Proto/onnx.proto), then checks that every tensor's data matches its dimensions before any allocation it implies.
/// </summary>
internal static class OnnxReader
{
    /// <summary>Reads and parses a file, refusing it before reading when it is larger than <paramref name="maxBytes"/>.</summary>
    public static ModelProto ParseFile(string path, long maxBytes)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"The ONNX file {path} does not exist.", path);
        }

        if (info.Length > maxBytes)
        {
            throw new OnnxFormatException($"The ONNX file {path} is {info.Length} bytes, over the limit of {maxBytes} bytes.");
        }

        byte[] data = File.ReadAllBytes(path);

        // The file may have grown between the size check and the read.
        if (data.LongLength > maxBytes)
        {
            throw new OnnxFormatException($"The ONNX file {path} is {data.LongLength} bytes, over the limit of {maxBytes} bytes.");
        }

        return Parse(data, $"The ONNX file {path}");
    }

    /// <summary>Parses the protobuf message; malformed or truncated bytes become <see cref="OnnxFormatException"/>.</summary>
    public static ModelProto Parse(byte[] data, string source)
    {
        try
        {
            // Google.Protobuf bounds every length by the remaining input and nesting by a recursion limit of 100, so
            // hostile length prefixes or deep nesting end in InvalidProtocolBufferException, not in a huge allocation.
            return ModelProto.Parser.ParseFrom(data);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException($"{source} is not a valid ONNX model (protobuf): {e.Message}", e);
        }
    }

    /// <summary>Converts the parsed message, checking names, attributes and tensor data.</summary>
    public static OnnxModel Convert(ModelProto model, string source)
    {
        if (model.Graph is null)
        {
            throw new OnnxFormatException($"{source} has no graph: not an ONNX model.");
        }

        var opsets = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var opset in model.OpsetImport)
        {
            if (!opsets.TryAdd(opset.Domain, opset.Version))
            {
                throw new OnnxFormatException($"{source} imports the operator set of domain '{opset.Domain}' twice.");
            }
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in model.MetadataProps)
        {
            metadata[entry.Key] = entry.Value;
        }

        return new OnnxModel(model.IrVersion, model.ProducerName, model.ProducerVersion, model.Domain, model.ModelVersion, opsets, ConvertGraph(model.Graph))
        {
            DocString = model.DocString,
            Metadata = metadata,
        };
    }

    private static OnnxGraph ConvertGraph(GraphProto graph)
    {
        var initializers = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        var int64Initializers = new OrderedDictionary<string, OnnxInt64Tensor>(StringComparer.Ordinal);
        foreach (var init in graph.Initializer)
        {
            if (string.IsNullOrEmpty(init.Name))
            {
                throw new OnnxFormatException($"Graph '{graph.Name}' has an initializer without a name.");
            }

            // int64 constants are the shapes, pads and axes that operators such as Reshape and Pad take as inputs.
            bool added = init.DataType == (int)OnnxElementType.Int64
                ? !initializers.ContainsKey(init.Name) && int64Initializers.TryAdd(init.Name, ToInt64Tensor(init, $"initializer '{init.Name}'"))
                : !int64Initializers.ContainsKey(init.Name) && initializers.TryAdd(init.Name, ToTensor(init, $"initializer '{init.Name}'"));
            if (!added)
            {
                throw new OnnxFormatException($"Graph '{graph.Name}' has two initializers named '{init.Name}'.");
            }
        }

        if (graph.SparseInitializer.Count > 0)
        {
            throw new OnnxFormatException($"Graph '{graph.Name}' has sparse initializers, which this reader does not support.");
        }

        var nodes = new List<OnnxNode>(graph.Node.Count);
        foreach (var node in graph.Node)
        {
            nodes.Add(ConvertNode(node));
        }

        return new OnnxGraph(graph.Name, nodes, initializers, int64Initializers,
            [.. graph.Input.Select(ConvertValueInfo)], [.. graph.Output.Select(ConvertValueInfo)], [.. graph.ValueInfo.Select(ConvertValueInfo)]);
    }

    private static OnnxNode ConvertNode(NodeProto node)
    {
        var attributes = new OrderedDictionary<string, OnnxAttributeValue>(StringComparer.Ordinal);
        string where = $"{node.OpType} node '{node.Name}'";
        foreach (var a in node.Attribute)
        {
            if (!attributes.TryAdd(a.Name, ConvertAttribute(a, where)))
            {
                throw new OnnxFormatException($"{where} has two attributes named '{a.Name}'.");
            }
        }

        return new OnnxNode(node.Name, node.OpType, node.Domain, [.. node.Input], [.. node.Output], attributes);
    }

    private static OnnxAttributeValue ConvertAttribute(AttributeProto a, string where)
    {
        var type = a.Type == AttributeProto.Types.AttributeType.Undefined ? InferType(a) : a.Type;
        return type switch
        {
            AttributeProto.Types.AttributeType.Float => new(a.Name, OnnxAttributeType.Float) { Float = a.F },
            AttributeProto.Types.AttributeType.Int => new(a.Name, OnnxAttributeType.Int) { Int = a.I },
            AttributeProto.Types.AttributeType.String => new(a.Name, OnnxAttributeType.String) { String = a.S.ToStringUtf8() },
            AttributeProto.Types.AttributeType.Tensor when a.T is not null =>
                new(a.Name, OnnxAttributeType.Tensor) { Tensor = ToTensor(a.T, $"attribute '{a.Name}' of {where}") },
            AttributeProto.Types.AttributeType.Tensor => throw new OnnxFormatException($"Tensor attribute '{a.Name}' of {where} has no tensor."),
            AttributeProto.Types.AttributeType.Floats => new(a.Name, OnnxAttributeType.Floats) { Floats = [.. a.Floats] },
            AttributeProto.Types.AttributeType.Ints => new(a.Name, OnnxAttributeType.Ints) { Ints = [.. a.Ints] },
            AttributeProto.Types.AttributeType.Strings => new(a.Name, OnnxAttributeType.Strings) { Strings = [.. a.Strings.Select(s => s.ToStringUtf8())] },
            _ => new(a.Name, OnnxAttributeType.Unsupported),
        };
    }

    // Files from before IR version 2 (and some writers since) leave AttributeProto.type unset; the field that is
    // set says which it is.
    private static AttributeProto.Types.AttributeType InferType(AttributeProto a) =>
        a.HasF ? AttributeProto.Types.AttributeType.Float
        : a.HasI ? AttributeProto.Types.AttributeType.Int
        : a.HasS ? AttributeProto.Types.AttributeType.String
        : a.T is not null ? AttributeProto.Types.AttributeType.Tensor
        : a.Floats.Count > 0 ? AttributeProto.Types.AttributeType.Floats
        : a.Ints.Count > 0 ? AttributeProto.Types.AttributeType.Ints
        : a.Strings.Count > 0 ? AttributeProto.Types.AttributeType.Strings
        : AttributeProto.Types.AttributeType.Undefined;

    private static OnnxValueInfo ConvertValueInfo(ValueInfoProto info)
    {
        var tensorType = info.Type?.TensorType;
        if (tensorType is null)
        {
            return new OnnxValueInfo(info.Name, OnnxElementType.Undefined, null);
        }

        var elementType = Enum.IsDefined((OnnxElementType)tensorType.ElemType) ? (OnnxElementType)tensorType.ElemType : OnnxElementType.Undefined;
        var shape = tensorType.Shape?.Dim.Select(d => d.ValueCase switch
        {
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => new OnnxDimension(d.DimValue, null),
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => new OnnxDimension(null, d.DimParam),
            _ => new OnnxDimension(null, null),
        }).ToList();
        return new OnnxValueInfo(info.Name, elementType, shape);
    }

    /// <summary>A float32 tensor from raw_data (little-endian) or float_data, after checking the data against the dimensions.</summary>
    internal static Tensor ToTensor(TensorProto t, string what)
    {
        var type = (OnnxElementType)t.DataType;
        if (type != OnnxElementType.Float)
        {
            string name = Enum.IsDefined(type) ? type.ToString() : $"data type {t.DataType}";
            throw new OnnxFormatException($"The {what} is {name}; this reader supports float32 tensors (and int64 initializers) only.");
        }

        var (shape, count) = CheckedShape(t, what);
        bool hasRaw = t.HasRawData;
        if (hasRaw && t.FloatData.Count > 0)
        {
            throw new OnnxFormatException($"The {what} has both raw_data and float_data.");
        }

        var data = new float[count];
        if (hasRaw)
        {
            var raw = t.RawData.Span;
            if (raw.Length != count * sizeof(float))
            {
                throw new OnnxFormatException($"The {what} has {raw.Length} bytes of raw data; its dimensions [{string.Join(", ", t.Dims)}] need {count * sizeof(float)}.");
            }

            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.Cast<byte, float>(raw).CopyTo(data);
            }
            else
            {
                for (int i = 0; i < data.Length; i++)
                {
                    data[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(i * sizeof(float)));
                }
            }
        }
        else if (t.FloatData.Count != count)
        {
            throw new OnnxFormatException(count > 0 && t.FloatData.Count == 0
                ? $"The {what} has no data; its dimensions [{string.Join(", ", t.Dims)}] need {count} values."
                : $"The {what} has {t.FloatData.Count} values in float_data; its dimensions [{string.Join(", ", t.Dims)}] need {count}.");
        }
        else
        {
            t.FloatData.CopyTo(data, 0);
        }

        return Tensor.Wrap(data, shape);
    }

    /// <summary>An int64 tensor from raw_data (little-endian) or int64_data, after checking the data against the dimensions.</summary>
    internal static OnnxInt64Tensor ToInt64Tensor(TensorProto t, string what)
    {
        var (shape, count) = CheckedShape(t, what);
        bool hasRaw = t.HasRawData;
        if (hasRaw && t.Int64Data.Count > 0)
        {
            throw new OnnxFormatException($"The {what} has both raw_data and int64_data.");
        }

        var data = new long[count];
        if (hasRaw)
        {
            var raw = t.RawData.Span;
            if (raw.Length != count * sizeof(long))
            {
                throw new OnnxFormatException($"The {what} has {raw.Length} bytes of raw data; its dimensions [{string.Join(", ", t.Dims)}] need {count * sizeof(long)}.");
            }

            for (int i = 0; i < data.Length; i++)
            {
                data[i] = BinaryPrimitives.ReadInt64LittleEndian(raw.Slice(i * sizeof(long)));
            }
        }
        else if (t.Int64Data.Count != count)
        {
            throw new OnnxFormatException($"The {what} has {t.Int64Data.Count} values in int64_data; its dimensions [{string.Join(", ", t.Dims)}] need {count}.");
        }
        else
        {
            t.Int64Data.CopyTo(data, 0);
        }

        return new OnnxInt64Tensor(data, shape);
    }

    /// <summary>The tensor's shape and element count, refusing external data, segments and hostile dimensions before any allocation.</summary>
    private static (int[] Shape, long Count) CheckedShape(TensorProto t, string what)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0)
        {
            throw new OnnxFormatException($"The {what} keeps its data in an external file, which this reader does not support.");
        }

        if (t.Segment is not null)
        {
            throw new OnnxFormatException($"The {what} is a segment of a larger tensor, which this reader does not support.");
        }

        var shape = new int[t.Dims.Count];
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = t.Dims[i];
            if (d < 0 || d > Array.MaxLength)
            {
                throw new OnnxFormatException($"The {what} has dimension {d} at axis {i}; dimensions must be between 0 and {Array.MaxLength}.");
            }

            shape[i] = (int)d;

            // Both factors are at most Array.MaxLength (< 2^31) here, so the product fits in a long.
            count *= d;
            if (count > Array.MaxLength)
            {
                throw new OnnxFormatException($"The {what} has dimensions [{string.Join(", ", t.Dims)}], more than {Array.MaxLength} elements.");
            }
        }

        return (shape, count);
    }
}
