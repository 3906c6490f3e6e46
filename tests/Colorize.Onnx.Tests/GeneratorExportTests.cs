using Colorize.Engine.Architectures;
using Colorize.Engine.Pipeline;
using Colorize.Tensors;
using Colorize.Trainer.Export;
using Xunit.Abstractions;

namespace Colorize.Onnx.Tests;

/// <summary>
/// Every generator architecture exported to ONNX and run in ONNX Runtime on real photos' L planes at two sizes (the
/// dynamic height and width), against the engine's own forward pass of the same weights (eval mode, BatchNorm
/// folded, as CpuColorizer runs it).
/// </summary>
public sealed class GeneratorExportTests(ITestOutputHelper output)
{
    // Compared on the network's tanh output (ab/110, the engine's output): float32 sums in another order in each
    // runtime, over up to ~40 layers, give differences of a few 1e-6 there.
    private const float Tolerance = 1e-4f;

    public static TheoryData<string, string, string, int> Networks => new()
    {
        // name, architecture, hyperparameters, stride
        { "pix2pix batch norm", "pix2pix-unet", """{"numDowns": 5, "ngf": 8, "norm": "batch", "dropout": true}""", 32 },
        { "pix2pix instance norm", "pix2pix-unet", """{"numDowns": 6, "ngf": 8, "norm": "instance", "dropout": false}""", 64 },
        { "unet-classic", "unet-classic", """{"width": 8, "depth": 3}""", 8 },
        { "resnet-unet SA+SN", "resnet-unet", """{"encoderDepth": 18, "width": 0.25, "selfAttention": true, "spectralNorm": true}""", 32 },
        { "resnet-unet plain", "resnet-unet", """{"encoderDepth": 18, "width": 0.25, "selfAttention": false, "spectralNorm": false}""", 32 },
        { "resnet-unet ImageNet input", "resnet-unet", """{"encoderDepth": 18, "layer4Blocks": 3, "imageNetInput": true, "width": 0.5}""", 32 },
        { "resnet-unet hints", "resnet-unet", """{"encoderDepth": 18, "width": 0.25, "hints": true}""", 32 },
        // The default pack's layout: the hint planes are scaled like the photo before hint_input (ResNetUnet.HintInputScale).
        { "resnet-unet ImageNet input + hints", "resnet-unet", """{"encoderDepth": 18, "layer4Blocks": 3, "imageNetInput": true, "width": 0.25, "hints": true}""", 32 },
        // The classification head (issue 14): logits × 1/T, Softmax over the 261 bins, the centres as a 1×1 Conv.
        { "resnet-unet class head", "resnet-unet", """{"encoderDepth": 18, "layer4Blocks": 3, "imageNetInput": true, "width": 0.25, "abHead": "classes"}""", 32 },
        { "resnet-unet class head, bins of 20, T 1, SN", "resnet-unet", """{"encoderDepth": 18, "width": 0.25, "abHead": "classes", "abBinSize": 20, "annealTemperature": 1.0}""", 32 },
        // The photo's mean layer4 features through two 1×1 convs, added before the middle block (ReduceMean, Conv,
        // Relu, Conv, Add). Without spectral norm: a random spectral-normalised decoder passes the middle block's output
        // on so faintly (the block moved the output by under 1e-6 with a context 50 times the features) that a graph
        // without the block would match too. Not with the ImageNet input: without spectral norm that saturates ~40 %.
        { "resnet-unet global context", "resnet-unet", """{"encoderDepth": 18, "width": 0.25, "spectralNorm": false, "globalContext": true}""", 32 },
        { "resnet-unet global context + hints", "resnet-unet", """{"encoderDepth": 18, "width": 0.25, "spectralNorm": false, "hints": true, "globalContext": true}""", 32 },
        // The gated form (globalContextGate): the context divided by its RMS over the channels (Mul, ReduceMean over
        // axis 1, Add ε, Sqrt, Div) and multiplied by the per-channel gate, made non-zero by ExportKit.RandomNetwork.
        { "resnet-unet gated global context", "resnet-unet", """{"encoderDepth": 18, "width": 0.25, "spectralNorm": false, "globalContext": true, "globalContextGate": true}""", 32 },
        { "resnet-unet gated global context + hints", "resnet-unet", """{"encoderDepth": 18, "width": 0.25, "spectralNorm": false, "hints": true, "globalContext": true, "globalContextGate": true}""", 32 },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void RandomNetwork_InOnnxRuntime_MatchesTheEngineAtTwoSizes(string name, string architecture, string hyperparameters, int stride)
    {
        var source = ExportKit.RandomNetwork(architecture, hyperparameters, seed: 17);
        Assert.Equal(stride, source.Built.Stride);
        byte[] model = OnnxExport.ToBytes(source);
        using var session = ExportKit.Session(model);

        // Two photos in a batch at one size, one at another of the other orientation, through one session.
        (int Count, int Width, int Height)[] runs = [(2, 3 * stride, 2 * stride), (1, 2 * stride, 4 * stride)];
        var ortByRun = new List<float[]>();
        var inputs = runs.Select(r => ExportKit.Batch(r.Count, r.Width, r.Height)).ToList();
        for (int i = 0; i < runs.Length; i++)
        {
            var (count, width, height) = runs[i];
            ortByRun.Add(ExportKit.RunOrt(session, inputs[i].L, source.Built.TakesHints ? inputs[i].Hints : null, count, width, height));
        }

        if (source.Built.TakesHints)
        {
            // The hint input must reach the output: the same photos without hints give other colours.
            var (count, width, height) = runs[0];
            var noHints = ExportKit.RunOrt(session, inputs[0].L, new float[inputs[0].Hints.Length], count, width, height);
            Assert.True(MaxDiff(noHints, ortByRun[0], 1f) > 1e-3f, "the hint input does not change the output");
        }

        if (source.Built.Module is ResNetUnet { HasGlobalContext: true })
        {
            // The same network with some of the block's tensors changed, through ONNX Runtime on the first run's input.
            var (count, width, height) = runs[0];
            float[] Changed(Func<string, bool> which, Func<Tensor, Tensor> change)
            {
                var changed = ExportKit.RandomNetwork(architecture, hyperparameters, seed: 17);
                foreach (var (_, tensor) in changed.Built.Module.StateDict().Where(p => which(p.Key)))
                {
                    change(tensor).Data.CopyTo(tensor.Data);
                }

                using var changedSession = ExportKit.Session(OnnxExport.ToBytes(changed));
                return ExportKit.RunOrt(changedSession, inputs[0].L, source.Built.TakesHints ? inputs[0].Hints : null, count, width, height);
            }

            // The global context must reach the output, or a graph that left it out would match the engine too: the
            // same network where training starts the block (the plain form's expand convolution at zero, the gated
            // form's gate at zero) gives other colours, by well over the tolerance.
            const string gate = GlobalContext.KeyPrefix + "gate", expand = GlobalContext.KeyPrefix + "expand.";
            bool gated = source.Built.Module.StateDict().ContainsKey(gate);
            bool IsExpand(string key) => key.StartsWith(expand, StringComparison.Ordinal);
            float effect = MaxDiff(Changed(k => gated ? k == gate : IsExpand(k), t => Tensor.Zeros(t.GetShape())), ortByRun[0], 1f) / 110f;
            output.WriteLine(FormattableString.Invariant($"{name}: the global context changes the output by up to {effect:E2} (tanh units)"));
            Assert.True(effect > 10 * Tolerance, FormattableString.Invariant($"the global context changes the graph's output by only {effect:E2}"));
            if (gated)
            {
                // The gated graph must normalise the context, or it would match the engine only where the context's
                // RMS happens to be near 1: the expand convolution four times larger (exactly: a power of two) leaves
                // the colours as they were, ε aside, where an unnormalised context would move them.
                float scaled = MaxDiff(Changed(IsExpand, t => t.Mul(4f)), ortByRun[0], 1f) / 110f;
                output.WriteLine(FormattableString.Invariant($"{name}: the expand convolution ×4 changes the output by {scaled:E2} (tanh units)"));
                Assert.True(scaled <= Tolerance, FormattableString.Invariant($"the gated context is not normalised: expand weights ×4 change the output by {scaled:E2}"));
            }
        }

        // Folding BatchNorm changes the module, so the engine runs after the export and the ORT runs.
        ExportKit.FoldForEngine(source.Built);
        for (int i = 0; i < runs.Length; i++)
        {
            var (count, width, height) = runs[i];
            var engine = ExportKit.EngineForward(source.Built, ExportKit.EngineInput(inputs[i].L, source.Built.TakesHints ? inputs[i].Hints : null, count, width, height, source.ChromaGain));
            Compare($"{name} {count}×{width}×{height}", engine, ortByRun[i], 110f);
        }
    }

    [Fact]
    public void ShippedPack_ExportedByTheCommand_MatchesTheEngineAtTwoSizes()
    {
        string pack = Path.Combine(ExportKit.RepositoryRoot(), "packaging", "packs", "colorize-base");
        string folder = Directory.CreateTempSubdirectory("colorize-onnx-export").FullName;
        try
        {
            string path = Path.Combine(folder, "colorize-base.onnx");
            var (code, stdout, stderr) = RunCommand("export", pack, "--onnx", path);
            Assert.True(code == 0, stderr);
            Assert.StartsWith("wrote ", stdout, StringComparison.Ordinal);
            Assert.Equal([path], Directory.GetFiles(folder));

            var source = OnnxExport.Open(pack);
            Assert.True(source.Built.TakesHints, "the shipped pack takes colour hints since 1.1.0");
            Assert.NotEqual(1.0, source.ChromaGain); // so that a hint path that forgets the gain cannot agree by chance
            float abScale = 110f * (float)source.ChromaGain;
            using var session = ExportKit.Session(path);
            (int Width, int Height)[] sizes = [(96, 64), (64, 96)];
            var ortByRun = new List<float[]>();
            var engineInputs = new List<Tensor>();
            int hintCount = 0;
            for (int i = 0; i < sizes.Length; i++)
            {
                var (width, height) = sizes[i];
                // The photo at its render size (short side 64, a multiple of the stride: no padding), hints in its
                // pixels; the engine's planes are made by the pipeline's own call (HintPlanes.Rasterise with the
                // pack's chroma gain), the graph's from the hints' Lab colours, as its contract asks.
                var geometry = RenderGeometry.For(width, height, Math.Min(width, height), source.Built.Stride);
                Assert.Equal((width, height), (geometry.PaddedWidth, geometry.PaddedHeight));
                var (l, _) = ExportKit.Batch(1, width, height, offset: 2);
                var hints = ExportKit.PhotoHints(ExportKit.Photos[2], width, height);
                hintCount = hints.Length;
                var labPlanes = HintPlanes.RasteriseLab(hints, width, height, geometry);
                var ort = ExportKit.RunOrt(session, l, labPlanes, 1, width, height);
                var ortWithoutHints = ExportKit.RunOrt(session, l, new float[labPlanes.Length], 1, width, height);
                // The hints must move the output well beyond the tolerance, or the comparison would not see a hint
                // path that differs.
                float effect = MaxDiff(ortWithoutHints, ort, 1f) / abScale;
                output.WriteLine(FormattableString.Invariant($"colorize-base {width}×{height}: the hints change the output by up to {effect:E2} (tanh units)"));
                Assert.True(effect > 100 * Tolerance, FormattableString.Invariant($"the hints change the graph's output by only {effect:E2}"));
                ortByRun.Add(ort);
                engineInputs.Add(ExportKit.EngineInput(l, HintPlanes.Rasterise(hints, width, height, geometry, source.ChromaGain), width, height));
            }

            // Folding BatchNorm changes the module, so the engine runs after the export and the ORT runs.
            ExportKit.FoldForEngine(source.Built);
            for (int i = 0; i < sizes.Length; i++)
            {
                var engine = ExportKit.EngineForward(source.Built, engineInputs[i]);
                Compare($"colorize-base {sizes[i].Width}×{sizes[i].Height}, {hintCount} hints", engine, ortByRun[i], abScale);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The engine's tanh output against ONNX Runtime's ab divided by its scale; the output must also vary (not all saturated or flat).</summary>
    private void Compare(string what, float[] engine, float[] ortAb, float abScale)
    {
        Assert.Equal(engine.Length, ortAb.Length);
        float diff = MaxDiff(engine, ortAb, abScale);
        double mean = engine.Average(), sd = Math.Sqrt(engine.Average(v => (v - mean) * (v - mean)));
        double saturated = engine.Count(v => Math.Abs(v) > 0.999f) / (double)engine.Length;
        output.WriteLine(FormattableString.Invariant($"{what}: max |diff| {diff:E2} (tanh units), output sd {sd:F4}, saturated {saturated:P1}"));
        Assert.True(sd > 1e-3, FormattableString.Invariant($"{what}: the output is flat (sd {sd:E2}); the comparison would prove nothing"));
        Assert.True(saturated < 0.5, FormattableString.Invariant($"{what}: {saturated:P0} of the output is saturated"));
        Assert.True(diff <= Tolerance, FormattableString.Invariant($"{what}: max |diff| {diff:E3} > {Tolerance:E1}"));
    }

    private static float MaxDiff(float[] engine, float[] ortAb, float abScale)
    {
        float max = 0f;
        for (int i = 0; i < engine.Length; i++)
        {
            max = Math.Max(max, Math.Abs(engine[i] - (ortAb[i] / abScale)));
        }

        return max;
    }

    internal static (int Code, string Stdout, string Stderr) RunCommand(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = Colorize.Trainer.Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
