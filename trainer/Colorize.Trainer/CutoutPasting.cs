using Colorize.Imaging;
using Colorize.Tensors;

namespace Colorize.Trainer;

/// <summary>
/// The <c>cutouts</c> config key: paste photographic cut-outs (objects on a transparent background) onto training
/// crops, so that a small photo set shows more objects whose colours it barely has (fruit, flowers, green plants).
/// Training samples only; validation, sample grids and packs never see a paste.
/// </summary>
internal sealed record CutoutConfig
{
    /// <summary>
    /// The list of cut-outs: a text file (TSV; only the first column is read; '#' lines and a 'path' header are
    /// skipped) of paths relative to the data folder, each under its <c>cutouts/</c> folder (which the photo scan
    /// skips). A relative path of the list itself is taken from the data folder, as split.validationList is.
    /// </summary>
    public string? List { get; init; }

    /// <summary>Share of training samples that get pastes at all (0..1).</summary>
    public double Probability { get; init; } = 0.5;

    /// <summary>A sample that gets pastes gets 1 to this many cut-outs (uniformly), each drawn from the whole list.</summary>
    public int MaxCount { get; init; } = 3;

    /// <summary>Smallest size of a paste: its longer side as a share of the crop's side.</summary>
    public double ScaleMin { get; init; } = 0.2;

    /// <summary>Largest size of a paste, as <see cref="ScaleMin"/> (at most 1: a paste always fits the crop).</summary>
    public double ScaleMax { get; init; } = 0.6;

    public void Validate()
    {
        TrainConfig.Require(!string.IsNullOrWhiteSpace(List), "cutouts.list must name the list of cut-outs (e.g. \"cutouts-1.0.txt\" in the data folder).");
        TrainConfig.Require(Probability is >= 0 and <= 1, $"cutouts.probability must be in [0, 1], got {Probability}.");
        TrainConfig.Require(MaxCount is >= 1 and <= 32, $"cutouts.maxCount must be from 1 to 32, got {MaxCount}.");
        TrainConfig.Require(ScaleMin > 0 && ScaleMax >= ScaleMin && ScaleMax <= 1,
            $"cutouts.scaleMin and scaleMax must satisfy 0 < scaleMin <= scaleMax <= 1, got {ScaleMin} and {ScaleMax}.");
    }
}

/// <summary>The cut-outs of a run, loaded once, and the pasting of them onto training batches.</summary>
internal sealed class CutoutPaster
{
    private CutoutPaster(CutoutConfig config, IReadOnlyList<CutoutImage> cutouts)
    {
        Config = config;
        Cutouts = cutouts;
    }

    public CutoutConfig Config { get; }

    /// <summary>The cut-outs in list order, cropped to their visible pixels and shrunk to what a paste can need.</summary>
    public IReadOnlyList<CutoutImage> Cutouts { get; }

    /// <summary>
    /// Reads the list and decodes every cut-out, so that a missing or unusable file stops the run before it trains
    /// rather than in the middle of an epoch. Each is cropped to its visible pixels and shrunk so its longer side is at
    /// most <c>scaleMax</c> × <paramref name="maxSize"/> (the largest paste of the run), which keeps them small in memory.
    /// </summary>
    /// <exception cref="TrainerException">The list or a listed file is missing, unreadable, outside <c>cutouts/</c> or not a cut-out.</exception>
    public static CutoutPaster Load(CutoutConfig config, string? dataDirectory, int maxSize)
    {
        config.Validate();
        if (dataDirectory is null)
        {
            throw new TrainerException("cutouts needs the data folder (--data) to find its list.");
        }

        string listPath = Path.IsPathRooted(config.List!) ? config.List! : Path.Combine(dataDirectory, config.List!);
        if (!File.Exists(listPath))
        {
            throw new TrainerException($"The cut-out list '{listPath}' (cutouts.list) does not exist.");
        }

        var paths = File.ReadAllLines(listPath)
            .Select(line => line.Split('\t')[0].Trim())
            .Where(p => p.Length > 0 && !p.StartsWith('#') && p != "path")
            .ToList();
        if (paths.Count == 0)
        {
            throw new TrainerException($"The cut-out list '{listPath}' names no cut-out.");
        }

        var outside = paths.FirstOrDefault(p => !PhotoDataset.IsInCutoutFolder(p));
        if (outside is not null)
        {
            throw new TrainerException($"The cut-out '{outside}' of '{listPath}' is not under the data folder's {PhotoDataset.CutoutFolder}/ folder: anywhere else it would also be read as a training photo.");
        }

        var missing = paths.Where(p => !File.Exists(Path.Combine(dataDirectory, p))).ToList();
        if (missing.Count > 0)
        {
            throw new TrainerException($"{missing.Count} cut-out(s) of '{listPath}' are not in '{dataDirectory}', e.g. '{missing[0]}'.");
        }

        int maxSide = Math.Max(1, (int)Math.Ceiling(config.ScaleMax * maxSize));
        var cutouts = new List<CutoutImage>(paths.Count);
        foreach (var path in paths)
        {
            Image image;
            try
            {
                image = Image.Load(Path.Combine(dataDirectory, path));
            }
            catch (Exception e) when (e is ImageFormatException or IOException or InvalidDataException or NotSupportedException or ArgumentException)
            {
                throw new TrainerException($"The cut-out '{path}' cannot be read: {e.Message}", e);
            }

            var cutout = CutoutImage.FromImage(image, path)
                ?? throw new TrainerException($"'{path}' is not a cut-out: it has no transparent pixels, or no visible ones.");
            int longer = Math.Max(cutout.Width, cutout.Height);
            if (longer > maxSide)
            {
                double s = (double)maxSide / longer;
                cutout = cutout.Resize(Math.Max(1, (int)Math.Round(cutout.Width * s)), Math.Max(1, (int)Math.Round(cutout.Height * s)));
            }

            cutouts.Add(cutout);
        }

        return new CutoutPaster(config, cutouts);
    }

    /// <summary>One line for the run's log: what is pasted, how often and how large.</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"cut-outs: {Cutouts.Count} from {Config.List}, pasted on {Config.Probability:P0} of the training crops, 1-{Config.MaxCount} each, {Config.ScaleMin:P0}-{Config.ScaleMax:P0} of the crop's side");

    /// <summary>A paster over cut-outs already in memory (tests, the contact sheet).</summary>
    public static CutoutPaster FromImages(CutoutConfig config, IReadOnlyList<CutoutImage> cutouts)
    {
        ArgumentOutOfRangeException.ThrowIfZero(cutouts.Count);
        return new CutoutPaster(config, cutouts);
    }

    /// <summary>
    /// The pasting stream of batch <paramref name="batch"/> of <paramref name="epoch"/>: a stream of its own, apart
    /// from the batch's crop/noise/hint stream (<see cref="BatchLoader.BatchRandom"/>), so that a run with cut-outs
    /// crops, degrades and hints exactly the samples a run without them does, and only the pastes differ (what an
    /// ablation should compare). Like that stream it depends only on the seed, epoch and batch, so a resumed run
    /// pastes the same.
    /// </summary>
    public static Generator BatchRandom(long seed, int epoch, int batch) =>
        new(BatchLoader.BatchRandom(seed, epoch, batch).NextUInt64() ^ 0x6375_746F_7574_7321UL); // "cutouts!"

    /// <summary>
    /// Pastes onto the samples of <paramref name="batch"/> in place (its L and ab, the clean planes before any noise):
    /// each sample with <c>probability</c>, 1..<c>maxCount</c> cut-outs drawn uniformly from the list, each scaled so
    /// its longer side is a share in [scaleMin, scaleMax] of the crop, placed uniformly where it fits whole, mirrored
    /// with p = ½, later pastes over earlier ones.
    /// </summary>
    public void Apply(Batch batch, Generator random)
    {
        int n = batch.L.Shape[0], size = batch.L.Shape[2], m = size * size;
        var l = batch.L.Data;
        var ab = batch.AB.Data;
        for (int i = 0; i < n; i++)
        {
            if (random.NextDouble() >= Config.Probability)
            {
                continue;
            }

            int count = 1 + random.NextInt(Config.MaxCount);
            for (int k = 0; k < count; k++)
            {
                var cutout = Cutouts[random.NextInt(Cutouts.Count)];
                double share = Config.ScaleMin + (Config.ScaleMax - Config.ScaleMin) * random.NextDouble();
                double s = share * size / Math.Max(cutout.Width, cutout.Height);
                int w = Math.Clamp((int)Math.Round(cutout.Width * s), 1, size);
                int h = Math.Clamp((int)Math.Round(cutout.Height * s), 1, size);
                int left = random.NextInt(size - w + 1);
                int top = random.NextInt(size - h + 1);
                bool flip = random.NextDouble() < 0.5;
                cutout.Resize(w, h).CompositeOnto(l.Slice(i * m, m), ab.Slice(i * 2 * m, 2 * m), size, left, top, flip);
            }
        }
    }
}
