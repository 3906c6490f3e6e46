using Colorize.Abstractions;
using Colorize.Engine.Architectures;
using Colorize.Imaging;
using Colorize.Imaging.Processing;
using Colorize.Onnx.Import;
using Colorize.Onnx.Proto;
using Colorize.Tensors;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace Colorize.Onnx.Tests;

/// <summary>
/// The imported encoder against ONNX Runtime running ML.NET's own files on real photos: the preprocessing graph, then
/// ResNet18.onnx with the five stage values added as graph outputs, compared with the engine's features.
/// </summary>
public sealed class ParityTests(ITestOutputHelper output)
{
    private const int Side = 224;

    // The stage values reach about 10–20; float32 sums over up to 4608 products in a different order in each engine
    // give differences of a few 1e-6 there.
    private const float AbsoluteTolerance = 1e-4f;

    public static TheoryData<string> Photos => new()
    {
        "dlib-000179_02159509.jpg",
        "dlib-000183_02159543.jpg",
        "picos-truth.jpg",
    };

    [Theory]
    [MemberData(nameof(Photos))]
    public void Encoder_MatchesOnnxRuntime_AtEveryStageAndThePool(string photo)
    {
        float[] rgb = LoadRgb224(Path.Combine(AppContext.BaseDirectory, "photos", photo));

        // Preprocessing as the package does it: ORT runs ResNetPreprocess.onnx on R, G, B 0–255. The same by hand
        // (B, G, R minus the mean image the importer reads) must give the same numbers.
        float[] x = RunPreprocess(rgb);
        float[] mean = ImageNetResNet18.MeanImage(ImageNetResNet18.DefaultPreprocessPath).ToArray();
        int plane = Side * Side;
        for (int c = 0; c < 3; c++)
        {
            for (int i = 0; i < plane; i++)
            {
                Assert.Equal(rgb[((2 - c) * plane) + i] - mean[(c * plane) + i], x[(c * plane) + i]);
            }
        }

        var map = ResNet18File.Map;
        var reference = Session.Value.Run(x, [.. map.StageOutputs, map.PooledOutput!]);

        var encoder = Encoder.Value;
        Tensor[] features;
        using (Tensor.NoGrad())
        {
            features = encoder.Features(Tensor.Wrap(x, 1, 3, Side, Side));
        }

        string[] names = ["conv1+bn1+relu", "layer1", "layer2", "layer3", "layer4"];
        for (int s = 0; s < 5; s++)
        {
            var (shape, data) = reference[s];
            Assert.Equal(shape, features[s].GetShape().Select(d => (long)d));
            Report(photo, names[s], data, features[s].ToArray());
        }

        // The featurizer's output: layer4 averaged over its 7×7 positions.
        var f5 = features[4].ToArray();
        var pooled = new float[512];
        for (int c = 0; c < 512; c++)
        {
            double sum = 0;
            for (int i = 0; i < 49; i++)
            {
                sum += f5[(c * 49) + i];
            }

            pooled[c] = (float)(sum / 49);
        }

        Assert.Equal([1L, 512, 1, 1], reference[5].Shape);
        Report(photo, "7×7 average pool", reference[5].Data, pooled);
    }

    private void Report(string photo, string stage, float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float maxDiff = 0f, maxRef = 0f;
        for (int i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - actual[i]));
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
        }

        output.WriteLine(FormattableString.Invariant($"{photo} {stage}: max |diff| {maxDiff:E2}, max |ref| {maxRef:F3}, ratio {maxDiff / maxRef:E2}"));
        Assert.True(maxDiff <= AbsoluteTolerance, FormattableString.Invariant($"{stage}: max |diff| {maxDiff:E3} > {AbsoluteTolerance:E1} (max |ref| {maxRef})"));
    }

    /// <summary>The photo decoded by the repository's imaging library, resized to 224×224, as R, G, B planes 0–255.</summary>
    private static float[] LoadRgb224(string path)
    {
        var image = Resampler.Resize(Image.Load(path).ConvertTo(PixelFormat.Rgb24), Side, Side, ResampleFilter.Bilinear);
        var planes = new float[3 * Side * Side];
        for (int y = 0; y < Side; y++)
        {
            var row = image.GetRow<byte>(y);
            for (int x = 0; x < Side; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    planes[(c * Side * Side) + (y * Side) + x] = row[(x * 3) + c];
                }
            }
        }

        return planes;
    }

    private static float[] RunPreprocess(float[] rgb)
    {
        using var session = new OrtRunner(File.ReadAllBytes(ImageNetResNet18.DefaultPreprocessPath));
        return session.Run(rgb, ["PreprocessedInput"])[0].Data;
    }

    private static readonly Lazy<ResNetEncoder> Encoder = new(() =>
    {
        var encoder = new ResNetEncoder(18, 3, generator: null, layer4Blocks: 3);
        encoder.LoadStateDict(ResNet18File.Map.StateDict, strict: true);
        encoder.Eval();
        return encoder;
    });

    /// <summary>ResNet18.onnx with the stage values as extra graph outputs (names found by the importer's walk).</summary>
    private static readonly Lazy<OrtRunner> Session = new(() =>
    {
        var model = ResNet18File.GraphCopy();
        foreach (string name in ResNet18File.Map.StageOutputs)
        {
            model.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        return new OrtRunner(model.ToByteArray());
    });

    /// <summary>One ONNX Runtime session with a single N×3×224×224 input.</summary>
    private sealed class OrtRunner : IDisposable
    {
        private readonly InferenceSession _session;

        public OrtRunner(byte[] model)
        {
            using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
            _session = new InferenceSession(model, options);
        }

        public List<(long[] Shape, float[] Data)> Run(float[] input, IReadOnlyCollection<string> outputs)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, Side, Side]);
            using var runOptions = new RunOptions();
            using var results = _session.Run(runOptions, [_session.InputMetadata.Keys.Single()], [value], outputs);
            return [.. results.Select(r => (r.GetTensorTypeAndShape().Shape, r.GetTensorDataAsSpan<float>().ToArray()))];
        }

        public void Dispose() => _session.Dispose();
    }
}
