using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Engine.Packs;
using Colorize.Engine.Pipeline;
using Colorize.Imaging;
using Colorize.Imaging.ColorSpaces;
using Colorize.Imaging.Processing;
using Colorize.Onnx.Import;
using Colorize.Onnx.Proto;
using Colorize.Onnx.Reading;
using Colorize.Plugins.Packs;
using Colorize.Tensors;
using Colorize.Tensors.NN;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Colorize.Benchmarks.Onnx;

/// <summary>Which network a case runs: the default pack's generator or ML.NET's ResNet18 encoder.</summary>
public enum OnnxNetwork
{
    /// <summary>colorize-base's generator (resnet-unet), L in, ab out.</summary>
    Generator,

    /// <summary>ML.NET's ImageNet ResNet18 (three blocks in layer4), B, G, R minus the mean in, features out.</summary>
    Encoder,
}

/// <summary>One side-by-side case: a network at a square size (the render size for the generator).</summary>
/// <param name="Network">The network.</param>
/// <param name="Size">Height and width of the input.</param>
public sealed record OnnxCase(OnnxNetwork Network, int Size)
{
    /// <summary>The cases of issue 17 §3: the generator at render sizes 256, 512 and 1024, the encoder at 224 and 512.</summary>
    public static IReadOnlyList<OnnxCase> All { get; } =
    [
        new(OnnxNetwork.Generator, 256), new(OnnxNetwork.Generator, 512), new(OnnxNetwork.Generator, 1024),
        new(OnnxNetwork.Encoder, 224), new(OnnxNetwork.Encoder, 512),
    ];

    /// <summary>The case's name in tables and on the command line: gen256, enc224, …</summary>
    public string Id => (Network == OnnxNetwork.Generator ? "gen" : "enc") + Size.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What the table's first column says.</summary>
    public string Description => Network == OnnxNetwork.Generator
        ? $"colorize-base generator {Size}×{Size}"
        : $"ResNet18 encoder {Size}×{Size}";

    /// <summary>BenchmarkDotNet shows parameters by their string.</summary>
    public override string ToString() => Id;

    /// <summary>Parses a comma-separated list of <see cref="Id"/>s (or "all").</summary>
    public static IReadOnlyList<OnnxCase> Parse(string list) => list == "all"
        ? All
        : [.. list.Split(',').Select(id => All.FirstOrDefault(c => c.Id == id) ?? throw new ArgumentException($"unknown case '{id}'; cases: {string.Join(", ", All.Select(c => c.Id))}"))];
}

/// <summary>Where the two networks' files are; the defaults are what tests/Colorize.Benchmarks/ort/bench_onnxruntime.sh makes.</summary>
/// <param name="PackFolder">The pack folder (packaging/packs/colorize-base).</param>
/// <param name="GeneratorOnnx">That pack exported by <c>colorize-train export &lt;pack&gt; --onnx &lt;file&gt;</c>.</param>
/// <param name="EncoderOnnx">ML.NET's ResNet18.onnx (beside the benchmark assembly through ImageNetResNet18Model.targets).</param>
public sealed record OnnxFiles(string PackFolder, string GeneratorOnnx, string EncoderOnnx)
{
    /// <summary>The default ONNX file of the generator.</summary>
    public const string DefaultGeneratorOnnx = "/tmp/colorize-bench/colorize-base.onnx";

    /// <summary>
    /// The defaults, overridden by the environment (BenchmarkDotNet takes no options of ours):
    /// COLORIZE_BENCH_PACK, COLORIZE_BENCH_GENERATOR_ONNX, COLORIZE_BENCH_ENCODER_ONNX.
    /// </summary>
    public static OnnxFiles FromEnvironment() => new(
        Environment.GetEnvironmentVariable("COLORIZE_BENCH_PACK") is { Length: > 0 } pack ? pack : Path.Combine(RepositoryRoot(), "packaging", "packs", "colorize-base"),
        Environment.GetEnvironmentVariable("COLORIZE_BENCH_GENERATOR_ONNX") is { Length: > 0 } gen ? gen : DefaultGeneratorOnnx,
        Environment.GetEnvironmentVariable("COLORIZE_BENCH_ENCODER_ONNX") is { Length: > 0 } enc ? enc : ImageNetResNet18.DefaultPath);

    /// <summary>The repository root: the folder with ColorizePlugins.sln above the working directory, else above the assembly.</summary>
    public static string RepositoryRoot()
    {
        // With --artifacts-path the assembly is outside the tree, so the working directory is tried first.
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ColorizePlugins.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException("Run from inside the repository: the benchmark reads samples/picos-de-europa-bw.jpg and, by default, packaging/packs/colorize-base.");
    }

    /// <summary>Fails early, in one line, when a file is missing (the generator's ONNX file has to be exported first).</summary>
    public void Check()
    {
        if (!File.Exists(Path.Combine(PackFolder, "manifest.json")))
        {
            throw new FileNotFoundException($"{PackFolder} is not a pack folder (no manifest.json).");
        }

        if (!File.Exists(GeneratorOnnx))
        {
            throw new FileNotFoundException($"{GeneratorOnnx} does not exist: make it with 'colorize-train export {PackFolder} --onnx {GeneratorOnnx}'.");
        }

        if (!File.Exists(EncoderOnnx))
        {
            throw new FileNotFoundException($"{EncoderOnnx} does not exist (ImageNetResNet18Model.targets puts it beside the benchmark assembly).");
        }
    }
}

/// <summary>
/// The generator's colour-hint input. A hint pack's network and exported graph both take hint planes besides L
/// (colorize-base since 1.1.0), so both sides get them: <paramref name="Count"/> hints on the square (0: zero planes,
/// the automatic colours, as the pipeline feeds a hint pack given no hints). The engine's planes are made by the
/// pipeline's own call (<see cref="HintPlanes.Rasterise"/>, a and b divided by 110 × the pack's chroma gain), the
/// graph's in Lab units as its contract asks (it divides by 110 × the gain itself), so both compute the same colours
/// (<see cref="OnnxTable"/> prints the difference). Only the network: the engine's hint propagation after it, which
/// the graph does not contain, is not timed.
/// </summary>
/// <param name="TakesHints">The pack's manifest has <c>input.hints</c>.</param>
/// <param name="Count">How many hints.</param>
/// <param name="ChromaGain">The pack's <c>input.chromaGain</c> (1 without one).</param>
public sealed record HintFeed(bool TakesHints, int Count, double ChromaGain)
{
    /// <summary>The hint count when no <c>--hints</c> is given: COLORIZE_BENCH_HINTS (BenchmarkDotNet takes no options of ours), else 0.</summary>
    public static int CountFromEnvironment() =>
        Environment.GetEnvironmentVariable("COLORIZE_BENCH_HINTS") is { Length: > 0 } n ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : 0;

    /// <summary>The feed of the pack in <paramref name="packFolder"/> with <paramref name="count"/> hints; hints for a pack without them are refused.</summary>
    public static HintFeed For(string packFolder, int count)
    {
        if (count is < 0 or > ColorizeOptions.MaxHints)
        {
            throw new ArgumentException($"--hints {count}: between 0 and {ColorizeOptions.MaxHints}");
        }

        var manifest = PackManifestJson.Parse(File.ReadAllBytes(Path.Combine(packFolder, PackManifestJson.FileName)));
        if (count > 0 && !manifest.Input.Hints)
        {
            throw new ArgumentException($"--hints {count}: pack {manifest.Id}@{manifest.Version} takes no colour hints");
        }

        return new HintFeed(manifest.Input.Hints, count, manifest.Input.ChromaGain ?? 1);
    }

    /// <summary>What the tables say about the generator's input.</summary>
    public string Description => !TakesHints ? "L only (the pack takes no hints)" : Count == 0 ? "L and zero hint planes (no hints)" : $"L and {Count} hints";

    /// <summary>
    /// <see cref="Count"/> hints on a <paramref name="side"/>² square: positions spread evenly by the R2 low-discrepancy
    /// sequence (fixed, so every run feeds the same), radius 4 px at 256² and in proportion, each coloured with the
    /// sample's true colour there (docs/images/picos-truth.jpg squeezed to the square as the L input is), as the model
    /// card's hint figures take hints from the truth.
    /// </summary>
    public ColorHint[] Hints(int side)
    {
        if (Count == 0)
        {
            return [];
        }

        string truth = Path.Combine(OnnxFiles.RepositoryRoot(), "docs", "images", "picos-truth.jpg");
        var image = Resampler.Resize(Image.Load(truth).ConvertTo(PixelFormat.Rgb24), side, side, ResampleFilter.Bilinear);
        const double A1 = 0.7548776662466927, A2 = 0.5698402909980532; // 1/ρ and 1/ρ² of the plastic number ρ
        var hints = new ColorHint[Count];
        for (int i = 0; i < Count; i++)
        {
            double fx = (0.5 + (A1 * (i + 1))) % 1, fy = (0.5 + (A2 * (i + 1))) % 1;
            int x = Math.Min(side - 1, (int)(fx * side)), y = Math.Min(side - 1, (int)(fy * side));
            var p = image.GetRow<byte>(y).Slice(3 * x, 3);
            hints[i] = new ColorHint(x + 0.5, y + 0.5, p[0], p[1], p[2], ColorHint.DefaultRadius * side / 256.0);
        }

        return hints;
    }
}

/// <summary>
/// The engine's two networks as the product runs them, loaded once: the generator built from the pack's manifest with
/// its weights, eval mode, spectral norm materialised and BatchNorm folded (<c>InferenceOptimizer.Optimize</c>, what
/// <c>CpuColorizer.Create</c> does), and the ResNet18 encoder with the imported weights, prepared the same way.
/// </summary>
public sealed class EngineNetworks
{
    private EngineNetworks(Module<Tensor, Tensor> generator, ResNetEncoder encoder)
    {
        Generator = generator;
        Encoder = encoder;
    }

    /// <summary>The pack's generator; its output is tanh (the pipeline scales it by 110 × chroma gain later).</summary>
    public Module<Tensor, Tensor> Generator { get; }

    /// <summary>The imported ResNet18.</summary>
    public ResNetEncoder Encoder { get; }

    /// <summary>Loads both networks.</summary>
    public static EngineNetworks Load(OnnxFiles files)
    {
        var pack = new FolderPack(files.PackFolder);
        var built = ArchitectureRegistry.Build(pack.Manifest.Architecture, ArchitectureRole.Generator);
        built.Module.LoadStateDict(WeightsLoader.Read(pack, built.Module));
        built.Module.Eval();
        InferenceOptimizer.Optimize(built.Module);

        var encoder = new ResNetEncoder(18, 3, generator: null, layer4Blocks: 3);
        encoder.LoadStateDict(ImageNetResNet18.LoadStateDict(files.EncoderOnnx), strict: true);
        encoder.Eval();
        InferenceOptimizer.Optimize(encoder);
        return new EngineNetworks(built.Module, encoder);
    }

    /// <summary>One forward pass of the case's network on a prepared input (no autograd).</summary>
    public Tensor Run(OnnxCase c, Tensor input)
    {
        using var _ = Tensor.NoGrad();
        // Features, as the generator uses the encoder (all five stages); ORT's copy of the graph ends at layer4 too.
        return c.Network == OnnxNetwork.Generator ? Generator.Call(input) : Encoder.Features(input)[4];
    }

    /// <summary>A pack folder read as the engine reads a pack (manifest validated on parsing; the files are the repository's).</summary>
    private sealed class FolderPack(string folder) : IModelPackContent
    {
        public PackManifest Manifest { get; } = PackManifestJson.Parse(File.ReadAllBytes(Path.Combine(folder, PackManifestJson.FileName)));

        public Stream OpenFile(string name) => File.OpenRead(Path.Combine(folder, name));
    }
}

/// <summary>
/// A case's inputs, made once from the sample photo (the values do not change the work, but real data keeps both
/// engines away from denormals and saturated activations): for the generator L* 0–100 for ONNX Runtime (the graph
/// computes L/50 − 1 inside) and L/50 − 1 for the engine, as the pipeline gives it, and for a hint pack the hint
/// planes of a <see cref="HintFeed"/>; for the encoder B, G, R 0–255 minus the ImageNet means, for both.
/// </summary>
public sealed class OnnxInputs
{
    private OnnxInputs(float[] ort, float[]? ortHints, Tensor engine, int channels)
    {
        Ort = ort;
        OrtHints = ortHints;
        Engine = engine;
        Channels = channels;
    }

    /// <summary>ONNX Runtime's input, N×C×H×W with N = 1.</summary>
    public float[] Ort { get; }

    /// <summary>ONNX Runtime's hint input of a hint pack's generator (1×3×H×W: a*, b* in Lab units, mask), else null.</summary>
    public float[]? OrtHints { get; }

    /// <summary>The engine's input (for a hint pack's generator, L/50 − 1 and the three hint planes: 1×4×H×W).</summary>
    public Tensor Engine { get; }

    /// <summary>C.</summary>
    public int Channels { get; }

    /// <summary>Makes the inputs of a case; <paramref name="hints"/> says what a generator's hint input gets.</summary>
    public static OnnxInputs Create(OnnxCase c, HintFeed hints)
    {
        int side = c.Size, plane = side * side;
        string photo = Path.Combine(OnnxFiles.RepositoryRoot(), "samples", "picos-de-europa-bw.jpg");
        var image = Resampler.Resize(Image.Load(photo).ConvertTo(PixelFormat.Rgb24), side, side, ResampleFilter.Bilinear);
        if (c.Network == OnnxNetwork.Generator)
        {
            var (l, a, b) = (new float[plane], new float[plane], new float[plane]);
            LabConverter.ToLab(image, l, a, b);
            var engineL = Tensor.FromArray(l, 1, 1, side, side).Mul(1f / 50f).Add(-1f);
            if (!hints.TakesHints)
            {
                return new OnnxInputs(l, null, engineL, 1);
            }

            // The square is its own render size (the cases' sizes are multiples of the stride): no resize, no padding.
            var geometry = new RenderGeometry(side, side, side, side);
            var list = hints.Hints(side);
            var planes = HintPlanes.Rasterise(list, side, side, geometry, hints.ChromaGain);
            var ortHints = HintPlanes.RasteriseLab(list, side, side, geometry);
            return new OnnxInputs(l, ortHints, Tensor.Cat([engineL, Tensor.FromArray(planes, 1, 3, side, side)], 1), 1);
        }

        var bgr = new float[3 * plane];
        var mean = ImageNetInput.MeanBgr;
        for (int y = 0; y < side; y++)
        {
            var row = image.GetRow<byte>(y);
            for (int x = 0; x < side; x++)
            {
                for (int ch = 0; ch < 3; ch++)
                {
                    // Plane ch is B, G, R: the pixel's byte 2 − ch.
                    bgr[(ch * plane) + (y * side) + x] = row[(x * 3) + 2 - ch] - mean[ch];
                }
            }
        }

        return new OnnxInputs(bgr, null, Tensor.FromArray((float[])bgr.Clone(), 1, 3, side, side), 3);
    }
}

/// <summary>The ONNX models ONNX Runtime runs, read once.</summary>
public sealed class OrtModels
{
    private OrtModels(byte[] generator, byte[] encoder) => (Generator, Encoder) = (generator, encoder);

    /// <summary>The exported generator, as written.</summary>
    public byte[] Generator { get; }

    /// <summary>ResNet18.onnx cut at layer4 with free height and width (see <see cref="EncoderToLayer4"/>).</summary>
    public byte[] Encoder { get; }

    /// <summary>The model of a case.</summary>
    public byte[] For(OnnxCase c) => c.Network == OnnxNetwork.Generator ? Generator : Encoder;

    /// <summary>Reads both files.</summary>
    public static OrtModels Load(OnnxFiles files) => new(File.ReadAllBytes(files.GeneratorOnnx), EncoderToLayer4(files.EncoderOnnx));

    /// <summary>
    /// ML.NET's ResNet18.onnx declares its input as 1×3×224×224, which ONNX Runtime enforces, and ends in a 7×7 average
    /// pool. The copy ORT runs has the input's height and width free and ends at layer4's last ReLU (the value the
    /// importer's walk finds, as the parity test uses), with the nodes after it dropped: the same work as the engine's
    /// ResNetEncoder.Features. Intermediate shapes (value_info, fixed at 224) are left out; ORT infers them.
    /// </summary>
    public static byte[] EncoderToLayer4(string path)
    {
        var model = OnnxReader.Parse(File.ReadAllBytes(path), Path.GetFileName(path));
        var map = ResNetGraphMapper.Map(OnnxReader.Convert(model, Path.GetFileName(path)).Graph, inputChannels: 3);
        string layer4 = map.StageOutputs[4];
        var source = model.Graph;

        // Nodes layer4 depends on, found backwards from it (the file lists nodes in topological order).
        var needed = new HashSet<string>(StringComparer.Ordinal) { layer4 };
        var kept = new List<NodeProto>();
        foreach (var node in source.Node.Reverse())
        {
            if (node.Output.Any(needed.Contains))
            {
                kept.Add(node);
                needed.UnionWith(node.Input);
            }
        }

        kept.Reverse();
        var graph = new GraphProto { Name = source.Name };
        graph.Node.Add(kept);
        graph.Initializer.Add(source.Initializer.Where(t => needed.Contains(t.Name)));
        foreach (var input in source.Input.Where(i => needed.Contains(i.Name)))
        {
            var copy = input.Clone();
            if (copy.Name == map.Input)
            {
                var dims = copy.Type.TensorType.Shape.Dim;
                dims[2] = new TensorShapeProto.Types.Dimension { DimParam = "height" };
                dims[3] = new TensorShapeProto.Types.Dimension { DimParam = "width" };
            }

            graph.Input.Add(copy);
        }

        graph.Output.Add(new ValueInfoProto
        {
            Name = layer4,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });
        var result = new ModelProto { IrVersion = model.IrVersion, ProducerName = model.ProducerName, ProducerVersion = model.ProducerVersion, Graph = graph };
        result.OpsetImport.Add(model.OpsetImport);
        return result.ToByteArray();
    }
}

/// <summary>An ONNX Runtime session of one network at one thread count, with a case's input bound once.</summary>
public sealed class OrtRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtValue[] _inputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly RunOptions _runOptions = new();

    /// <summary>Opens the session: <paramref name="threads"/> intra-op threads, sequential execution, every graph optimisation (ORT's defaults otherwise).</summary>
    public OrtRunner(byte[] model, int threads, OnnxInputs inputs, int size, string? profilePrefix = null)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        if (profilePrefix is not null)
        {
            // The prefix first: setting EnableProfiling passes the prefix it has at that moment to ONNX Runtime.
            options.ProfileOutputPathPrefix = profilePrefix;
            options.EnableProfiling = true;
        }

        _session = new InferenceSession(model, options);
        // The first input is L (or the encoder's image); a hint pack's generator also takes 'hints', which its graph
        // requires. In IR 3 files such as ResNet18.onnx the weights are graph inputs too, but ORT lists only the ones a
        // caller feeds.
        if (_session.InputMetadata.ContainsKey(HintInput) != inputs.OrtHints is not null)
        {
            _session.Dispose();
            throw new InvalidOperationException(inputs.OrtHints is null
                ? "the ONNX file takes colour hints but the pack does not: export the pack that is measured"
                : "the pack takes colour hints but the ONNX file does not: export the pack that is measured");
        }

        var main = OrtValue.CreateTensorValueFromMemory(inputs.Ort, [1, inputs.Channels, size, size]);
        if (inputs.OrtHints is null)
        {
            _inputNames = [_session.InputMetadata.Keys.First()];
            _inputs = [main];
        }
        else
        {
            _inputNames = [_session.InputMetadata.Keys.First(), HintInput];
            _inputs = [main, OrtValue.CreateTensorValueFromMemory(inputs.OrtHints, [1, ResNetUnet.HintChannels, size, size])];
        }

        _outputNames = [.. _session.OutputMetadata.Keys];
    }

    /// <summary>The exported generator's hint input (trainer/README.md, "ONNX export").</summary>
    public const string HintInput = "hints";

    /// <summary>One run; the outputs are freed at once (the engine's pass allocates its output too).</summary>
    public void Run()
    {
        using var results = _session.Run(_runOptions, _inputNames, _inputs, _outputNames);
    }

    /// <summary>One run's first output, copied (for comparing the two sides' results).</summary>
    public float[] RunAndRead()
    {
        using var results = _session.Run(_runOptions, _inputNames, _inputs, _outputNames);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Ends profiling and returns the JSON file ONNX Runtime wrote.</summary>
    public string EndProfiling() => _session.EndProfiling();

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var input in _inputs)
        {
            input.Dispose();
        }

        _runOptions.Dispose();
        _session.Dispose();
    }
}
