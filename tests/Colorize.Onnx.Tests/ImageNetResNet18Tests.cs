using Colorize.Engine.Architectures;
using Colorize.Onnx.Import;
using Colorize.Onnx.Proto;
using Colorize.Onnx.Reading;
using Xunit.Abstractions;

namespace Colorize.Onnx.Tests;

public sealed class ImageNetResNet18Tests(ITestOutputHelper output)
{
    [Fact]
    public void DefaultPaths_HaveTheFilesTheTargetsCopied()
    {
        Assert.True(File.Exists(ImageNetResNet18.DefaultPath), ImageNetResNet18.DefaultPath);
        Assert.True(File.Exists(ImageNetResNet18.DefaultPreprocessPath), ImageNetResNet18.DefaultPreprocessPath);
    }

    [Fact]
    public void LoadStateDict_MissingFile_NamesThePathAndThePackage()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "nowhere", "ResNet18.onnx");
        var e = Assert.Throws<FileNotFoundException>(() => ImageNetResNet18.LoadStateDict(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadStateDict_LoadsStrictlyIntoTheEncoderWithLayer4OfThreeBlocks()
    {
        var dict = ImageNetResNet18.LoadStateDict(ImageNetResNet18.DefaultPath);
        var encoder = new ResNetEncoder(18, 3, generator: null, layer4Blocks: 3);
        var own = encoder.StateDict();

        // Same names in the same order as the engine's StateDict, num_batches_tracked (= 0) included.
        Assert.Equal(own.Keys, dict.Keys);
        var result = encoder.LoadStateDict(dict, strict: true);
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);

        Assert.Equal([64, 3, 7, 7], dict["conv1.weight"].GetShape());
        Assert.Equal([128, 64, 1, 1], dict["layer2.0.downsample.0.weight"].GetShape());
        Assert.Equal([512, 512, 3, 3], dict["layer4.2.conv2.weight"].GetShape());
        Assert.Equal([512], dict["layer4.2.bn2.running_var"].GetShape());
        Assert.Equal(0f, dict["layer4.2.bn2.num_batches_tracked"].Item());
        Assert.Equal(22, dict.Keys.Count(k => k.EndsWith("running_mean", StringComparison.Ordinal)));
        Assert.All(dict.Where(kv => kv.Key.EndsWith("running_var", StringComparison.Ordinal)), kv => Assert.True(kv.Value.ToArray().All(v => v > 0f), kv.Key));
    }

    [Fact]
    public void Map_FindsTheStagesAndThePool()
    {
        var map = ResNet18File.Map;
        Assert.Equal([2, 2, 2, 3], map.BlocksPerLayer);
        Assert.Equal(5, map.StageOutputs.Count);
        Assert.Equal(ResNet18File.Proto.Graph.Output[0].Name, map.PooledOutput);
        Assert.Equal(ResNet18File.Proto.Graph.Input[0].Name, map.Input);
    }

    public enum Mutation
    {
        ConvBias,
        BatchNormEpsilon,
        ReluBecomesSigmoid,
        SymmetricPadOnStrideOneConvChanged,
        StrideTwoConvPadTooSmall,
        ExtraNode,
        AddSkipsTheShortcut,
        Dilation,
        DownsampleWeightMissing,
    }

    [Theory]
    [InlineData(Mutation.ConvBias, "bias")]
    [InlineData(Mutation.BatchNormEpsilon, "epsilon")]
    [InlineData(Mutation.ReluBecomesSigmoid, "Relu")]
    [InlineData(Mutation.SymmetricPadOnStrideOneConvChanged, "pads")]
    [InlineData(Mutation.StrideTwoConvPadTooSmall, "pads")]
    [InlineData(Mutation.ExtraNode, "Identity")]
    [InlineData(Mutation.AddSkipsTheShortcut, "layer1.0")]
    [InlineData(Mutation.Dilation, "dilated")]
    [InlineData(Mutation.DownsampleWeightMissing, "not an initializer")]
    public void Map_GraphOfAnotherShape_IsRefused(Mutation mutation, string reason)
    {
        var model = ResNet18File.GraphCopy();
        var nodes = model.Graph.Node;
        var convs = nodes.Where(n => n.OpType == "Conv").ToList();
        AttributeProto Attr(NodeProto n, string name) => n.Attribute.Single(a => a.Name == name);
        switch (mutation)
        {
            case Mutation.ConvBias:
                convs[5].Input.Add(nodes[1].Input[2]);
                break;
            case Mutation.BatchNormEpsilon:
                Attr(nodes.Where(n => n.OpType == "BatchNormalization").ElementAt(7), "epsilon").F = 1e-3f;
                break;
            case Mutation.ReluBecomesSigmoid:
                nodes.Where(n => n.OpType == "Relu").ElementAt(4).OpType = "Sigmoid";
                break;
            case Mutation.SymmetricPadOnStrideOneConvChanged:
                var pads = Attr(convs[3], "pads").Ints;
                pads[2] = 0;
                break;
            case Mutation.StrideTwoConvPadTooSmall:
                // The 7×7 stem conv: [3, 3, 2, 2] is fine, [3, 3, 1, 1] reads one row and column less.
                var stemPads = Attr(convs[0], "pads").Ints;
                (stemPads[2], stemPads[3]) = (1, 1);
                break;
            case Mutation.ExtraNode:
                var extra = new NodeProto { OpType = "Identity", Name = "extra" };
                extra.Input.Add(nodes[10].Output[0]);
                extra.Output.Add("extra_out");
                nodes.Add(extra);
                break;
            case Mutation.AddSkipsTheShortcut:
                // The first Add of layer1 adds the residual branch to the block's first ReLU instead of the block input.
                var add = nodes.First(n => n.OpType == "Add");
                var firstReluInBlock = nodes.Where(n => n.OpType == "Relu").ElementAt(1);
                add.Input[1] = firstReluInBlock.Output[0];
                break;
            case Mutation.Dilation:
                var dilations = Attr(convs[8], "dilations").Ints;
                (dilations[0], dilations[1]) = (2, 2);
                break;
            case Mutation.DownsampleWeightMissing:
                convs.First(c => Attr(c, "kernel_shape").Ints[0] == 1).Input[1] = "not_a_weight";
                break;
        }

        var graph = OnnxReader.Convert(model, "mutated").Graph;
        var e = Assert.Throws<OnnxFormatException>(() => ResNetGraphMapper.Map(graph, inputChannels: 3));
        output.WriteLine(e.Message);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ChannelMeansBgr_AreTheMeanImagePlaneAverages()
    {
        float[] means = ImageNetResNet18.ChannelMeansBgr(ImageNetResNet18.DefaultPreprocessPath);
        output.WriteLine(FormattableString.Invariant($"B {means[0]:R}  G {means[1]:R}  R {means[2]:R}"));
        output.WriteLine(FormattableString.Invariant($"ImageNetInput.MeanBgr: {string.Join(", ", ImageNetInput.MeanBgr.ToArray())}"));

        // ImageNet's channel means on a 0–255 scale, blue lowest and red highest (torchvision's 0.406, 0.456, 0.485 × 255
        // are 103.5, 116.3, 123.7): the first plane of the mean image is blue.
        Assert.InRange(means[0], 102.5f, 104f);
        Assert.InRange(means[1], 115f, 117f);
        Assert.InRange(means[2], 122.5f, 124f);

        // The constants the engine feeds the network with are these averages.
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(means[c], ImageNetInput.MeanBgr[c], 1e-4f);
        }
    }
}
