using Colorize.Onnx.Reading;
using Colorize.Tensors;

namespace Colorize.Onnx;

/// <summary>
/// An ONNX model as read from a file: its metadata, operator sets and main graph, with the float32 initializers as
/// <see cref="Tensor"/>s. A plain description of the file; it does not run anything.
/// </summary>
public sealed class OnnxModel
{
    /// <summary>
    /// The largest file <see cref="Load(string)"/> reads: 2 GiB − 1 byte, protobuf's own limit for one message (larger
    /// models keep their weights in external files, which this reader does not support).
    /// </summary>
    public const long DefaultMaxFileBytes = int.MaxValue;

    internal OnnxModel(long irVersion, string producerName, string producerVersion, string domain, long modelVersion, IReadOnlyDictionary<string, long> opsetImports, OnnxGraph graph)
    {
        (IrVersion, ProducerName, ProducerVersion, Domain, ModelVersion, OpsetImports, Graph) =
            (irVersion, producerName, producerVersion, domain, modelVersion, opsetImports, graph);
    }

    /// <summary>The model's description; empty when not given.</summary>
    public string DocString { get; init; } = "";

    /// <summary>The model's <c>metadata_props</c> (key → value; a repeated key keeps its last value).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>The ONNX IR version the file declares (3 for ONNX 1.1/1.2-era files such as CNTK's exports).</summary>
    public long IrVersion { get; }

    /// <summary>The tool that wrote the file, e.g. <c>CNTK</c>; empty when not given.</summary>
    public string ProducerName { get; }

    /// <summary>The version of <see cref="ProducerName"/>; empty when not given.</summary>
    public string ProducerVersion { get; }

    /// <summary>The model's domain (reverse-DNS name); empty when not given.</summary>
    public string Domain { get; }

    /// <summary>The model's own version number; 0 when not given.</summary>
    public long ModelVersion { get; }

    /// <summary>Operator set versions by domain; the default ONNX domain is the empty string.</summary>
    public IReadOnlyDictionary<string, long> OpsetImports { get; }

    /// <summary>The main graph.</summary>
    public OnnxGraph Graph { get; }

    /// <summary>Reads the ONNX file at <paramref name="path"/> (up to <see cref="DefaultMaxFileBytes"/>).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxFormatException">The file is not a readable ONNX model; the message says why.</exception>
    public static OnnxModel Load(string path) => Load(path, DefaultMaxFileBytes);

    /// <summary>Reads the ONNX file at <paramref name="path"/>, refusing files larger than <paramref name="maxFileBytes"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxFormatException">The file is larger than the limit or not a readable ONNX model.</exception>
    public static OnnxModel Load(string path, long maxFileBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFileBytes);
        return OnnxReader.Convert(OnnxReader.ParseFile(path, maxFileBytes), path);
    }

    /// <summary>Reads an ONNX model from the bytes of a file.</summary>
    /// <exception cref="OnnxFormatException">The bytes are not a readable ONNX model; the message says why.</exception>
    public static OnnxModel Parse(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return OnnxReader.Convert(OnnxReader.Parse(data, "the ONNX data"), "the ONNX data");
    }
}

/// <summary>
/// An ONNX graph: nodes in the file's order (topologically sorted, as ONNX requires), float32 initializers, and the
/// declared inputs and outputs.
/// </summary>
public sealed class OnnxGraph
{
    internal OnnxGraph(string name, IReadOnlyList<OnnxNode> nodes, IReadOnlyDictionary<string, Tensor> initializers, IReadOnlyDictionary<string, OnnxInt64Tensor> int64Initializers, IReadOnlyList<OnnxValueInfo> inputs, IReadOnlyList<OnnxValueInfo> outputs, IReadOnlyList<OnnxValueInfo> valueInfo)
    {
        (Name, Nodes, Initializers, Int64Initializers, Inputs, Outputs, ValueInfo) = (name, nodes, initializers, int64Initializers, inputs, outputs, valueInfo);
        RuntimeInputs = [.. inputs.Where(i => !initializers.ContainsKey(i.Name) && !int64Initializers.ContainsKey(i.Name))];
    }

    /// <summary>The graph's name; empty when not given.</summary>
    public string Name { get; }

    /// <summary>The nodes in the file's order.</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }

    /// <summary>The constant tensors (weights) by name, in the file's order.</summary>
    public IReadOnlyDictionary<string, Tensor> Initializers { get; }

    /// <summary>The int64 constants by name (shapes, pads, axes: what operators such as Reshape and Pad take as inputs).</summary>
    public IReadOnlyDictionary<string, OnnxInt64Tensor> Int64Initializers { get; }

    /// <summary>
    /// The declared inputs. Files before IR version 4 had to list every initializer here too; see
    /// <see cref="RuntimeInputs"/> for the ones a caller feeds.
    /// </summary>
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }

    /// <summary>The inputs that are not initializers: what a caller has to feed.</summary>
    public IReadOnlyList<OnnxValueInfo> RuntimeInputs { get; }

    /// <summary>The declared outputs.</summary>
    public IReadOnlyList<OnnxValueInfo> Outputs { get; }

    /// <summary>Types and shapes the file gives for intermediate values (optional in ONNX; may be empty).</summary>
    public IReadOnlyList<OnnxValueInfo> ValueInfo { get; }
}

/// <summary>An int64 initializer: its values in row-major order and its shape.</summary>
/// <param name="Values">The values.</param>
/// <param name="Shape">The dimensions (empty for a scalar).</param>
public sealed record OnnxInt64Tensor(IReadOnlyList<long> Values, IReadOnlyList<int> Shape);
