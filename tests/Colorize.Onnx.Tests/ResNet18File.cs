using Colorize.Onnx.Import;
using Colorize.Onnx.Proto;
using Colorize.Onnx.Reading;

namespace Colorize.Onnx.Tests;

/// <summary>ML.NET's ResNet18.onnx, read once for every test that needs it (the file is 63 MB).</summary>
internal static class ResNet18File
{
    private static readonly Lazy<ModelProto> s_proto = new(() =>
        OnnxReader.Parse(File.ReadAllBytes(ImageNetResNet18.DefaultPath), "ResNet18.onnx"));

    private static readonly Lazy<ResNetGraphMap> s_map = new(() =>
        ResNetGraphMapper.Map(OnnxReader.Convert(s_proto.Value, "ResNet18.onnx").Graph, inputChannels: 3));

    /// <summary>The parsed protobuf message. Shared: clone what you change.</summary>
    public static ModelProto Proto => s_proto.Value;

    /// <summary>The importer's mapping of the file.</summary>
    public static ResNetGraphMap Map => s_map.Value;

    /// <summary>
    /// A copy of the model whose nodes, inputs and outputs are fresh copies; the initializers are shared (read-only here),
    /// so that a test can change the graph without copying 45 MB of weights.
    /// </summary>
    public static ModelProto GraphCopy()
    {
        var source = Proto;
        var graph = new GraphProto { Name = source.Graph.Name };
        graph.Node.Add(source.Graph.Node.Select(n => n.Clone()));
        graph.Initializer.Add(source.Graph.Initializer);
        graph.Input.Add(source.Graph.Input.Select(v => v.Clone()));
        graph.Output.Add(source.Graph.Output.Select(v => v.Clone()));
        graph.ValueInfo.Add(source.Graph.ValueInfo);
        var model = new ModelProto { IrVersion = source.IrVersion, ProducerName = source.ProducerName, ProducerVersion = source.ProducerVersion, Graph = graph };
        model.OpsetImport.Add(source.OpsetImport);
        return model;
    }
}
