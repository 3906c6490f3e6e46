using Colorize.Onnx.Import;
using Colorize.Onnx.Proto;
using Google.Protobuf;

namespace Colorize.Onnx.Tests;

public sealed class OnnxReaderTests
{
    /// <summary>A one-node model: Y = Conv(X, W) with W in raw_data and B in float_data, and a few attribute kinds.</summary>
    private static ModelProto SmallModel()
    {
        var w = new TensorProto { Name = "W", DataType = (int)TensorProto.Types.DataType.Float };
        w.Dims.Add([2, 1, 1, 1]);
        w.RawData = ByteString.CopyFrom([.. BitConverter.GetBytes(1.5f), .. BitConverter.GetBytes(-2.25f)]);
        var b = new TensorProto { Name = "B", DataType = (int)TensorProto.Types.DataType.Float };
        b.Dims.Add(2);
        b.FloatData.Add([0.5f, 3f]);

        var node = new NodeProto { Name = "conv", OpType = "Conv" };
        node.Input.Add(["X", "W", "B"]);
        node.Output.Add("Y");
        node.Attribute.Add(new AttributeProto { Name = "strides", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 1 } });
        node.Attribute.Add(new AttributeProto { Name = "auto_pad", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("NOTSET") });
        node.Attribute.Add(new AttributeProto { Name = "group", I = 1 });   // no type: IR 1 style, inferred from the field
        node.Attribute.Add(new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Float, F = 0.25f });

        var graph = new GraphProto { Name = "small" };
        graph.Node.Add(node);
        graph.Initializer.Add([w, b]);
        graph.Input.Add([Value("X", 1, 1, 4, 4), Value("W", 2, 1, 1, 1)]);
        graph.Output.Add(Value("Y", 1, 2, 4, 4));
        var model = new ModelProto { IrVersion = 3, ProducerName = "test", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 8 });
        return model;
    }

    private static ValueInfoProto Value(string name, params long[] dims)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto() };
        foreach (long d in dims)
        {
            tensor.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    private static OnnxFormatException ParseFails(ModelProto model) =>
        Assert.Throws<OnnxFormatException>(() => OnnxModel.Parse(model.ToByteArray()));

    [Fact]
    public void Parse_SmallModel_ReadsNodesAttributesInitializersAndValues()
    {
        var model = OnnxModel.Parse(SmallModel().ToByteArray());

        Assert.Equal(3, model.IrVersion);
        Assert.Equal("test", model.ProducerName);
        Assert.Equal(8, model.OpsetImports[""]);
        var node = Assert.Single(model.Graph.Nodes);
        Assert.Equal("Conv", node.OpType);
        Assert.Equal(["X", "W", "B"], node.Inputs);
        Assert.Equal(["Y"], node.Outputs);
        Assert.Equal([1L, 1L], node.GetInts("strides"));
        Assert.Equal("NOTSET", node.GetString("auto_pad", null));
        Assert.Equal(1, node.GetInt("group", 0));
        Assert.Equal(0.25f, node.GetFloat("alpha", 0f));
        Assert.Equal(7, node.GetInt("absent", 7));
        Assert.Throws<OnnxFormatException>(() => node.GetInt("strides", 0));

        Assert.Equal([2, 1, 1, 1], model.Graph.Initializers["W"].GetShape());
        Assert.Equal([1.5f, -2.25f], model.Graph.Initializers["W"].ToArray());
        Assert.Equal([0.5f, 3f], model.Graph.Initializers["B"].ToArray());
        Assert.Equal(2, model.Graph.Inputs.Count);
        var x = Assert.Single(model.Graph.RuntimeInputs);
        Assert.Equal("X", x.Name);
        Assert.Equal(OnnxElementType.Float, x.ElementType);
        Assert.Equal([1L, 1, 4, 4], x.Shape!.Select(d => d.Value!.Value));
        Assert.Equal("Y", Assert.Single(model.Graph.Outputs).Name);
    }

    [Fact]
    public void Parse_TruncatedModel_Throws()
    {
        // Without opset_import the graph is the last field written, so no shorter prefix is a complete model: each one
        // ends inside a field or before the graph.
        var model = SmallModel();
        model.OpsetImport.Clear();
        byte[] bytes = model.ToByteArray();
        for (int length = 1; length < bytes.Length; length++)
        {
            Assert.Throws<OnnxFormatException>(() => OnnxModel.Parse(bytes[..length]));
        }
    }

    [Fact]
    public void Load_TruncatedFile_Throws()
    {
        byte[] bytes = File.ReadAllBytes(ImageNetResNet18.DefaultPreprocessPath);
        string path = Path.Combine(Path.GetTempPath(), $"colorize-onnx-truncated-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
            var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path));
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Parse_RandomBytes_Throws()
    {
        var random = new Random(1234);
        for (int i = 0; i < 50; i++)
        {
            var bytes = new byte[random.Next(1, 4096)];
            random.NextBytes(bytes);
            Assert.Throws<OnnxFormatException>(() => OnnxModel.Parse(bytes));
        }
    }

    [Fact]
    public void Parse_NoBytes_ThrowsNoGraph()
    {
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.Parse([]));
        Assert.Contains("no graph", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ShortRawData_ThrowsNamingTheTensor()
    {
        var model = SmallModel();
        model.Graph.Initializer[0].RawData = ByteString.CopyFrom(new byte[7]);
        var e = ParseFails(model);
        Assert.Contains("'W'", e.Message, StringComparison.Ordinal);
        Assert.Contains("7 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FloatDataCountMismatch_Throws()
    {
        var model = SmallModel();
        model.Graph.Initializer[1].FloatData.Add(1f);
        Assert.Contains("'B'", ParseFails(model).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingData_Throws()
    {
        var model = SmallModel();
        model.Graph.Initializer[1].FloatData.Clear();
        Assert.Contains("no data", ParseFails(model).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BothRawAndFloatData_Throws()
    {
        var model = SmallModel();
        model.Graph.Initializer[1].RawData = ByteString.CopyFrom(new byte[8]);
        Assert.Contains("both", ParseFails(model).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnsupportedDataType_Throws()
    {
        var model = SmallModel();
        var t = model.Graph.Initializer[1];
        t.DataType = (int)TensorProto.Types.DataType.Int32;
        t.FloatData.Clear();
        t.Int32Data.Add([1, 2]);
        Assert.Contains("Int32", ParseFails(model).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Int64Initializer_FromRawOrInt64Data()
    {
        var model = SmallModel();
        var t = model.Graph.Initializer[1];
        t.DataType = (int)TensorProto.Types.DataType.Int64;
        t.FloatData.Clear();
        t.Int64Data.Add([-1, long.MaxValue]);
        var raw = new TensorProto { Name = "R", DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom([.. BitConverter.GetBytes(7L), .. BitConverter.GetBytes(-3L)]) };
        raw.Dims.Add(2);
        model.Graph.Initializer.Add(raw);

        var graph = OnnxModel.Parse(model.ToByteArray()).Graph;
        Assert.Equal([-1L, long.MaxValue], graph.Int64Initializers["B"].Values);
        Assert.Equal([7L, -3L], graph.Int64Initializers["R"].Values);
        Assert.Equal([2], graph.Int64Initializers["R"].Shape);
        Assert.False(graph.Initializers.ContainsKey("B"));
    }

    [Fact]
    public void Parse_Int64InitializerOfTheWrongLength_Throws()
    {
        var model = SmallModel();
        var t = model.Graph.Initializer[1];
        t.DataType = (int)TensorProto.Types.DataType.Int64;
        t.FloatData.Clear();
        t.RawData = ByteString.CopyFrom(new byte[12]);
        Assert.Contains("'B'", ParseFails(model).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new long[] { 1L << 31, 1 })]
    [InlineData(new long[] { 65536, 65536 })]
    [InlineData(new long[] { -1, 2 })]
    [InlineData(new long[] { long.MaxValue, long.MaxValue, 0 })]
    public void Parse_HostileDims_Throws(long[] dims)
    {
        var model = SmallModel();
        var t = model.Graph.Initializer[1];
        t.Dims.Clear();
        t.Dims.Add(dims);
        Assert.Contains("'B'", ParseFails(model).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ExternalData_Throws()
    {
        var model = SmallModel();
        var t = model.Graph.Initializer[1];
        t.FloatData.Clear();
        t.DataLocation = TensorProto.Types.DataLocation.External;
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        Assert.Contains("external", ParseFails(model).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DuplicateInitializer_Throws()
    {
        var model = SmallModel();
        model.Graph.Initializer.Add(model.Graph.Initializer[1].Clone());
        Assert.Contains("two initializers", ParseFails(model).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyTensor_IsAllowed()
    {
        var model = SmallModel();
        var t = model.Graph.Initializer[1];
        t.Dims.Clear();
        t.Dims.Add([0, 3]);
        t.FloatData.Clear();
        Assert.Equal([0, 3], OnnxModel.Parse(model.ToByteArray()).Graph.Initializers["B"].GetShape());
    }

    [Fact]
    public void Load_FileOverTheLimit_Throws()
    {
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(ImageNetResNet18.DefaultPreprocessPath, maxFileBytes: 1000));
        Assert.Contains("over the limit of 1000 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => OnnxModel.Load(Path.Combine(AppContext.BaseDirectory, "no-such-model.onnx")));
    }

    [Fact]
    public void Load_ResNetPreprocess_ReadsTheGraph()
    {
        var model = OnnxModel.Load(ImageNetResNet18.DefaultPreprocessPath);

        Assert.Equal(3, model.IrVersion);
        Assert.Equal(["Split", "Concat", "Sub"], model.Graph.Nodes.Select(n => n.OpType));
        var mean = Assert.Single(model.Graph.Initializers).Value;
        Assert.Equal([1, 3, 224, 224], mean.GetShape());
        Assert.Equal([1L, 3, 224, 224], Assert.Single(model.Graph.RuntimeInputs).Shape!.Select(d => d.Value!.Value));
    }
}
