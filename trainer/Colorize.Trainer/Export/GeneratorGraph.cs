using Colorize.Onnx.Writing;
using Colorize.Tensors;
using Colorize.Tensors.NN;
using A = Colorize.Onnx.Writing.OnnxAttributes;

namespace Colorize.Trainer.Export;

/// <summary>
/// Emits a generator's layers as ONNX nodes, reading every weight from the network's own state dict (under the same
/// names) and every layer setting (kernel, stride, padding, epsilon, slope) from the network's own module objects,
/// so that the graph computes what the engine computes in eval mode. Each architecture's file (Pix2PixExport,
/// ClassicUnetExport, ResNetUnetExport) writes the wiring of its forward pass with these helpers.
/// </summary>
/// <remarks>
/// Every state-dict tensor an emitter reads is ticked off; <see cref="CheckAllUsed"/> refuses a network with tensors the
/// export did not use (a layer the exporter does not know would otherwise be silently left out), and
/// <see cref="Layer"/> refuses a module type it does not know.
/// </remarks>
internal sealed class GeneratorGraph
{
    private readonly Dictionary<string, Module> _modules;
    private readonly IReadOnlyDictionary<string, Tensor> _state;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public GeneratorGraph(Module network, OnnxGraphBuilder builder)
    {
        _modules = network.NamedModules().ToDictionary(m => m.Name, m => m.Module, StringComparer.Ordinal);

        // InferenceOptimizer.FuseReLU moves a ReLU into the convolution before it and leaves an identity in its place;
        // Conv would then emit the convolution without it, and the graph would silently lose the ReLU.
        if (_modules.FirstOrDefault(m => m.Value is Conv2d { AppliesReLU: true }).Key is { } fused)
        {
            throw new TrainerException($"export: convolution '{fused}' has a ReLU fused into it (the network was optimised for the engine's inference); export the network as built or loaded, before InferenceOptimizer.Optimize.");
        }

        _state = network.StateDict();
        Builder = builder;
    }

    public OnnxGraphBuilder Builder { get; }

    /// <summary>Called by <see cref="Layer"/> for a module type it does not know; returns null when the emitter does not know it either.</summary>
    public Func<string, Module, string, string?>? Custom { get; set; }

    /// <summary>Whether the network has a module called <paramref name="name"/>.</summary>
    public bool Has(string name) => _modules.ContainsKey(name);

    /// <summary>The module called <paramref name="name"/>, which must be a <typeparamref name="T"/>.</summary>
    public T Get<T>(string name)
        where T : Module =>
        _modules.TryGetValue(name, out var m)
            ? m as T ?? throw new TrainerException($"export: layer '{name}' is a {m.GetType().Name}, the exporter expects a {typeof(T).Name}.")
            : throw new TrainerException($"export: the network has no layer '{name}'.");

    /// <summary>Emits the module called <paramref name="name"/> applied to <paramref name="x"/>.</summary>
    public string Layer(string name, string x)
    {
        var module = Get<Module>(name);
        return module switch
        {
            Sequential seq => Sequence(name, seq, x),
            Conv2d => Conv(name, x),
            ConvTranspose2d => ConvTranspose(name, x),
            BatchNorm2d => BatchNorm(name, x),
            InstanceNorm2d inorm => InstanceNorm(name, inorm, x),
            ReLU => Op("Relu", x),
            LeakyReLU leaky => Builder.AddNode("LeakyRelu", [x], "leakyrelu", A.Float("alpha", leaky.NegativeSlope)),
            Tanh => Op("Tanh", x),
            // Eval mode: dropout passes its input through (PyTorch scales at training time, not at inference).
            Dropout or Identity => x,
            SelfAttention => Attention(name, x),
            _ => Custom?.Invoke(name, module, x)
                ?? throw new TrainerException($"export: layer '{name}' is a {module.GetType().Name}, which the ONNX exporter does not know."),
        };
    }

    private string Sequence(string name, Sequential seq, string x)
    {
        for (int i = 0; i < seq.Count; i++)
        {
            x = Layer($"{name}.{i}", x);
        }

        return x;
    }

    /// <summary>A node with one input and no attributes (Relu, Tanh, …).</summary>
    public string Op(string opType, string x) => Builder.AddNode(opType, [x]);

    /// <summary>A node with two inputs (Add, Mul, MatMul, …).</summary>
    public string Op(string opType, string a, string b) => Builder.AddNode(opType, [a, b]);

    /// <summary>Concatenation along the channel axis.</summary>
    public string Concat(params string[] values) => Builder.AddNode("Concat", values, "concat", A.Int("axis", 1));

    /// <summary>A Conv2d (spectral norm applied to its weight as the engine applies it in eval mode).</summary>
    public string Conv(string name, string x)
    {
        var conv = Get<Conv2d>(name);
        var weight = EffectiveWeight(name);
        var inputs = new List<string> { x, Builder.AddInitializer(name + ".weight", weight) };
        if (Take(name + ".bias") is { } bias)
        {
            inputs.Add(Builder.AddInitializer(name + ".bias", bias));
        }

        return Builder.AddNode("Conv", inputs, "conv",
            A.Ints("kernel_shape", weight.Shape[2], weight.Shape[3]),
            A.Ints("strides", conv.Stride.H, conv.Stride.W),
            A.Ints("pads", conv.Padding.H, conv.Padding.W, conv.Padding.H, conv.Padding.W),
            A.Ints("dilations", conv.Dilation.H, conv.Dilation.W),
            A.Int("group", conv.Groups));
    }

    /// <summary>A ConvTranspose2d; ONNX's weight layout (C_in, C_out/groups, kH, kW) is PyTorch's.</summary>
    public string ConvTranspose(string name, string x)
    {
        var conv = Get<ConvTranspose2d>(name);
        if (_state.ContainsKey(name + ".weight_orig"))
        {
            throw new TrainerException($"export: transposed convolution '{name}' is spectral-normalised, which the exporter does not support.");
        }

        var weight = Require(name + ".weight");
        var inputs = new List<string> { x, Builder.AddInitializer(name + ".weight", weight) };
        if (Take(name + ".bias") is { } bias)
        {
            inputs.Add(Builder.AddInitializer(name + ".bias", bias));
        }

        return Builder.AddNode("ConvTranspose", inputs, "convtranspose",
            A.Ints("kernel_shape", weight.Shape[2], weight.Shape[3]),
            A.Ints("strides", conv.Stride, conv.Stride),
            A.Ints("pads", conv.Padding, conv.Padding, conv.Padding, conv.Padding),
            A.Ints("output_padding", conv.OutputPadding, conv.OutputPadding),
            A.Ints("dilations", conv.Dilation, conv.Dilation),
            A.Int("group", conv.Groups));
    }

    /// <summary>BatchNorm2d in inference form (running statistics). Left as a node: ONNX Runtime folds it into the convolution before it.</summary>
    public string BatchNorm(string name, string x)
    {
        var bn = Get<BatchNorm2d>(name);
        if (!bn.TrackRunningStats)
        {
            throw new TrainerException($"export: BatchNorm '{name}' has no running statistics, so its eval-mode output depends on the batch.");
        }

        int c = bn.NumFeatures;
        var scale = Take(name + ".weight") ?? Tensor.Ones(c);
        var shift = Take(name + ".bias") ?? Tensor.Zeros(c);
        Take(name + ".num_batches_tracked");
        return Builder.AddNode("BatchNormalization",
            [x, Builder.AddInitializer(name + ".weight", scale), Builder.AddInitializer(name + ".bias", shift),
                Builder.AddInitializer(name + ".running_mean", Require(name + ".running_mean")), Builder.AddInitializer(name + ".running_var", Require(name + ".running_var"))],
            "batchnorm", A.Float("epsilon", bn.Eps));
    }

    private string InstanceNorm(string name, InstanceNorm2d norm, string x)
    {
        int c = norm.NumFeatures;
        var scale = Take(name + ".weight") ?? Tensor.Ones(c);
        var shift = Take(name + ".bias") ?? Tensor.Zeros(c);
        return Builder.AddNode("InstanceNormalization",
            [x, Builder.AddInitializer(name + ".weight", scale), Builder.AddInitializer(name + ".bias", shift)],
            "instancenorm", A.Float("epsilon", norm.Eps));
    }

    /// <summary>
    /// SAGAN self-attention as <see cref="Colorize.Tensors.NN.SelfAttention"/> computes it: f, g to C/8 channels and h
    /// to C by 1×1 convolutions, β = softmax over axis 1 of fᵀg (N × HW × HW), out = γ·(h·β) + x. Reshapes use 0
    /// (copy the batch size) and −1, and the last one takes x's own shape, so height and width stay dynamic.
    /// </summary>
    private string Attention(string name, string x)
    {
        int c = Require(name + ".value.weight_orig", name + ".value.weight").Shape[0];
        int c8 = Require(name + ".query.weight_orig", name + ".query.weight").Shape[0];
        string shapeC8 = Builder.AddInt64Initializer(name + ".shape_c8", 0, c8, -1);
        string shapeC = Builder.AddInt64Initializer(name + ".shape_c", 0, c, -1);
        string f = Builder.AddNode("Reshape", [Conv(name + ".query", x), shapeC8], "attn_f");
        string g = Builder.AddNode("Reshape", [Conv(name + ".key", x), shapeC8], "attn_g");
        string v = Builder.AddNode("Reshape", [Conv(name + ".value", x), shapeC], "attn_h");
        string ft = Builder.AddNode("Transpose", [f], "attn_ft", A.Ints("perm", 0, 2, 1));
        string beta = Builder.AddNode("Softmax", [Op("MatMul", ft, g)], "attn_beta", A.Int("axis", 1));
        string gamma = Builder.AddInitializer(name + ".gamma", Require(name + ".gamma"));
        string o = Op("Add", Op("Mul", gamma, Op("MatMul", v, beta)), Builder.AddNode("Reshape", [x, shapeC], "attn_x"));
        return Builder.AddNode("Reshape", [o, Builder.AddNode("Shape", [x], "attn_shape")], "attn_out");
    }

    /// <summary>
    /// The weight a layer computes with: <c>weight</c>, or for a spectral-normalised layer <c>weight_orig / σ</c>
    /// with σ = uᵀ·W·v from the stored power-iteration vectors, by the same tensor operations as
    /// <see cref="SpectralNorm"/> in eval mode (no power iteration at inference), so the folded weight has the same bits.
    /// </summary>
    public Tensor EffectiveWeight(string name)
    {
        if (Take(name + ".weight_orig") is not { } orig)
        {
            return Require(name + ".weight");
        }

        var u = Require(name + ".weight_u");
        var v = Require(name + ".weight_v");
        using (Tensor.NoGrad())
        {
            var matrix = orig.Reshape(orig.Shape[0], -1);
            var sigma = u.Clone().Matmul(matrix.Matmul(v.Clone()));
            return orig / sigma;
        }
    }

    /// <summary>The state-dict tensor <paramref name="key"/>, ticked off as used; it must exist.</summary>
    public Tensor Require(string key) =>
        Take(key) ?? throw new TrainerException($"export: the network has no tensor '{key}'.");

    private Tensor Require(string key, string alternative) =>
        _state.TryGetValue(key, out var t) ? t
        : _state.TryGetValue(alternative, out var a) ? a
        : throw new TrainerException($"export: the network has neither '{key}' nor '{alternative}'.");

    /// <summary>The state-dict tensor <paramref name="key"/> ticked off as used, or null when absent.</summary>
    public Tensor? Take(string key)
    {
        if (!_state.TryGetValue(key, out var t))
        {
            return null;
        }

        _used.Add(key);
        return t;
    }

    /// <summary>Refuses the export when a state-dict tensor was not used: the graph would leave out part of the network.</summary>
    public void CheckAllUsed(string architecture)
    {
        var unused = _state.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unused.Count > 0)
        {
            throw new TrainerException($"export: the {architecture} exporter did not use {unused.Count} of the network's tensors ({string.Join(", ", unused.Take(4))}{(unused.Count > 4 ? ", …" : "")}); the architecture has changed since the exporter was written.");
        }
    }
}
