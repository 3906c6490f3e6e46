using Colorize.Tensors.NN;
using A = Colorize.Onnx.Writing.OnnxAttributes;

namespace Colorize.Trainer.Export;

/// <summary>The wiring of <c>pix2pix-unet</c> (<c>Pix2PixUnet</c>) as ONNX nodes.</summary>
internal static class Pix2PixExport
{
    /// <summary>
    /// The nested skip blocks under <c>model</c>: each block's <c>model</c> Sequential (down conv, norm, the inner block,
    /// up conv, norm, dropout), and every block but the outermost concatenates its input before its output, as
    /// <c>UnetSkipBlock.Forward</c> does. The outermost block ends in tanh.
    /// </summary>
    public static string Emit(GeneratorGraph g, string l)
    {
        g.Custom = (name, module, x) => module.GetType().Name == "UnetSkipBlock"
            ? name == "model" ? g.Layer(name + ".model", x) : g.Concat(x, g.Layer(name + ".model", x))
            : null;
        return g.Layer("model", l);
    }
}

/// <summary>The wiring of <c>unet-classic</c> (<c>ClassicUnet</c>) as ONNX nodes.</summary>
internal static class ClassicUnetExport
{
    /// <summary>
    /// Encoder blocks <c>down.i.block</c> each followed by a 2×2 max pool, <c>bottleneck.block</c>, then per level an
    /// up-sampling transposed convolution, the skip concatenated first, <c>up.i.block</c>; a 1×1 head and tanh.
    /// </summary>
    public static string Emit(GeneratorGraph g, string l)
    {
        var skips = new List<string>();
        string x = l;
        for (int i = 0; g.Has($"down.{i}"); i++)
        {
            x = g.Layer($"down.{i}.block", x);
            skips.Add(x);
            x = g.Builder.AddNode("MaxPool", [x], "maxpool", A.Ints("kernel_shape", 2, 2), A.Ints("strides", 2, 2));
        }

        x = g.Layer("bottleneck.block", x);
        for (int i = 0; g.Has($"up.{i}"); i++)
        {
            x = g.Layer($"upsample.{i}", x);
            x = g.Layer($"up.{i}.block", g.Concat(skips[^(i + 1)], x));
        }

        return g.Op("Tanh", g.Layer("head", x));
    }
}

/// <summary>The wiring of <c>resnet-unet</c> (<c>ResNetUnet</c>) as ONNX nodes.</summary>
internal static class ResNetUnetExport
{
    // ImageNetInput's private constants (CIE f⁻¹ knee δ = 6/29, the sRGB knee), the same float expressions.
    private const float Delta = 6f / 29f;
    private const float SrgbKnee = 0.0031308f;

    /// <summary>
    /// The encoder (ImageNet grey input when the network has three conv1 input channels; hint branch added to conv1's
    /// output), the global context block when the network has one, plain or gated (<see cref="GlobalContext"/>),
    /// middle, four decoder blocks (PixelShuffle_ICNR + blur, BatchNorm'd skip, convs, self-attention), final shuffle,
    /// L concatenated (plus the hint head), the residual block and the 1×1 head with tanh, or with the class head its
    /// annealed mean (<see cref="ClassHead"/>).
    /// </summary>
    /// <param name="g">The graph being written.</param>
    /// <param name="l">L/50 − 1, N×1×H×W.</param>
    /// <param name="hints">Hint a/110, b/110 and mask (N×3×H×W), or null for a network without hints.</param>
    /// <param name="classes">The network's class head (abHead "classes"), or null for the tanh head.</param>
    public static string Emit(GeneratorGraph g, string l, string? hints, Colorize.Engine.Architectures.AbClassHead? classes = null)
    {
        if (g.Has("hint_input") != (hints is not null))
        {
            throw new TrainerException("export: the network's hint branch and the graph's hint input disagree.");
        }

        g.Custom = (name, module, x) => module.GetType().Name == "BasicBlock" ? BasicBlock(g, name, x) : null;
        int conv1Inputs = g.Get<Conv2d>("encoder.conv1").InChannels;
        string encoderInput = conv1Inputs == 3 ? ImageNetGrey(g, l) : l;
        string stem = g.Conv("encoder.conv1", encoderInput);
        if (hints is not null)
        {
            // As ResNetUnet.Forward: with the ImageNet input the planes are scaled like the photo before hint_input.
            string hintInput = conv1Inputs == 3 ? g.Op("Mul", hints, g.Builder.AddScalar("hint_input.scale", Colorize.Engine.Architectures.ResNetUnet.HintInputScale)) : hints;
            stem = g.Op("Add", stem, g.Conv("hint_input", hintInput));
        }

        var features = new List<string> { g.Op("Relu", g.BatchNorm("encoder.bn1", stem)) };
        string x = g.Builder.AddNode("MaxPool", [features[0]], "maxpool",
            A.Ints("kernel_shape", 3, 3), A.Ints("strides", 2, 2), A.Ints("pads", 1, 1, 1, 1));
        for (int layer = 1; layer <= 4; layer++)
        {
            x = g.Layer($"encoder.layer{layer}", x);
            features.Add(x);
        }

        x = g.Layer("middle", g.Has("global_context") ? GlobalContext(g, features[4]) : features[4]);
        for (int i = 0; i < 4; i++)
        {
            // The engine interpolates when the shuffled map and the skip differ in size; with sides that are multiples
            // of the stride (32) they never do, and the graph declares that as its input contract.
            string up = PixelShuffleIcnr(g, $"decoder.{i}.shuf", x);
            string skip = g.BatchNorm($"decoder.{i}.bn", features[3 - i]);
            x = g.Layer($"decoder.{i}.convs", g.Op("Relu", g.Concat(up, skip)));
        }

        x = g.Concat(PixelShuffleIcnr(g, "final_shuffle", x), l);
        if (hints is not null)
        {
            x = g.Op("Add", x, g.Conv("hint_head", hints));
        }

        x = g.Op("Add", x, g.Layer("residual", x));
        return classes is null ? g.Op("Tanh", g.Layer("head", x)) : ClassHead(g, classes, g.Layer("head", x));
    }

    /// <summary>
    /// <c>AbClassHead.Decode</c>: the logits times 1/T (the engine's own Mul), Softmax over the channels (axis 1), and
    /// the expectation of the bin centres as a 1×1 convolution without bias whose weights (centre/110, 2×Q×1×1) are an
    /// initializer: constants of the bin size, not state-dict weights.
    /// </summary>
    private static string ClassHead(GeneratorGraph g, Colorize.Engine.Architectures.AbClassHead classes, string logits)
    {
        var b = g.Builder;
        string scaled = g.Op("Mul", logits, b.AddScalar("class_head.inv_temperature", 1f / classes.Temperature));
        string p = b.AddNode("Softmax", [scaled], "class_probabilities", A.Int("axis", 1));
        return b.AddNode("Conv", [p, b.AddInitializer("class_head.centres", classes.CentreWeights())], "annealed_mean",
            A.Ints("kernel_shape", 1, 1), A.Ints("strides", 1, 1), A.Ints("pads", 0, 0, 0, 0), A.Ints("dilations", 1, 1), A.Int("group", 1));
    }

    /// <summary>
    /// <c>GlobalContext</c> (hyperparameter globalContext): the features' mean over height and width (ReduceMean with
    /// keepdims, so the 1×1 convolutions see N×C×1×1), reduce conv, ReLU, expand conv, added back to the features
    /// (Add broadcasts over height and width). The gated form (globalContextGate) divides the context by its RMS over
    /// the channels, √(mean(c²) + ε) per photo, and multiplies it by the per-channel gate before the Add.
    /// </summary>
    private static string GlobalContext(GeneratorGraph g, string x)
    {
        var b = g.Builder;
        // Opset 17 (OnnxGraphBuilder.DefaultOpset) takes ReduceMean's axes as an attribute; from opset 18 they are an
        // input, so raising the opset means writing them as an int64 initializer here (twice, with the gate's).
        string pooled = b.AddNode("ReduceMean", [x], "global_mean", A.Ints("axes", 2, 3), A.Int("keepdims", 1));
        string context = g.Conv("global_context.expand", g.Op("Relu", g.Conv("global_context.reduce", pooled)));
        if (g.Get<Colorize.Engine.Architectures.GlobalContext>("global_context").IsGated)
        {
            // The engine's operations in its order (Square, Mean over dim 1, Add ε, Sqrt, Div, Mul by the gate), so
            // the graph rounds where the engine rounds; Mul(c, c) is Square's c·c.
            string meanSquare = b.AddNode("ReduceMean", [g.Op("Mul", context, context)], "global_mean_square", A.Ints("axes", 1), A.Int("keepdims", 1));
            string rms = g.Op("Sqrt", g.Op("Add", meanSquare, b.AddScalar("global_context.epsilon", Colorize.Engine.Architectures.GlobalContext.GateEpsilon)));
            string gate = b.AddInitializer(Colorize.Engine.Architectures.GlobalContext.KeyPrefix + "gate", g.Require(Colorize.Engine.Architectures.GlobalContext.KeyPrefix + "gate"));
            context = g.Op("Mul", g.Op("Div", context, rms), gate);
        }

        return g.Op("Add", x, context);
    }

    private static string BasicBlock(GeneratorGraph g, string name, string x)
    {
        string y = g.Op("Relu", g.BatchNorm(name + ".bn1", g.Conv(name + ".conv1", x)));
        y = g.BatchNorm(name + ".bn2", g.Conv(name + ".conv2", y));
        string shortcut = g.Has(name + ".downsample") ? g.Layer(name + ".downsample", x) : x;
        return g.Op("Relu", g.Op("Add", y, shortcut));
    }

    /// <summary>
    /// DeOldify's PixelShuffle_ICNR: 1×1 conv, ReLU, pixel shuffle ×2 (DepthToSpace in CRD mode, which orders the
    /// channels as PyTorch's pixel_shuffle does: out[c, 2h+i, 2w+j] = in[4c + 2i + j, h, w]), then the blur: one
    /// replicated row on top and column on the left (Pad, mode edge) and a 2×2 average with stride 1.
    /// </summary>
    private static string PixelShuffleIcnr(GeneratorGraph g, string name, string x)
    {
        var b = g.Builder;
        string y = g.Op("Relu", g.Conv(name + ".conv", x));
        y = b.AddNode("DepthToSpace", [y], "pixelshuffle", A.Int("blocksize", 2), A.String("mode", "CRD"));
        // Pads are [N, C, H, W begins, N, C, H, W ends]: one at the start of H and W.
        string pads = b.AddInt64Initializer(name + ".blur_pads", 0, 0, 1, 1, 0, 0, 0, 0);
        y = b.AddNode("Pad", [y, pads], "blurpad", A.String("mode", "edge"));
        return b.AddNode("AveragePool", [y], "blur", A.Ints("kernel_shape", 2, 2), A.Ints("strides", 1, 1));
    }

    /// <summary>
    /// <c>ImageNetInput.FromGrey</c>: L/50 − 1 → CIE Y (f⁻¹ split at δ with clamps) → sRGB gamma (clipped to [0, 1],
    /// split at the knee) → × 255 minus the B, G, R channel means, broadcast to three channels.
    /// </summary>
    private static string ImageNetGrey(GeneratorGraph g, string l)
    {
        var b = g.Builder;
        string Const(string stem, float v) => b.AddScalar(stem, v);

        string fy = g.Op("Mul", g.Op("Add", g.Op("Mul", l, Const("lab.l_scale", 50f)), Const("lab.l_offset", 66f)), Const("lab.inv116", 1f / 116f));

        // f⁻¹(t): (max(t, δ)³ − δ³) + (min(t, δ) − 4/29)·3δ²
        const float delta3 = Delta * Delta * Delta;
        string cube = g.Op("Sub", g.Op("Pow", Clip(b, fy, Const("lab.delta", Delta), ""), Const("lab.three", 3f)), Const("lab.delta3", delta3));
        string linear = g.Op("Mul", g.Op("Sub", Clip(b, fy, "", Const("lab.delta", Delta)), Const("lab.four_29", 4f / 29f)), Const("lab.slope", 3f * Delta * Delta));
        string y = g.Op("Add", cube, linear);

        // sRGB gamma of Y clipped to [0, 1]: (max(c, knee)^(1/2.4)·1.055 − (0.055 + 12.92·knee)) + min(c, knee)·12.92
        string clipped = Clip(b, y, Const("srgb.zero", 0f), Const("srgb.one", 1f));
        string high = g.Op("Sub", g.Op("Mul", g.Op("Pow", Clip(b, clipped, Const("srgb.knee", SrgbKnee), ""), Const("srgb.inv_gamma", 1f / 2.4f)), Const("srgb.a", 1.055f)),
            Const("srgb.offset", 0.055f + (12.92f * SrgbKnee)));
        string low = g.Op("Mul", Clip(b, clipped, "", Const("srgb.knee", SrgbKnee)), Const("srgb.linear", 12.92f));
        string grey = g.Op("Add", high, low);

        var mean = Colorize.Engine.Architectures.ImageNetInput.MeanBgr;
        string means = b.AddInitializer("imagenet.mean_bgr", [mean[0], mean[1], mean[2]], [1, 3, 1, 1]);
        return g.Op("Sub", g.Op("Mul", grey, Const("imagenet.scale", 255f)), means);
    }

    private static string Clip(Colorize.Onnx.Writing.OnnxGraphBuilder b, string x, string min, string max) =>
        b.AddNode("Clip", [x, min, max], "clip");
}
