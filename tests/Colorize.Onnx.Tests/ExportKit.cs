using System.Text.Json;
using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Engine.Pipeline;
using Colorize.Imaging;
using Colorize.Imaging.ColorSpaces;
using Colorize.Imaging.Processing;
using Colorize.Tensors;
using Colorize.Tensors.NN;
using Colorize.Trainer.Export;
using Microsoft.ML.OnnxRuntime;

namespace Colorize.Onnx.Tests;

/// <summary>What the export parity tests share: photos as Lab planes, random networks with realistic statistics, ONNX Runtime.</summary>
internal static class ExportKit
{
    // The size RandomNetwork gives a gated global context (see there).
    private const float GateScale = 1f;

    public static readonly string[] Photos = ["dlib-000179_02159509.jpg", "dlib-000183_02159543.jpg", "picos-truth.jpg"];

    /// <summary>The photo resized to <paramref name="width"/>×<paramref name="height"/> as L, a, b planes (CIE Lab, D65).</summary>
    public static (float[] L, float[] A, float[] B) Lab(string photo, int width, int height)
    {
        var image = Resampler.Resize(Image.Load(Path.Combine(AppContext.BaseDirectory, "photos", photo)).ConvertTo(PixelFormat.Rgb24), width, height, ResampleFilter.Bilinear);
        var (l, a, b) = (new float[width * height], new float[width * height], new float[width * height]);
        LabConverter.ToLab(image, l, a, b);
        return (l, a, b);
    }

    /// <summary>
    /// L planes of <paramref name="count"/> photos (a batch), and hint planes in Lab units made from the photos' own
    /// colours: a* and b* and a mask of 1 in a few squares, 0 elsewhere.
    /// </summary>
    public static (float[] L, float[] Hints) Batch(int count, int width, int height, int offset = 0)
    {
        int plane = width * height;
        var l = new float[count * plane];
        var hints = new float[count * 3 * plane];
        for (int n = 0; n < count; n++)
        {
            var (pl, pa, pb) = Lab(Photos[(n + offset) % Photos.Length], width, height);
            pl.CopyTo(l, n * plane);
            // Three 5×5 hint squares at fixed fractions of the image: the truth's ab there, mask 1.
            foreach (var (fx, fy) in new[] { (0.25, 0.3), (0.6, 0.5), (0.8, 0.8) })
            {
                int x0 = (int)(fx * width), y0 = (int)(fy * height);
                for (int y = y0; y < Math.Min(height, y0 + 5); y++)
                {
                    for (int x = x0; x < Math.Min(width, x0 + 5); x++)
                    {
                        int i = (y * width) + x, o = n * 3 * plane;
                        hints[o + i] = pa[i];
                        hints[o + plane + i] = pb[i];
                        hints[o + (2 * plane) + i] = 1f;
                    }
                }
            }
        }

        return (l, hints);
    }

    /// <summary>
    /// Colour hints on a photo as a user places them: six discs of radii 1.5 to 6 source pixels at fixed fractions of
    /// a <paramref name="width"/> × <paramref name="height"/> image, each coloured with the photo's own sRGB at its
    /// centre (the truth: colours the network can take up). The last overlaps the first with the colour of the
    /// opposite corner, so the order of drawing matters.
    /// </summary>
    public static ColorHint[] PhotoHints(string photo, int width, int height)
    {
        var image = Resampler.Resize(Image.Load(Path.Combine(AppContext.BaseDirectory, "photos", photo)).ConvertTo(PixelFormat.Rgb24), width, height, ResampleFilter.Bilinear);
        ColorHint At(double fx, double fy, double radius, double colourX, double colourY)
        {
            int cx = (int)(colourX * width), cy = (int)(colourY * height);
            var p = image.GetRowBytes(cy).Slice(3 * cx, 3);
            return new ColorHint(fx * width, fy * height, p[0], p[1], p[2], radius);
        }

        return
        [
            At(0.2, 0.25, 3, 0.2, 0.25),
            At(0.5, 0.2, 6, 0.5, 0.2),
            At(0.75, 0.4, 1.5, 0.75, 0.4),
            At(0.3, 0.7, 4, 0.3, 0.7),
            At(0.65, 0.75, 2.5, 0.65, 0.75),
            At(0.23, 0.28, 3, 0.85, 0.85),
        ];
    }

    /// <summary>The engine's input of one image: L·(1/50) − 1 as the pipeline computes it, then hint planes already in the network's units (HintPlanes.Rasterise's).</summary>
    public static Tensor EngineInput(float[] l, float[] networkHintPlanes, int width, int height) =>
        Tensor.Cat([Tensor.FromArray(l, 1, 1, height, width).Mul(1f / 50f).Add(-1f), Tensor.FromArray(networkHintPlanes, 1, 3, height, width)], 1);

    /// <summary>
    /// The engine's input: L·(1/50) − 1 as the pipeline computes it, then the hint planes a/gain/110, b/gain/110, mask
    /// as HintPlanes does. The gain has no default: the pack's own must be passed, or hints enter the engine other
    /// than the export's graph takes them (colorize-base's 1.15 gave 6.6e-3 of difference in tanh units).
    /// </summary>
    public static Tensor EngineInput(float[] l, float[]? hints, int count, int width, int height, double chromaGain)
    {
        var ln = Tensor.FromArray(l, count, 1, height, width).Mul(1f / 50f).Add(-1f);
        if (hints is null)
        {
            return ln;
        }

        int plane = width * height;
        var h = (float[])hints.Clone();
        for (int n = 0; n < count; n++)
        {
            for (int i = 0; i < 2 * plane; i++)
            {
                int k = (n * 3 * plane) + i;
                h[k] = (float)(h[k] / chromaGain / 110.0);
            }
        }

        return Tensor.Cat([ln, Tensor.FromArray(h, count, 3, height, width)], 1);
    }

    /// <summary>
    /// A generator with random weights that behave like trained ones where it matters for the comparison: the
    /// zero-initialised parts (self-attention γ, the hint branch, the global context's expand convolution and gate) made
    /// non-zero, and BatchNorm running statistics gathered by a few training-mode passes over real photos (spectral
    /// norm's vectors advance too), then eval mode.
    /// </summary>
    public static ExportSource RandomNetwork(string architecture, string hyperparameters, ulong seed)
    {
        var hyper = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(hyperparameters)!;
        var spec = new ArchitectureSpec { Name = architecture, Version = 1, Hyperparameters = hyper };
        var generator = new Generator(seed);
        var built = ArchitectureRegistry.Build(spec, ArchitectureRole.Generator, generator);
        var net = built.Module;
        foreach (var (name, tensor) in net.StateDict())
        {
            if (name.EndsWith(".gamma", StringComparison.Ordinal))
            {
                tensor.Data.Fill(0.7f);
            }
            else if (name.StartsWith("hint_", StringComparison.Ordinal))
            {
                Tensor.Randn(generator, 0f, 0.05f, tensor.GetShape()).Data.CopyTo(tensor.Data);
            }
            else if (name.StartsWith(GlobalContext.KeyPrefix + "expand.", StringComparison.Ordinal))
            {
                // At its initial zero the block adds nothing, and a graph without it would match the engine. The deep
                // path reaches a random network's output faintly (the decoder's skips dominate), so the context is
                // made larger than the features it is added to: without spectral norm, leaving it out then moves
                // the output by ~0.03 in tanh units, where N(0, 0.05) moved it by 4e-3.
                Tensor.Randn(generator, 0f, 0.3f, tensor.GetShape()).Data.CopyTo(tensor.Data);
            }
            else if (name == GlobalContext.KeyPrefix + "gate")
            {
                // The gated form's gate starts at zero and hides the block as the plain form's zero expand does. The
                // normalised context has RMS 1 per photo, so the gate alone sets its size: about GateScale per channel,
                // of random sign, every channel well away from zero.
                var magnitude = Tensor.Rand(generator, 0.5f * GateScale, 1.5f * GateScale, tensor.GetShape()).Data;
                var sign = Tensor.Randn(generator, 0f, 1f, tensor.GetShape()).Data;
                for (int i = 0; i < magnitude.Length; i++)
                {
                    tensor.Data[i] = sign[i] < 0 ? -magnitude[i] : magnitude[i];
                }
            }
            else if (architecture == "pix2pix-unet" && tensor.Rank == 4)
            {
                // pix2pix's N(0, 0.02) initialisation leaves the output near zero, where a wrong layer changes it by
                // less than the tolerance; unit-gain weights give outputs of trained-like spread.
                int fanIn = tensor.Count / tensor.Shape[0];
                Tensor.Randn(generator, 0f, MathF.Sqrt(1f / fanIn), tensor.GetShape()).Data.CopyTo(tensor.Data);
            }
        }

        int side = built.Stride <= 32 ? 64 : built.Stride;
        net.Train();
        using (Tensor.NoGrad())
        {
            for (int step = 0; step < 3; step++)
            {
                var (l, h) = Batch(2, side, side, offset: step);
                net.Call(EngineInput(l, built.TakesHints ? h : null, 2, side, side, chromaGain: 1));
            }
        }

        net.Eval();
        return new ExportSource(spec, built, 1, $"random {architecture} (seed {seed})");
    }

    /// <summary>Prepares the network as CpuColorizer does: eval mode, spectral norm materialised, BatchNorm folded (this changes the module: export first).</summary>
    public static void FoldForEngine(BuiltArchitecture built)
    {
        built.Module.Eval();
        InferenceOptimizer.Optimize(built.Module);
    }

    /// <summary>The engine's forward pass of a network prepared by <see cref="FoldForEngine"/>.</summary>
    public static float[] EngineForward(BuiltArchitecture built, Tensor input)
    {
        using (Tensor.NoGrad())
        {
            return built.Module.Call(input).ToArray();
        }
    }

    /// <summary>Runs an exported model in ONNX Runtime (2 threads) on L (and hints) of shape N×C×H×W.</summary>
    public static float[] RunOrt(InferenceSession session, float[] l, float[]? hints, int count, int width, int height)
    {
        using var lValue = OrtValue.CreateTensorValueFromMemory(l, [count, 1, height, width]);
        var names = new List<string> { OnnxExport.InputL };
        var values = new List<OrtValue> { lValue };
        using var hValue = hints is null ? null : OrtValue.CreateTensorValueFromMemory(hints, [count, 3, height, width]);
        if (hValue is not null)
        {
            names.Add(OnnxExport.InputHints);
            values.Add(hValue);
        }

        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, names, values, [OnnxExport.OutputAb]);
        var shape = results[0].GetTensorTypeAndShape().Shape;
        Assert.Equal([count, 2L, height, width], shape);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public static InferenceSession Session(byte[] model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
        return new InferenceSession(model, options);
    }

    public static InferenceSession Session(string path)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
        return new InferenceSession(path, options);
    }

    /// <summary>The repository root (the folder with ColorizePlugins.sln), found from the test's output folder.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ColorizePlugins.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("The repository root (ColorizePlugins.sln) is not above the test's folder.");
    }
}
