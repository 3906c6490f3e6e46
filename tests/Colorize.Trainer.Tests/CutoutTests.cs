using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Imaging.ColorSpaces;
using Colorize.Tensors;

namespace Colorize.Trainer.Tests;

/// <summary>The <c>cutouts</c> option: compositing, loading, pasting, the photo scan and the run's start checks.</summary>
public sealed class CutoutTests
{
    private const double BgL = 60, BgA = 20, BgB = -30;

    [Fact]
    public void Composite_AlphaZeroUntouched_OpaqueIsTheCutoutsColour_PartialIsTheSrgbOverBlend()
    {
        const int size = 4;
        var (l, ab) = UniformSample(size, BgL, BgA, BgB);
        var l0 = l.ToArray();
        var ab0 = ab.ToArray();
        // Three pixels in a row: transparent, opaque (0.2, 0.7, 0.1), half transparent (0.9, 0.3, 0.6) premultiplied.
        var cutout = new CutoutImage("t", 3, 1, [0, 0, 0, 0, 0.2f, 0.7f, 0.1f, 1, 0.45f, 0.15f, 0.3f, 0.5f]);
        cutout.CompositeOnto(l, ab, size, left: 1, top: 2, flip: false);

        var bg = CieLab.ToSrgb(BgL, BgA, BgB);
        var opaque = CieLab.FromSrgb(0.2, 0.7, 0.1);
        var half = CieLab.FromSrgb(0.45 + 0.5 * bg.R, 0.15 + 0.5 * bg.G, 0.3 + 0.5 * bg.B);
        for (int p = 0; p < size * size; p++)
        {
            int x = p % size, y = p / size;
            if (y == 2 && x == 2)
            {
                AssertLab(opaque, l, ab, size, p);
            }
            else if (y == 2 && x == 3)
            {
                AssertLab(half, l, ab, size, p);
            }
            else
            {
                // α = 0 and every pixel outside the cut-out: the same bits as before.
                Assert.Equal(l0[p], l[p]);
                Assert.Equal(ab0[p], ab[p]);
                Assert.Equal(ab0[size * size + p], ab[size * size + p]);
            }
        }
    }

    [Fact]
    public void Composite_Flipped_MirrorsTheCutoutInsideItsBox()
    {
        const int size = 4;
        var (l, ab) = UniformSample(size, BgL, BgA, BgB);
        var cutout = new CutoutImage("t", 2, 1, [0.9f, 0.1f, 0.1f, 1, 0.1f, 0.1f, 0.9f, 1]);
        cutout.CompositeOnto(l, ab, size, left: 0, top: 0, flip: true);
        AssertLab(CieLab.FromSrgb(0.1, 0.1, 0.9), l, ab, size, 0);
        AssertLab(CieLab.FromSrgb(0.9, 0.1, 0.1), l, ab, size, 1);
    }

    [Fact]
    public void FromImage_PremultipliesStraightAlpha_AndCropsToTheVisiblePixels()
    {
        var image = new Image(6, 5, PixelFormat.Rgba32);
        for (int y = 0; y < 5; y++)
        {
            var row = image.GetRowBytes(y);
            for (int x = 0; x < 6; x++)
            {
                // Transparent pixels that store a loud colour: it must not matter.
                bool inside = x is 2 or 3 && y is 1 or 2;
                row[4 * x] = inside ? (byte)200 : (byte)255;
                row[4 * x + 1] = inside ? (byte)100 : (byte)0;
                row[4 * x + 2] = inside ? (byte)50 : (byte)255;
                row[4 * x + 3] = inside ? (byte)(x == 2 ? 128 : 255) : (byte)0;
            }
        }

        var cutout = CutoutImage.FromImage(image, "t")!;
        Assert.Equal((2, 2), (cutout.Width, cutout.Height));
        float a = 128 / 255f;
        Assert.Equal(new[] { 200 / 255f * a, 100 / 255f * a, 50 / 255f * a, a }, cutout.Pixels[..4]);
        Assert.Equal(new[] { 200 / 255f, 100 / 255f, 50 / 255f, 1f }, cutout.Pixels[4..8]);

        var opaque = new Image(3, 3, PixelFormat.Rgba32);
        for (int y = 0; y < 3; y++)
        {
            opaque.GetRowBytes(y).Fill(255);
        }

        Assert.Null(CutoutImage.FromImage(opaque, "opaque")); // a photo, not a cut-out
        Assert.Null(CutoutImage.FromImage(new Image(3, 3, PixelFormat.Rgba32), "empty")); // nothing visible
    }

    [Fact]
    public void ShrunkWhiteDiscOnBlackTransparentPixels_PastedOnWhite_HasNoDarkFringe()
    {
        // The stamps store black under their transparent pixels. Resampled with straight alpha, that black bleeds
        // into the edge of the object; premultiplied it cannot.
        var cutout = CutoutImage.FromImage(Disc(41, 255, 255, 255), "disc")!.Resize(9, 9);
        const int size = 12;
        var (l, ab) = UniformSample(size, 100, 0, 0);
        cutout.CompositeOnto(l, ab, size, 2, 1, flip: false);
        Assert.All(l, v => Assert.True((v + 1) * 50 > 99.5, $"L {(v + 1) * 50} on a white background"));
        Assert.All(ab, v => Assert.True(Math.Abs(v * 110) < 0.5, $"ab {v * 110} on a white background"));
        // And the disc is really there: its centre opaque, its corners nearly transparent.
        Assert.Equal(1f, cutout.Pixels[4 * (4 * 9 + 4) + 3], 3);
        Assert.InRange(cutout.Pixels[3], 0f, 0.2f);
    }

    [Fact]
    public void Paster_IsDeterministicForASeed_AndProbabilityZeroChangesNothing()
    {
        var cutouts = new[] { CutoutImage.FromImage(Disc(20, 30, 200, 40), "green")!, CutoutImage.FromImage(Disc(16, 220, 40, 30), "red")! };
        var on = CutoutPaster.FromImages(new CutoutConfig { List = "x", Probability = 1, MaxCount = 3 }, cutouts);
        var a = GreyBatch(3, 32);
        var b = GreyBatch(3, 32);
        var before = a.AB.ToArray();
        on.Apply(a, CutoutPaster.BatchRandom(7, 2, 5));
        on.Apply(b, CutoutPaster.BatchRandom(7, 2, 5));
        Assert.Equal(a.L.ToArray(), b.L.ToArray());
        Assert.Equal(a.AB.ToArray(), b.AB.ToArray());
        Assert.NotEqual(before, a.AB.ToArray()); // colour was pasted onto the grey samples

        var c = GreyBatch(3, 32);
        on.Apply(c, CutoutPaster.BatchRandom(7, 2, 6));
        Assert.NotEqual(a.AB.ToArray(), c.AB.ToArray()); // another batch, other pastes

        var off = CutoutPaster.FromImages(new CutoutConfig { List = "x", Probability = 0 }, cutouts);
        var d = GreyBatch(3, 32);
        off.Apply(d, CutoutPaster.BatchRandom(7, 2, 5));
        Assert.Equal(GreyBatch(3, 32).L.ToArray(), d.L.ToArray());
        Assert.Equal(before, d.AB.ToArray());
    }

    [Fact]
    public void PhotoScan_SkipsTheCutoutFolder()
    {
        using var photos = new TinyPhotos(3, withGrayscale: false, withBroken: false);
        WriteCutouts(photos.Data, 2);
        // A colourful opaque image there too: the folder is skipped, not the transparency.
        TinyPhotos.Colourful(32, 32, 9).Save(Path.Combine(photos.Data, "cutouts", "pkg", "opaque.png"));

        Assert.DoesNotContain(PhotoDataset.ListImageFiles(photos.Data), p => p.StartsWith("cutouts/", StringComparison.Ordinal));
        var split = PhotoDataset.Prepare(photos.Data, photos.Run("a"), TinyPhotos.TinyConfig("unet-l1", 1), TextWriter.Null);
        var all = split.Train.Concat(split.Validation).Concat(split.Test).Select(e => e.RelativePath)
            .Concat(split.Unreadable).Concat(split.Grayscale).ToList();
        Assert.Equal(3, all.Count);
        Assert.DoesNotContain(all, p => p.StartsWith("cutouts/", StringComparison.Ordinal));
    }

    [Fact]
    public void Config_RejectsBadValues()
    {
        var recipe = TinyPhotos.TinyConfig("unet-l1", 1);
        Assert.Null(recipe.Cutouts);
        foreach (var bad in new[]
        {
            new CutoutConfig { List = null },
            new CutoutConfig { List = "l.txt", Probability = 1.5 },
            new CutoutConfig { List = "l.txt", MaxCount = 0 },
            new CutoutConfig { List = "l.txt", ScaleMin = 0.7, ScaleMax = 0.5 },
            new CutoutConfig { List = "l.txt", ScaleMin = 0.5, ScaleMax = 1.5 },
        })
        {
            Assert.Throws<TrainerException>(() => (recipe with { Cutouts = bad }).Validate());
        }

        (recipe with { Cutouts = new CutoutConfig { List = "l.txt" } }).Validate();
    }

    [Fact]
    public void Start_RefusesAMissingListOrCutout_BeforeTraining()
    {
        using var photos = new TinyPhotos(3, withGrayscale: false, withBroken: false);
        var config = TinyPhotos.TinyConfig("unet-l1", 1) with { Data = photos.Data };

        string run = photos.Run("missing-list");
        var e = Assert.Throws<TrainerException>(() => TrainingRun.Start(config with { Cutouts = new CutoutConfig { List = "cutouts.txt" } }, run, false, TextWriter.Null));
        Assert.Contains("cutouts.txt", e.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(run, "config.json")));

        WriteCutouts(photos.Data, 2);
        File.WriteAllText(Path.Combine(photos.Data, "gone.txt"), "# a comment\ncutouts/pkg/c0.png\tfood\ncutouts/pkg/nope.png\tplant\n");
        e = Assert.Throws<TrainerException>(() => TrainingRun.Start(config with { Cutouts = new CutoutConfig { List = "gone.txt" } }, photos.Run("gone"), false, TextWriter.Null));
        Assert.Contains("cutouts/pkg/nope.png", e.Message, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(photos.Data, "outside.txt"), "photo0.png\n");
        e = Assert.Throws<TrainerException>(() => TrainingRun.Start(config with { Cutouts = new CutoutConfig { List = "outside.txt" } }, photos.Run("outside"), false, TextWriter.Null));
        Assert.Contains("photo0.png", e.Message, StringComparison.Ordinal);

        TinyPhotos.Colourful(16, 16, 2).Save(Path.Combine(photos.Data, "cutouts", "pkg", "opaque.png"));
        File.WriteAllText(Path.Combine(photos.Data, "opaque.txt"), "cutouts/pkg/opaque.png\n");
        e = Assert.Throws<TrainerException>(() => TrainingRun.Start(config with { Cutouts = new CutoutConfig { List = "opaque.txt" } }, photos.Run("opaque"), false, TextWriter.Null));
        Assert.Contains("not a cut-out", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loader_PastesFromItsOwnStream_SoCropsAndNoiseAreThoseOfARunWithoutCutouts()
    {
        using var photos = new TinyPhotos(5, withGrayscale: false, withBroken: false);
        WriteCutouts(photos.Data, 3);
        var config = TinyPhotos.TinyConfig("unet-l1", 1, batch: 2) with
        {
            Noise = new NoiseConfig { Probability = 1, GaussianSigma = 4, JpegProbability = 0 },
        };
        var split = PhotoDataset.Prepare(photos.Data, photos.Run("a"), config, TextWriter.Null);
        var all = split.Train.Concat(split.Validation).Concat(split.Test).ToList();
        int[] order = [.. Enumerable.Range(0, all.Count)];
        var never = CutoutPaster.Load(new CutoutConfig { List = "cutouts.txt", Probability = 0 }, photos.Data, 32);
        var always = CutoutPaster.Load(new CutoutConfig { List = "cutouts.txt", Probability = 1 }, photos.Data, 32);

        using var plain = new BatchLoader(all, order, 0, 2, 32, config, epoch: 1);
        using var zero = new BatchLoader(all, order, 0, 2, 32, config, epoch: 1, cutouts: never);
        using var pasted = new BatchLoader(all, order, 0, 2, 32, config, epoch: 1, cutouts: always);
        using var tail = new BatchLoader(all, order, 1, 2, 32, config, epoch: 1, cutouts: always);
        var plainBatches = plain.Batches().ToList();
        var zeroBatches = zero.Batches().ToList();
        var pastedBatches = pasted.Batches().ToList();
        var tailBatches = tail.Batches().ToList();
        for (int b = 0; b < plainBatches.Count; b++)
        {
            Assert.Equal(plainBatches[b].L.ToArray(), zeroBatches[b].L.ToArray());
            Assert.Equal(plainBatches[b].AB.ToArray(), zeroBatches[b].AB.ToArray());

            // The pipeline by hand: crop from the batch's stream, paste from the paste stream, noise from the batch's.
            var random = BatchLoader.BatchRandom(config.Seed, 1, b);
            var expected = PhotoDataset.MakeBatch(order.Skip(2 * b).Take(2).Select(i => all[i]).ToList(), 32, config.CropScaleMin, random);
            always.Apply(expected, CutoutPaster.BatchRandom(config.Seed, 1, b));
            NoiseAugmentation.Apply(expected, config.Noise, random);
            Assert.Equal(expected.L.ToArray(), pastedBatches[b].L.ToArray());
            Assert.Equal(expected.AB.ToArray(), pastedBatches[b].AB.ToArray());
            Assert.NotEqual(plainBatches[b].AB.ToArray(), pastedBatches[b].AB.ToArray());
        }

        // Starting mid-epoch (a resume) pastes exactly what the full epoch pasted.
        for (int b = 0; b < tailBatches.Count; b++)
        {
            Assert.Equal(pastedBatches[b + 1].AB.ToArray(), tailBatches[b].AB.ToArray());
        }
    }

    [Fact]
    public void RunWithCutouts_ResumedInsideAnEpoch_GivesBitIdenticalWeights()
    {
        using var photos = new TinyPhotos(6, withGrayscale: false, withBroken: false);
        WriteCutouts(photos.Data, 3);
        var config = TinyPhotos.TinyConfig("unet-l1", 2) with
        {
            Data = photos.Data,
            Split = new SplitConfig(1.0, 0.0),
            CheckpointEverySteps = 1,
            Cutouts = new CutoutConfig { List = "cutouts.txt", Probability = 0.7, MaxCount = 2 },
        };
        string straight = photos.Run("straight");
        var a = TrainingRun.Start(config, straight, resume: false, TextWriter.Null);
        a.Train(PhotoDataset.Prepare(photos.Data, straight, a.Config, TextWriter.Null));

        string interrupted = photos.Run("interrupted");
        var b1 = TrainingRun.Start(config, interrupted, resume: false, TextWriter.Null);
        b1.Train(PhotoDataset.Prepare(photos.Data, interrupted, b1.Config, TextWriter.Null), stopAfterStep: 4);
        var b2 = TrainingRun.Start(config, interrupted, resume: true, TextWriter.Null);
        b2.Train(PhotoDataset.Prepare(photos.Data, interrupted, b2.Config, TextWriter.Null));

        var expected = Checkpoints.Load(straight, Checkpoints.Last).Tensors;
        var actual = Checkpoints.Load(interrupted, Checkpoints.Last).Tensors;
        SameWeights.Assert(expected, actual);

        // And the pastes changed training: the same run without them ends elsewhere.
        string without = photos.Run("without");
        var c = TrainingRun.Start(config with { Cutouts = null }, without, resume: false, TextWriter.Null);
        c.Train(PhotoDataset.Prepare(photos.Data, without, c.Config, TextWriter.Null));
        var other = Checkpoints.Load(without, Checkpoints.Last).Tensors;
        Assert.Contains(expected, kv => !kv.Value.ToArray().AsSpan().SequenceEqual(other[kv.Key].ToArray()));
    }

    [Fact]
    public void CutoutSheet_WritesAGridOfPastedTrainingCrops()
    {
        using var photos = new TinyPhotos(5, withGrayscale: false, withBroken: false);
        WriteCutouts(photos.Data, 2);
        var config = TinyPhotos.TinyConfig("unet-l1", 1) with { Cutouts = new CutoutConfig { List = "cutouts.txt", Probability = 0 } };
        string configFile = Path.Combine(photos.Root, "config.json");
        File.WriteAllBytes(configFile, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(config, TrainConfig.Json));
        string sheet = Path.Combine(photos.Root, "sheet.png");
        var output = new StringWriter();

        Assert.Equal(0, Program.Run(["cutout-sheet", "--config", configFile, "--data", photos.Data, "-o", sheet, "--count", "6"], output, output));
        var image = Image.Load(sheet);
        // 6 tiles of 32 px: 3 columns and 2 rows with 4-px gaps.
        Assert.Equal((3 * 32 + 4 * 4, 2 * 32 + 3 * 4), (image.Width, image.Height));
        Assert.Contains("6 training crops", output.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Writes <paramref name="count"/> coloured discs as cutouts/pkg/cN.png and cutouts.txt listing them.</summary>
    internal static void WriteCutouts(string data, int count)
    {
        string folder = Path.Combine(data, "cutouts", "pkg");
        Directory.CreateDirectory(folder);
        var lines = new List<string> { "# test cut-outs" };
        for (int i = 0; i < count; i++)
        {
            Disc(24 + 4 * i, (byte)(40 + 70 * i), (byte)(200 - 50 * i), 60).Save(Path.Combine(folder, $"c{i}.png"));
            lines.Add($"cutouts/pkg/c{i}.png\tfood\t{24 + 4 * i}x{24 + 4 * i}");
        }

        File.WriteAllLines(Path.Combine(data, "cutouts.txt"), lines);
    }

    /// <summary>An opaque disc of the colour on transparent black, with a one-pixel transparent margin.</summary>
    private static Image Disc(int side, byte r, byte g, byte b)
    {
        var image = new Image(side, side, PixelFormat.Rgba32);
        double c = (side - 1) / 2.0, radius = side / 2.0 - 1.5;
        for (int y = 0; y < side; y++)
        {
            var row = image.GetRowBytes(y);
            for (int x = 0; x < side; x++)
            {
                bool inside = (x - c) * (x - c) + (y - c) * (y - c) <= radius * radius;
                row[4 * x] = inside ? r : (byte)0;
                row[4 * x + 1] = inside ? g : (byte)0;
                row[4 * x + 2] = inside ? b : (byte)0;
                row[4 * x + 3] = inside ? (byte)255 : (byte)0;
            }
        }

        return image;
    }

    private static (float[] L, float[] AB) UniformSample(int size, double l, double a, double b)
    {
        int m = size * size;
        var lPlane = Enumerable.Repeat((float)(l / 50 - 1), m).ToArray();
        var ab = Enumerable.Repeat((float)(a / 110), m).Concat(Enumerable.Repeat((float)(b / 110), m)).ToArray();
        return (lPlane, ab);
    }

    private static Batch GreyBatch(int n, int size)
    {
        var l = new float[n * size * size];
        for (int i = 0; i < l.Length; i++)
        {
            l[i] = (i % size) / (float)size - 0.5f;
        }

        return new Batch(Tensor.Wrap(l, n, 1, size, size), Tensor.Zeros(n, 2, size, size));
    }

    private static void AssertLab((double L, double A, double B) expected, float[] l, float[] ab, int size, int p)
    {
        Assert.Equal(expected.L, (l[p] + 1) * 50.0, 3);
        Assert.Equal(expected.A, ab[p] * 110.0, 3);
        Assert.Equal(expected.B, ab[size * size + p] * 110.0, 3);
    }
}
