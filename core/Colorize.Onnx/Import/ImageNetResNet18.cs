using Colorize.Tensors;

namespace Colorize.Onnx.Import;

/// <summary>
/// Imports ML.NET's ImageNet-trained ResNet18 (NuGet <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>, MIT; a CNTK 2.6
/// export, ONNX IR 3, opset 8) into the engine's <c>ResNetEncoder(18, 3, generator, layer4Blocks: 3)</c>.
/// </summary>
/// <remarks>
/// The model takes B, G, R channels on a 0–255 scale minus the mean image of <c>ResNetPreprocess.onnx</c> (no division
/// by a standard deviation) and has three BasicBlocks in layer4, one more than torchvision's ResNet18. The weights
/// are mapped by following the graph (see README.md), never by CNTK's node names; conv1's weight keeps the file's
/// B, G, R input-channel order.
/// </remarks>
public static class ImageNetResNet18
{
    /// <summary>The NuGet package that ships the model files.</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>The package version the importer was checked against.</summary>
    public const string PackageVersion = "0.24.0";

    /// <summary>BasicBlocks in layer1..layer4 of this model.</summary>
    public static IReadOnlyList<int> BlocksPerLayer { get; } = [2, 2, 2, 3];

    /// <summary>
    /// Where the package's build props copy <c>ResNet18.onnx</c>: <c>DnnImageModels/ResNet18Onnx/</c> beside the
    /// running app (<see cref="AppContext.BaseDirectory"/>). The file need not exist; <see cref="LoadStateDict()"/>
    /// says what to do when it does not.
    /// </summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>Where the package's build props copy <c>ResNetPreprocess.onnx</c> (the mean image), beside the running app.</summary>
    public static string DefaultPreprocessPath => Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    /// <summary>Reads the model at <see cref="DefaultPath"/>; see <see cref="LoadStateDict(string)"/>.</summary>
    /// <exception cref="FileNotFoundException">The app does not have the file (it does not reference the package).</exception>
    /// <exception cref="OnnxFormatException">The file is not readable or not this ResNet18.</exception>
    public static IReadOnlyDictionary<string, Tensor> LoadStateDict() => LoadStateDict(DefaultPath);

    /// <summary>
    /// Reads the ResNet18 ONNX file and returns its weights under the names of the engine's <c>ResNetEncoder</c>
    /// <c>StateDict()</c>: <c>conv1.weight</c> [64, 3, 7, 7] (input channels B, G, R), <c>bn1.*</c>,
    /// <c>layerL.B.conv1.weight</c>, <c>layerL.B.bn1.*</c>, <c>layerL.B.conv2.weight</c>, <c>layerL.B.bn2.*</c>,
    /// <c>layerL.0.downsample.0.weight</c> and <c>layerL.0.downsample.1.*</c> (L = 2..4), with layer4 holding blocks 0–2.
    /// </summary>
    /// <remarks>
    /// BatchNorm entries are <c>weight</c>, <c>bias</c>, <c>running_mean</c>, <c>running_var</c> from the file, and
    /// <c>num_batches_tracked</c> = 0, which the file does not have (as PyTorch fills it for checkpoints without one),
    /// so the dictionary loads with <c>strict: true</c>.
    /// </remarks>
    /// <exception cref="FileNotFoundException">The file does not exist; the message names the package that ships it.</exception>
    /// <exception cref="OnnxFormatException">The file is not readable, or its graph is not this ResNet18's.</exception>
    public static IReadOnlyDictionary<string, Tensor> LoadStateDict(string onnxPath) => Map(onnxPath).StateDict;

    /// <summary>
    /// The B, G, R averages of the 3×224×224 mean image that <c>ResNetPreprocess.onnx</c> subtracts (after reordering
    /// the R, G, B input to B, G, R), averaged in double precision.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist; the message names the package that ships it.</exception>
    /// <exception cref="OnnxFormatException">The file is not readable or is not Split → Concat(B, G, R) → Sub(mean).</exception>
    public static float[] ChannelMeansBgr(string preprocessOnnxPath)
    {
        var mean = MeanImage(preprocessOnnxPath);
        int plane = mean.Count / 3;
        var data = mean.Data;
        var result = new float[3];
        for (int c = 0; c < 3; c++)
        {
            double sum = 0;
            foreach (float v in data.Slice(c * plane, plane))
            {
                sum += v;
            }

            result[c] = (float)(sum / plane);
        }

        return result;
    }

    /// <summary>
    /// The per-pixel mean image of <c>ResNetPreprocess.onnx</c>, [1, 3, H, W] in B, G, R order, after checking that the
    /// graph is input (R, G, B) → Split on channels → Concat(B, G, R) → Sub(mean image) → output.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist; the message names the package that ships it.</exception>
    /// <exception cref="OnnxFormatException">The file is not readable or not of that form.</exception>
    public static Tensor MeanImage(string preprocessOnnxPath)
    {
        var graph = OnnxModel.Load(RequireFile(preprocessOnnxPath)).Graph;
        static OnnxFormatException Refuse(string problem) => new($"Not ML.NET's ResNet preprocessing graph: {problem}.");

        if (graph.RuntimeInputs.Count != 1 || graph.Outputs.Count != 1 || graph.Nodes.Count != 3)
        {
            throw Refuse($"{graph.RuntimeInputs.Count} inputs, {graph.Outputs.Count} outputs and {graph.Nodes.Count} nodes, expected 1, 1 and 3 (Split, Concat, Sub)");
        }

        var (split, concat, sub) = (graph.Nodes[0], graph.Nodes[1], graph.Nodes[2]);
        if (split.OpType != "Split" || split.Inputs.Count != 1 || split.Inputs[0] != graph.RuntimeInputs[0].Name
            || split.GetInt("axis", 0) != 1 || split.Outputs.Count != 3)
        {
            throw Refuse($"the first node is {split}, expected the input split into its three channels");
        }

        // Split's outputs are the R, G, B planes in input order; the Concat must put them back as B, G, R.
        if (concat.OpType != "Concat" || concat.GetInt("axis", 0) != 1
            || !concat.Inputs.SequenceEqual([split.Outputs[2], split.Outputs[1], split.Outputs[0]], StringComparer.Ordinal))
        {
            throw Refuse($"the second node is {concat}, expected the channels concatenated in reverse (B, G, R) order");
        }

        if (sub.OpType != "Sub" || sub.Inputs.Count != 2 || sub.Inputs[0] != concat.Outputs[0] || sub.Outputs[0] != graph.Outputs[0].Name
            || !graph.Initializers.TryGetValue(sub.Inputs[1], out var mean))
        {
            throw Refuse($"the third node is {sub}, expected the graph output = the B, G, R input minus a constant");
        }

        if (mean.Rank != 4 || mean.Size(0) != 1 || mean.Size(1) != 3)
        {
            throw Refuse($"the mean image has shape [{string.Join(", ", mean.GetShape())}], expected [1, 3, H, W]");
        }

        return mean;
    }

    /// <summary>The mapping with the graph values of each stage, for the parity tests.</summary>
    internal static ResNetGraphMap Map(string onnxPath)
    {
        var map = ResNetGraphMapper.Map(OnnxModel.Load(RequireFile(onnxPath)).Graph, inputChannels: 3);
        if (!map.BlocksPerLayer.SequenceEqual(BlocksPerLayer))
        {
            throw new OnnxFormatException(
                $"{onnxPath} is a ResNet with [{string.Join(", ", map.BlocksPerLayer)}] blocks per layer; ML.NET's ImageNet ResNet18 has [{string.Join(", ", BlocksPerLayer)}].");
        }

        return map;
    }

    private static string RequireFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The ImageNet ResNet18 file {path} does not exist. It ships in the NuGet package {PackageId} {PackageVersion} (tools/DnnImageModels/), "
                + "whose build props copy it to DnnImageModels/ beside the app that references the package; reference it from the app, "
                + "or pass the path of a copy.",
                path);
        }

        return path;
    }
}
