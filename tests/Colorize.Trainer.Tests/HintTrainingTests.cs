using System.Text.Json;
using Colorize.Abstractions.Packs;
using Colorize.Engine.Architectures;
using Colorize.Plugins.Packs;
using Colorize.Tensors;

namespace Colorize.Trainer.Tests;

/// <summary>Colour hints in the trainer (issue 16): simulated hints, fine-tuning from a pack, packing and eval --hints.</summary>
public sealed class HintTrainingTests
{
    private static readonly HintConfig Zhang = new();

    private static TrainConfig TinyHintConfig(bool hints, int epochs = 1) => TinyPhotos.TinyConfig("resnet-unet-hints", epochs) with
    {
        Generator = new ArchitectureSpec
        {
            Name = "resnet-unet",
            Version = 1,
            Hyperparameters = TinyPhotos.Hyper($$"""{ "encoderDepth": 18, "width": 0.125, "selfAttention": false, "spectralNorm": true, "hints": {{(hints ? "true" : "false")}} }"""),
        },
        FeatureLoss = null,   // needs the ImageNet ONNX file beside the trainer; the hint path does not depend on it
        Hints = hints ? Zhang : null,
        CheckpointEverySteps = 0,
        Size = 64,            // layer4 at 2×2: BatchNorm has values to normalise even in a last batch of one
    };

    [Fact]
    public void HintCount_IsGeometricWithNoHintSamples()
    {
        var random = new Generator(3);
        var counts = Enumerable.Range(0, 20000).Select(_ => HintSimulation.DrawCount(Zhang, random)).ToList();
        // P(0) = q + (1 − q)·p with q = noHintProbability; the mean of the rest (1 − p)/p = 7 (the cap of 64 barely cuts it).
        double zero = counts.Count(c => c == 0) / (double)counts.Count;
        double expectedZero = Zhang.NoHintProbability + ((1 - Zhang.NoHintProbability) * Zhang.GeometricP);
        Assert.InRange(zero, expectedZero - 0.015, expectedZero + 0.015);
        double mean = counts.Average() / (1 - Zhang.NoHintProbability);
        Assert.InRange(mean, 6.6, 7.4);
        Assert.All(counts, c => Assert.InRange(c, 0, Zhang.MaxHints));
    }

    [Fact]
    public void Hints_AreTruePatchMeans_InsideTheImage_AndGaussianOnesAreMoreCentral()
    {
        const int size = 48;
        var ab = new float[2 * size * size];
        new Generator(9).FillUniform(ab, -0.5f, 0.5f);
        double Spread(bool gaussian)
        {
            var hints = HintSimulation.Draw(Zhang, 400, ab, size, new Generator(gaussian ? 1UL : 2UL), gaussian);
            foreach (var h in hints)
            {
                Assert.InRange(h.Side, Zhang.PatchMin, Zhang.PatchMax);
                Assert.True(h.X >= 0 && h.Y >= 0 && h.X + h.Side <= size && h.Y + h.Side <= size, $"{h} leaves the image");
                double a = 0, b = 0;
                for (int y = h.Y; y < h.Y + h.Side; y++)
                {
                    for (int x = h.X; x < h.X + h.Side; x++)
                    {
                        a += ab[(y * size) + x];
                        b += ab[(size * size) + (y * size) + x];
                    }
                }

                Assert.Equal(a / (h.Side * h.Side), h.A, 5);
                Assert.Equal(b / (h.Side * h.Side), h.B, 5);
            }

            return hints.Average(h => Math.Abs(h.X + (h.Side / 2.0) - (size / 2.0)) + Math.Abs(h.Y + (h.Side / 2.0) - (size / 2.0)));
        }

        Assert.True(Spread(gaussian: true) < Spread(gaussian: false) * 0.8);

        // The planes: mask 1 exactly on the patches, a and b the (last) patch's colour there.
        var planes = new float[3 * size * size];
        var few = HintSimulation.Draw(Zhang, 3, ab, size, new Generator(5));
        HintSimulation.Rasterise(few, planes, size);
        var last = few[^1];
        int centre = ((last.Y + (last.Side / 2)) * size) + last.X + (last.Side / 2);
        Assert.Equal(1f, planes[(2 * size * size) + centre]);
        Assert.Equal(last.A, planes[centre]);
        Assert.True(few.Sum(h => h.Side * h.Side) >= planes.Skip(2 * size * size).Count(v => v == 1f));
    }

    [Fact]
    public void Batches_CarryTheSameHints_ForTheSameSeed()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        var config = TinyHintConfig(hints: true) with { Batch = 3 };
        var split = PhotoDataset.Prepare(photos.Data, photos.Run("hints"), config, TextWriter.Null);
        Tensor Planes()
        {
            using var loader = new BatchLoader(split.Train, [.. Enumerable.Range(0, split.Train.Count)], 0, 3, 32, config with { Size = 32 }, epoch: 0);
            return loader.Batches().First().Hints!;
        }

        var first = Planes();
        Assert.Equal([3, 3, 32, 32], first.Shape.ToArray());
        Assert.Equal(first.Data.ToArray(), Planes().Data.ToArray());
        Assert.Null(HintSimulation.Apply(new Batch(first, first), null, new Generator(1)).Hints);
    }

    [Fact]
    public void FineTune_FromAnAutomaticPack_StartsAsIt_TrainsWithHints_PacksAHintPack_AndEvaluatesWithHints()
    {
        using var photos = new TinyPhotos(5);
        string autoPack = AutomaticPack(photos);

        // The hint run starts from the pack: every tensor the pack has, the hint branch zero.
        string hintRun = photos.Run("hints");
        var log = new StringWriter();
        var config = TinyHintConfig(hints: true) with { Init = new InitConfig { Pack = autoPack } };
        var run = TrainingRun.Start(config, hintRun, resume: false, log);
        Assert.Contains("hint-branch tensors start at zero", log.ToString(), StringComparison.Ordinal);
        var packed = Colorize.Tensors.Serialization.SafeTensorsFile.FromMemory(File.ReadAllBytes(Path.Combine(autoPack, "weights.safetensors")));
        foreach (var (key, tensor) in run.GeneratorModule.StateDict())
        {
            float[] expected = ResNetUnet.HintKeyPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal)) ? new float[tensor.Count] : packed.ReadFloat32(key);
            Assert.True(expected.AsSpan().SequenceEqual(tensor.Data), $"{key} does not start as the pack's");
        }

        run.Train(PhotoDataset.Prepare(photos.Data, hintRun, run.Config, TextWriter.Null));
        Assert.Contains(run.GeneratorModule.StateDict(), kv => kv.Key.StartsWith("hint_", StringComparison.Ordinal) && kv.Value.Data.ToArray().Any(v => v != 0));
        string hintPack = Path.Combine(photos.Root, "packs", "tiny-hints");
        Assert.Equal(0, Program.Run(["pack", hintRun, "--id", "tiny-hints", "--version", "1.1.0", "--folder", hintPack], TextWriter.Null, TextWriter.Null));
        Assert.True(PackManifestJson.ReadFile(Path.Combine(hintPack, "manifest.json")).Input.Hints);
        Assert.False(PackManifestJson.ReadFile(Path.Combine(autoPack, "manifest.json")).Input.Hints);

        // eval --hints: reported, and different from the automatic score; a pack without hints is refused in one line.
        JsonElement Eval(string pack, int hints)
        {
            var stdout = new StringWriter();
            Assert.Equal(0, Program.Run(["eval", "--pack", pack, "--data", photos.Data, "--render-size", "64", "--hints", hints.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json"], stdout, TextWriter.Null));
            return JsonDocument.Parse(stdout.ToString()).RootElement;
        }

        var none = Eval(hintPack, 0);
        var five = Eval(hintPack, 5);
        Assert.Equal(0, none.GetProperty("hints").GetInt32());
        Assert.Equal(5, five.GetProperty("hints").GetInt32());
        Assert.Equal(HintSimulation.EvalPlacement, five.GetProperty("hintPlacement").GetString());
        Assert.NotEqual(none.GetProperty("model").GetProperty("abMae").GetDouble(), five.GetProperty("model").GetProperty("abMae").GetDouble());
        Assert.Equal(five.GetProperty("model").GetProperty("abMae").GetDouble(), Eval(hintPack, 5).GetProperty("model").GetProperty("abMae").GetDouble());
        var stderr = new StringWriter();
        Assert.Equal(1, Program.Run(["eval", "--pack", autoPack, "--data", photos.Data, "--hints", "2"], TextWriter.Null, stderr));
        Assert.Contains("does not take colour hints", stderr.ToString(), StringComparison.Ordinal);
        Assert.Single(stderr.ToString().TrimEnd().Split('\n'));
    }

    [Fact]
    public void BranchOnly_TrainsTheBranchWeightsAlone_SoWithoutHintsThePackIsUnchanged()
    {
        using var photos = new TinyPhotos(5);
        string autoPack = AutomaticPack(photos);

        string hintRun = photos.Run("branch");
        var config = TinyHintConfig(hints: true, epochs: 2) with
        {
            Init = new InitConfig { Pack = autoPack },
            Hints = Zhang with { BranchOnly = true, BranchLrMultiplier = 20 },
        };
        var run = TrainingRun.Start(config, hintRun, resume: false, TextWriter.Null);
        var before = run.GeneratorModule.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Data.ToArray());
        run.Train(PhotoDataset.Prepare(photos.Data, hintRun, run.Config, TextWriter.Null));

        // Only the branch's weights moved: biases, the rest's parameters, BatchNorm statistics and spectral norm's
        // vectors keep their bits.
        foreach (var (key, tensor) in run.GeneratorModule.StateDict())
        {
            bool trains = key is "hint_input.weight" or "hint_head.weight";
            Assert.True(trains != before[key].AsSpan().SequenceEqual(tensor.Data), trains ? $"{key} did not train" : $"{key} changed");
        }

        // Packed, it colours a photo without hints exactly as the pack it started from.
        string hintPack = Path.Combine(photos.Root, "packs", "tiny-branch");
        Assert.Equal(0, Program.Run(["pack", hintRun, "--id", "tiny-branch", "--version", "1.1.0", "--folder", hintPack, "--dtype", "f16"], TextWriter.Null, TextWriter.Null));
        string Eval(string pack, int hints)
        {
            var stdout = new StringWriter();
            Assert.Equal(0, Program.Run(["eval", "--pack", pack, "--data", photos.Data, "--render-size", "64", "--hints", hints.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json"], stdout, TextWriter.Null));
            return JsonDocument.Parse(stdout.ToString()).RootElement.GetProperty("model").GetRawText();
        }

        Assert.Equal(Eval(autoPack, 0), Eval(hintPack, 0));
        Assert.NotEqual(Eval(hintPack, 0), Eval(hintPack, 5));

        // Branch-only training needs a trained network to start from and no critic.
        var e = Assert.Throws<TrainerException>(() => (config with { Init = null }).Validate());
        Assert.Contains("hints.branchOnly", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Init_RefusesAPackOfAnotherShape_InOneLine()
    {
        using var photos = new TinyPhotos(4, withGrayscale: false, withBroken: false);
        string autoRun = photos.Run("auto");
        var auto = TrainingRun.Start(TinyHintConfig(hints: false), autoRun, resume: false, TextWriter.Null);
        auto.Train(PhotoDataset.Prepare(photos.Data, autoRun, auto.Config, TextWriter.Null));
        string pack = Path.Combine(photos.Root, "pack");
        Assert.Equal(0, Program.Run(["pack", autoRun, "--id", "tiny-auto", "--version", "1.0.0", "--folder", pack], TextWriter.Null, TextWriter.Null));

        var wider = TinyHintConfig(hints: true) with
        {
            Generator = new ArchitectureSpec { Name = "resnet-unet", Version = 1, Hyperparameters = TinyPhotos.Hyper("""{ "encoderDepth": 18, "width": 0.25, "selfAttention": false, "spectralNorm": true, "hints": true }""") },
            Init = new InitConfig { Pack = pack },
        };
        var e = Assert.Throws<TrainerException>(() => TrainingRun.Start(wider, photos.Run("wider"), resume: false, TextWriter.Null));
        Assert.Contains("shape", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<TrainerException>(() => (TinyHintConfig(hints: false) with { Hints = Zhang }).Validate());
    }

    [Fact]
    public void DefaultPack11Config_FineTunesTheShippedPack_IntoAHintNetwork()
    {
        string root = RepositoryRoot();
        var config = JsonSerializer.Deserialize<TrainConfig>(File.ReadAllBytes(Path.Combine(root, "packaging", "data", "default-pack-1.1-hints.json")), TrainConfig.Json)!.Validate();
        Assert.NotNull(config.Hints);
        var generator = ArchitectureRegistry.Build(config.Generator, ArchitectureRole.Generator, new Generator(1));
        Assert.True(generator.TakesHints);
        string line = InitialWeights.LoadInto(generator.Module, config.Init! with { Pack = Path.Combine(root, config.Init!.Pack!) });
        Assert.Contains("pack colorize-base@", line, StringComparison.Ordinal);
        // An automatic pack (1.0.1, which 1.1.0 was fine-tuned from) leaves the hint branch at zero; the shipped pack
        // takes hints itself since 1.1.0 and brings its trained branch, every tensor loaded either way.
        var shipped = PackManifestJson.ReadFile(Path.Combine(root, config.Init!.Pack!, "manifest.json"));
        Assert.Contains(shipped.Input.Hints ? "243 tensors" : "hint-branch tensors start at zero", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(20.0)]
    public void HintBranch_GetsItsOwnLearningRate_WhenAMultiplierIsSet(double multiplier)
    {
        var config = TinyHintConfig(hints: true) with { Hints = Zhang with { BranchLrMultiplier = multiplier } };
        var generator = ArchitectureRegistry.Build(config.Generator, ArchitectureRole.Generator, new Generator(1));
        var named = generator.Module.NamedParameters().ToList();
        var groups = GeneratorParamGroups.Build(generator.Module, 1e-3, 0.9, 0.999, config, frozenEncoder: false);

        // Every parameter in exactly one group; the hint branch (and only it) at the multiplied rate when split.
        Assert.Equal(named.Count, groups.Sum(g => g.Parameters.Count));
        var rateOf = ParamGroupRates.Of(groups);

        Assert.Contains(named, n => HintSimulation.IsHintBranchParameter(n.Name));
        foreach (var (name, parameter) in named)
        {
            double expected = HintSimulation.IsHintBranchParameter(name) ? 1e-3 * multiplier : 1e-3;
            Assert.Equal(expected, rateOf[parameter], 12);
        }

        Assert.Equal(1e-3, groups[0].LearningRate, 12);
    }

    /// <summary>Trains a tiny automatic network on <paramref name="photos"/> and packs it (F16), as a hint run's init.</summary>
    private static string AutomaticPack(TinyPhotos photos)
    {
        string autoRun = photos.Run("auto");
        var auto = TrainingRun.Start(TinyHintConfig(hints: false), autoRun, resume: false, TextWriter.Null);
        auto.Train(PhotoDataset.Prepare(photos.Data, autoRun, auto.Config, TextWriter.Null));
        string autoPack = Path.Combine(photos.Root, "packs", "tiny-auto");
        Assert.Equal(0, Program.Run(["pack", autoRun, "--id", "tiny-auto", "--version", "1.0.0", "--folder", autoPack, "--dtype", "f16"], TextWriter.Null, TextWriter.Null));
        return autoPack;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "packaging", "data", "default-pack-1.1-hints.json")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("The repository root (with packaging/data) was not found above the test assembly.");
    }
}
