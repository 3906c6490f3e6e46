using System.Globalization;
using Colorize.Tensors;

namespace Colorize.Onnx.Import;

/// <summary>
/// What <see cref="ResNetGraphMapper"/> found: the weights under the engine's <c>ResNetEncoder</c> names, and the
/// graph values that correspond to the encoder's five features and to the pooled output.
/// </summary>
/// <param name="StateDict">Weights by torchvision-layout name, in the engine's order.</param>
/// <param name="Input">The graph input (N×3×H×W).</param>
/// <param name="StageOutputs">The values after conv1's BN + ReLU and after layer1..layer4's last ReLU.</param>
/// <param name="BlocksPerLayer">BasicBlocks found in layer1..layer4.</param>
/// <param name="PooledOutput">The AveragePool output after layer4, or null when the graph ends at layer4.</param>
internal sealed record ResNetGraphMap(
    IReadOnlyDictionary<string, Tensor> StateDict, string Input, IReadOnlyList<string> StageOutputs, IReadOnlyList<int> BlocksPerLayer, string? PooledOutput);

/// <summary>
/// Maps an ONNX ResNet (torchvision BasicBlock layout) onto the engine's encoder names by following the graph from its
/// input: Conv → BatchNormalization → Relu → MaxPool, then blocks of Conv → BN → Relu → Conv → BN → Add(shortcut) →
/// Relu, where the shortcut is the block input or a 1×1 Conv → BN of it. The file's own value and node names (CNTK's
/// <c>Parameter91</c>, <c>Convolution249</c>, …) say nothing about roles and are never used. Anything else — another
/// operator, a bias, a kernel, stride, padding, epsilon or shape that the engine's layer would not reproduce, a node
/// left over — is refused with <see cref="OnnxFormatException"/>.
/// </summary>
internal sealed class ResNetGraphMapper
{
    private const float BatchNormEps = 1e-5f;

    private readonly OnnxGraph _graph;
    private readonly Dictionary<string, List<OnnxNode>> _consumers = new(StringComparer.Ordinal);
    private readonly HashSet<OnnxNode> _visited = [];
    private readonly OrderedDictionary<string, Tensor> _state = new(StringComparer.Ordinal);

    private ResNetGraphMapper(OnnxGraph graph)
    {
        _graph = graph;
        foreach (var node in graph.Nodes)
        {
            foreach (var input in node.Inputs.Distinct())
            {
                if (!_consumers.TryGetValue(input, out var list))
                {
                    _consumers[input] = list = [];
                }

                list.Add(node);
            }
        }
    }

    /// <summary>Maps <paramref name="graph"/>, whose input has <paramref name="inputChannels"/> channels.</summary>
    public static ResNetGraphMap Map(OnnxGraph graph, int inputChannels) => new ResNetGraphMapper(graph).Run(inputChannels);

    private ResNetGraphMap Run(int inputChannels)
    {
        if (_graph.RuntimeInputs.Count != 1)
        {
            throw Refuse($"the graph has {_graph.RuntimeInputs.Count} inputs besides its weights, expected one image input");
        }

        var input = _graph.RuntimeInputs[0];
        if (input.Shape is { } shape && (shape.Count != 4 || shape[1].Value is { } c && c != inputChannels))
        {
            throw Refuse($"the graph input is {input}, expected N×{inputChannels}×H×W");
        }

        // Stem: conv1 (7×7 / 2, pad 3) → bn1 → ReLU → 3×3 / 2 max pool with pad 1.
        var conv1 = Next(input.Name, "Conv");
        string x = ConvBn(conv1, "conv1", "bn1", inputChannels, 64, kernel: 7, stride: 2, padding: 3);
        var relu = Next(x, "Relu");
        var stages = new List<string> { relu.Outputs[0] };
        var pool = Next(relu.Outputs[0], "MaxPool");
        CheckWindow(pool, kernel: 3, stride: 2, padding: 1);
        if (pool.GetInt("ceil_mode", 0) != 0 || pool.GetInt("storage_order", 0) != 0 || pool.Outputs.Count(o => o.Length > 0) != 1)
        {
            throw Refuse($"{pool} uses ceil_mode, storage_order or an indices output, which the engine's stem does not");
        }

        x = pool.Outputs[0];
        int channels = 64, layer = 0;
        var blocks = new List<int> { 0 };
        while (NextConvs(x) is { Count: > 0 } convs)
        {
            var first = convs.FirstOrDefault(c => KernelOf(c) == 3)
                ?? throw Refuse($"'{x}' (after {Producer(x)}) goes to {string.Join(", ", convs)}, none of them a 3×3 Conv");
            var firstWeight = Weight(first, "block conv");
            if (firstWeight.Rank != 4)
            {
                throw Refuse($"{first} has a weight of rank {firstWeight.Rank}, expected 4");
            }

            int outC = firstWeight.Size(0);
            if (outC == channels * 2 && layer < 3 && blocks[layer] > 0)
            {
                stages.Add(x);
                layer++;
                channels = outC;
                blocks.Add(0);
            }
            else if (outC != channels)
            {
                throw Refuse($"a block after {Producer(x)} has {outC} output channels; layer{layer + 1} has {channels}, and the next layer would have {channels * 2}");
            }

            int stride = layer > 0 && blocks[layer] == 0 ? 2 : 1;
            int inC = blocks[layer] == 0 && layer > 0 ? channels / 2 : channels;
            x = Block(x, convs, $"layer{layer + 1}.{blocks[layer]}", inC, channels, stride);
            blocks[layer]++;
        }

        stages.Add(x);
        if (blocks.Count != 4)
        {
            throw Refuse($"the graph has {blocks.Count} ResNet layers ({string.Join(", ", blocks)} blocks), expected 4");
        }

        // After layer4 only the featurizer's global average pool may follow; it is not part of the encoder.
        string? pooled = null;
        var tail = Consumers(x);
        if (tail.Count == 1 && tail[0].OpType == "AveragePool")
        {
            Visit(tail[0]);
            pooled = tail[0].Outputs[0];
        }
        else if (tail.Count > 0)
        {
            throw Refuse($"layer4's output {x} goes on to {string.Join(", ", tail)}, expected at most one AveragePool");
        }

        if (_graph.Nodes.FirstOrDefault(n => !_visited.Contains(n)) is { } extra)
        {
            throw Refuse($"{extra} is not part of the ResNet layout");
        }

        return new ResNetGraphMap(_state, input.Name, stages, blocks, pooled);
    }

    /// <summary>One BasicBlock starting at <paramref name="x"/>; returns its output (after the final ReLU).</summary>
    private string Block(string x, List<OnnxNode> convs, string prefix, int inC, int outC, int stride)
    {
        bool needsDownsample = stride != 1 || inC != outC;
        var main = convs.Where(c => KernelOf(c) == 3).ToList();
        var shortcut = convs.Where(c => KernelOf(c) == 1).ToList();
        if (main.Count != 1 || shortcut.Count != (needsDownsample ? 1 : 0) || main.Count + shortcut.Count != convs.Count)
        {
            throw Refuse($"block {prefix} starts with {string.Join(", ", convs)}; expected one 3×3 Conv{(needsDownsample ? " and one 1×1 Conv (downsample)" : "")}");
        }

        int expectedReaders = convs.Count + (needsDownsample ? 0 : 1);
        if (Consumers(x).Count != expectedReaders)
        {
            throw Refuse($"block {prefix}'s input {x} feeds {string.Join(", ", Consumers(x))}; expected {(needsDownsample ? "the two Convs" : "its 3×3 Conv and the Add")} only");
        }

        Visit(main[0]);
        if (needsDownsample)
        {
            Visit(shortcut[0]);
        }

        string y = ConvBn(main[0], $"{prefix}.conv1", $"{prefix}.bn1", inC, outC, kernel: 3, stride, padding: 1);
        var relu = Next(y, "Relu");
        y = ConvBn(Next(relu.Outputs[0], "Conv"), $"{prefix}.conv2", $"{prefix}.bn2", outC, outC, kernel: 3, stride: 1, padding: 1);
        string identity = needsDownsample
            ? ConvBn(shortcut[0], $"{prefix}.downsample.0", $"{prefix}.downsample.1", inC, outC, kernel: 1, stride, padding: 0)
            : x;

        var add = Next(y, "Add");
        if (needsDownsample && Consumers(identity).Count != 1)
        {
            throw Refuse($"block {prefix}'s downsample output {identity} feeds {string.Join(", ", Consumers(identity))}; expected the Add only");
        }

        if (add.Inputs.Count != 2 || !add.Inputs.Contains(identity, StringComparer.Ordinal) || add.Inputs[0] == add.Inputs[1])
        {
            throw Refuse($"{add} does not add block {prefix}'s residual branch to its shortcut {identity}");
        }

        // Opset-6 Add had broadcast/axis attributes; a plain same-shape sum has neither set.
        if (add.GetInt("broadcast", 0) != 0)
        {
            throw Refuse($"{add} broadcasts");
        }

        return Next(add.Outputs[0], "Relu").Outputs[0];
    }

    /// <summary>Checks a bias-free Conv and the BatchNormalization after it, records both; returns the BN output.</summary>
    private string ConvBn(OnnxNode conv, string convName, string bnName, int inC, int outC, int kernel, int stride, int padding)
    {
        if (conv.Inputs.Count != 2)
        {
            throw Refuse($"{conv} ({convName}) has {(conv.Inputs.Count > 2 ? "a bias" : "no weight")}; the engine's convolution has a weight and no bias");
        }

        if (conv.GetInt("group", 1) != 1 || conv.GetInts("dilations") is { } d && d.Any(v => v != 1))
        {
            throw Refuse($"{conv} ({convName}) is grouped or dilated");
        }

        CheckWindow(conv, kernel, stride, padding);
        var weight = Weight(conv, convName);
        CheckShape(weight, [outC, inC, kernel, kernel], $"{convName}.weight ({conv})");
        _state.Add($"{convName}.weight", weight);

        var bn = Next(conv.Outputs[0], "BatchNormalization");
        if (bn.Inputs.Count != 5 || bn.Outputs.Count(o => o.Length > 0) != 1)
        {
            throw Refuse($"{bn} ({bnName}) has {bn.Inputs.Count} inputs and {bn.Outputs.Count} outputs; inference BatchNormalization has 5 and 1");
        }

        float eps = bn.GetFloat("epsilon", 1e-5f);
        if (eps != BatchNormEps || bn.GetInt("spatial", 1) != 1)
        {
            throw Refuse($"{bn} ({bnName}) has epsilon {eps.ToString(CultureInfo.InvariantCulture)} or is not spatial; the engine's BatchNorm2d uses 1e-5 per channel");
        }

        string[] names = ["weight", "bias", "running_mean", "running_var"];
        for (int i = 0; i < 4; i++)
        {
            var t = Initializer(bn, bn.Inputs[i + 1], $"{bnName}.{names[i]}");
            CheckShape(t, [outC], $"{bnName}.{names[i]} ({bn})");
            _state.Add($"{bnName}.{names[i]}", t);
        }

        // Not in the file (CNTK has no such counter). PyTorch fills it with 0 when a checkpoint lacks it; doing the
        // same here lets the engine load the dictionary strictly. It only matters for BatchNorm with momentum=None.
        _state.Add($"{bnName}.num_batches_tracked", Tensor.Scalar(0f));
        return bn.Outputs[0];
    }

    /// <summary>
    /// Kernel, stride and padding of a Conv or pool, against PyTorch's symmetric padding <paramref name="padding"/>.
    /// </summary>
    /// <remarks>
    /// CNTK writes stride-2 layers with a smaller end pad ([3, 3, 2, 2] for the 7×7 conv, [1, 1, 0, 0] for 3×3): on an
    /// even input side the last padded row and column are never read at stride 2, so the output equals PyTorch's.
    /// The end pad may therefore be anything from <c>padding − (stride − 1)</c> to <c>padding</c>; the engine's layers
    /// reproduce the file exactly for inputs whose sides are multiples of 32 (every stride-2 input even).
    /// </remarks>
    private static void CheckWindow(OnnxNode node, int kernel, int stride, int padding)
    {
        if (node.GetInts("kernel_shape") is { } k && (k.Count != 2 || k[0] != kernel || k[1] != kernel))
        {
            throw Refuse($"{node} has kernel_shape [{string.Join(", ", k)}], expected {kernel}×{kernel}");
        }

        var strides = node.GetInts("strides") ?? [1, 1];
        if (strides.Count != 2 || strides[0] != stride || strides[1] != stride)
        {
            throw Refuse($"{node} has strides [{string.Join(", ", strides)}], expected {stride}");
        }

        string autoPad = node.GetString("auto_pad", "NOTSET") ?? "NOTSET";
        var pads = node.GetInts("pads") ?? [0, 0, 0, 0];
        int minEnd = Math.Max(0, padding - (stride - 1));
        if (autoPad is not ("NOTSET" or "") || pads.Count != 4 || pads[0] != padding || pads[1] != padding
            || pads[2] < minEnd || pads[2] > padding || pads[3] < minEnd || pads[3] > padding)
        {
            throw Refuse($"{node} has auto_pad '{autoPad}' and pads [{string.Join(", ", pads)}]; expected explicit pads of {padding} at the start and {minEnd}–{padding} at the end");
        }
    }

    private Tensor Weight(OnnxNode conv, string what)
    {
        if (conv.Inputs.Count < 2)
        {
            throw Refuse($"{conv} ({what}) has no weight input");
        }

        return Initializer(conv, conv.Inputs[1], what);
    }

    private Tensor Initializer(OnnxNode node, string name, string what) =>
        _graph.Initializers.TryGetValue(name, out var t)
            ? t
            : throw Refuse($"{node} reads {what} from '{name}', which is not an initializer (a weight in the file)");

    private static void CheckShape(Tensor t, int[] expected, string what)
    {
        if (!t.Shape.SequenceEqual(expected))
        {
            throw Refuse($"{what} has shape [{string.Join(", ", t.GetShape())}], expected [{string.Join(", ", expected)}]");
        }
    }

    // kernel_shape is optional in ONNX (the weight has it); -1 when neither says.
    private int KernelOf(OnnxNode conv) =>
        conv.GetInts("kernel_shape") is [var k, ..] ? (int)Math.Clamp(k, -1, int.MaxValue)
        : conv.Inputs.Count >= 2 && _graph.Initializers.TryGetValue(conv.Inputs[1], out var w) && w.Rank == 4 ? w.Size(2)
        : -1;

    private List<OnnxNode> Consumers(string value) => _consumers.TryGetValue(value, out var list) ? list : [];

    private List<OnnxNode> NextConvs(string value) => [.. Consumers(value).Where(n => n.OpType == "Conv")];

    /// <summary>The single node that reads <paramref name="value"/>, which must be a <paramref name="opType"/>.</summary>
    private OnnxNode Next(string value, string opType)
    {
        var next = Consumers(value);
        if (next.Count != 1 || next[0].OpType != opType || next[0].Outputs.Count == 0)
        {
            throw Refuse(next.Count == 0
                ? $"nothing reads '{value}' (after {Producer(value)}); expected a {opType}"
                : $"'{value}' (after {Producer(value)}) goes to {string.Join(", ", next)}; expected a single {opType}");
        }

        Visit(next[0]);
        return next[0];
    }

    // A valid ONNX graph is acyclic; a hostile one that loops back is stopped the second time the walk reaches a node.
    private void Visit(OnnxNode node)
    {
        if (!_visited.Add(node))
        {
            throw Refuse($"the walk from the input reaches {node} twice (a cycle)");
        }
    }

    private string Producer(string value) =>
        _graph.Nodes.FirstOrDefault(n => n.Outputs.Contains(value, StringComparer.Ordinal))?.ToString() ?? "the graph input";

    private static OnnxFormatException Refuse(string problem) =>
        new($"Not an ImageNet ResNet of the expected layout: {problem}.");
}
