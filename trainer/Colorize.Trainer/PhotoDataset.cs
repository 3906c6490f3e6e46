using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Imaging.ColorSpaces;
using Colorize.Imaging.Processing;
using Colorize.Tensors;

namespace Colorize.Trainer;

/// <summary>One photo of the data set, decoded once into Lab planes that are cached on disk.</summary>
internal sealed record PhotoEntry(string RelativePath, string CacheFile, int Width, int Height);

/// <summary>Which photos train, validate and test, and which were left out and why.</summary>
internal sealed record DataSplit(
    IReadOnlyList<PhotoEntry> Train,
    IReadOnlyList<PhotoEntry> Validation,
    IReadOnlyList<PhotoEntry> Test,
    IReadOnlyList<string> Unreadable,
    IReadOnlyList<string> Grayscale,
    bool ValidationFallsBackToTrain)
{
    /// <summary>
    /// The photos an epoch's training order is drawn over: <see cref="Train"/> itself, or with the <c>oversample</c>
    /// option the training photos followed by extra rounds of the listed ones (<see cref="Oversampling.EpochPhotos"/>).
    /// </summary>
    public IReadOnlyList<PhotoEntry> EpochPhotos { get; init; } = Train;
}

/// <summary>A batch: L normalised to [-1, 1] (N×1×S×S) and ab / 110 (N×2×S×S).</summary>
internal sealed record Batch(Tensor L, Tensor AB)
{
    /// <summary>Simulated colour hints (N×3×S×S: a/110, b/110, mask; <see cref="HintSimulation"/>), or null for none.</summary>
    public Tensor? Hints { get; init; }

    /// <summary>What the generator reads: L, followed by the hint planes (zero when none) if it takes hints.</summary>
    public Tensor InputFor(bool takesHints) =>
        !takesHints ? L : Tensor.Cat([L, Hints ?? Tensor.Zeros(L.Shape[0], 3, L.Shape[2], L.Shape[3])], 1);
}

/// <summary>
/// A recursive folder of photos: scanned, filtered (unreadable and grayscale photos are left out), split
/// deterministically by hashing the relative path with the seed, decoded once into a Lab cache in the run
/// directory, and sampled with random crops, rescales and horizontal flips.
/// </summary>
internal static class PhotoDataset
{
    private static readonly HashSet<string> s_extensions = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff" };
    private const int CacheMagic = 0x4C41_4243; // "CBAL"

    /// <summary>Scans <paramref name="dataDirectory"/>, fills the cache under <paramref name="runDirectory"/> and writes split.json.</summary>
    public static DataSplit Prepare(string dataDirectory, string runDirectory, TrainConfig config, TextWriter log)
    {
        if (!Directory.Exists(dataDirectory))
        {
            throw new TrainerException($"The data folder '{dataDirectory}' does not exist.");
        }

        string cacheDir = Path.Combine(runDirectory, "cache");
        Directory.CreateDirectory(cacheDir);
        int cacheShortSide = (int)Math.Ceiling(config.MaxSize * config.CacheScale);
        var files = ListImageFiles(dataDirectory);
        var validationList = config.Split.ValidationList is { } listPath ? ReadValidationList(dataDirectory, listPath, files) : null;
        // Read before decoding, so a missing list stops the run at once rather than after the photos are cached.
        var oversampled = config.Oversample is { } oversample ? Oversampling.ReadList(dataDirectory, oversample) : null;
        var train = new List<PhotoEntry>();
        var validation = new List<PhotoEntry>();
        var test = new List<PhotoEntry>();
        var unreadable = new List<string>();
        var grayscale = new List<string>();
        foreach (var relative in files)
        {
            string cacheFile = Path.Combine(cacheDir, CacheName(relative, cacheShortSide));
            PhotoEntry? entry;
            try
            {
                entry = File.Exists(cacheFile) ? ReadCacheHeader(relative, cacheFile) : Decode(Path.Combine(dataDirectory, relative), relative, cacheFile, cacheShortSide, grayscale);
            }
            catch (Exception e) when (e is ImageFormatException or IOException or InvalidDataException or NotSupportedException or ArgumentException or OutOfMemoryException)
            {
                log.WriteLine($"warning: skipping {relative}: {e.Message}");
                unreadable.Add(relative);
                continue;
            }

            if (entry is null)
            {
                continue;
            }

            if (validationList is not null)
            {
                (validationList.Contains(relative) ? validation : train).Add(entry);
                continue;
            }

            double u = SplitHash(relative, config.Seed);
            (u < config.Split.Train ? train : u < config.Split.Train + config.Split.Validation ? validation : test).Add(entry);
        }

        if (train.Count == 0)
        {
            throw new TrainerException($"No usable colour photos in '{dataDirectory}' for training ({files.Count} files, {unreadable.Count} unreadable, {grayscale.Count} grayscale).");
        }

        bool fallback = validation.Count == 0;
        if (fallback)
        {
            log.WriteLine("warning: the validation split is empty (too few photos); validating on the training photos.");
        }

        var split = new DataSplit(train, validation, test, unreadable, grayscale, fallback);
        if (oversampled is not null)
        {
            split = split with { EpochPhotos = Oversampling.EpochPhotos(split, oversampled, dataDirectory) };
            string factors = string.Join(", ", oversampled.GroupBy(p => p.Value).OrderByDescending(g => g.Key).Select(g => $"{g.Count()} x{g.Key}"));
            string what = oversampled.Values.Distinct().Count() == 1 ? $"{oversampled.Count} listed training photos x{oversampled.Values.First()}" : $"listed training photos {factors}";
            log.WriteLine($"oversampling {what}: {split.EpochPhotos.Count} samples per pass over the {train.Count} training photos");
        }

        WriteSplit(Path.Combine(runDirectory, "split.json"), split, config);
        return split;
    }

    /// <summary>The explicit validation photos; every listed photo must be in the data folder.</summary>
    private static HashSet<string> ReadValidationList(string dataDirectory, string listPath, List<string> files)
    {
        string path = Path.IsPathRooted(listPath) ? listPath : Path.Combine(dataDirectory, listPath);
        if (!File.Exists(path))
        {
            throw new TrainerException($"The validation list '{path}' does not exist.");
        }

        var listed = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToHashSet(StringComparer.Ordinal);
        var known = files.ToHashSet(StringComparer.Ordinal);
        var absent = listed.Where(l => !known.Contains(l)).ToList();
        if (absent.Count > 0)
        {
            throw new TrainerException($"{absent.Count} photo(s) of the validation list are not in '{dataDirectory}', e.g. '{absent[0]}'.");
        }

        return listed;
    }

    /// <summary>
    /// The folder of a data folder that holds cut-outs (objects on a transparent background, pasted by the
    /// <c>cutouts</c> option), where training-photos.sh puts them: never read as photos, so a cut-out is never a
    /// training, validation or test photo whether or not a run pastes them.
    /// </summary>
    public const string CutoutFolder = "cutouts";

    /// <summary>Whether a '/'-separated path relative to the data folder lies in <see cref="CutoutFolder"/>.</summary>
    public static bool IsInCutoutFolder(string relativePath) =>
        relativePath.StartsWith(CutoutFolder + "/", StringComparison.Ordinal);

    /// <summary>
    /// Every JPEG/PNG/BMP/TIFF under <paramref name="dataDirectory"/> (recursive) except those in its
    /// <see cref="CutoutFolder"/>, as '/'-separated relative paths in ordinal order.
    /// </summary>
    public static List<string> ListImageFiles(string dataDirectory) =>
        [.. Directory.EnumerateFiles(dataDirectory, "*", SearchOption.AllDirectories)
            .Where(f => s_extensions.Contains(Path.GetExtension(f)))
            .Select(f => Path.GetRelativePath(dataDirectory, f).Replace('\\', '/'))
            .Where(f => !IsInCutoutFolder(f))
            .Order(StringComparer.Ordinal)];

    /// <summary>A number in [0, 1) from the seed and the relative path: the same photo always lands in the same split.</summary>
    public static double SplitHash(string relativePath, long seed)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}:{relativePath}"));
        return (BinaryPrimitives.ReadUInt64LittleEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>
    /// Whether a photo has colours to learn from or to score against. Unlike the hosts' test (is this photo already in
    /// colour?), a single hue counts: a blue night sky or a green forest is a colour photo whose truth matters, and
    /// sepia prints are kept out of the training folders by curation, not here. The 1.0 data lost 35 of 393 curated
    /// colour photos (a geyser lake, a cloud in a blue sky, …) to the tint-ignoring test.
    /// </summary>
    public static bool HasColour(Image image) => ColorDetector.Analyze(image, s_colourTest).IsColor;

    private static readonly ColorDetectionOptions s_colourTest = new() { IgnoreUniformTint = false };

    private static string CacheName(string relative, int shortSide) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(relative)))[..24] + $"-{shortSide}.lab";

    private static PhotoEntry? Decode(string path, string relative, string cacheFile, int cacheShortSide, List<string> grayscale)
    {
        var image = Image.Load(path);
        if (!HasColour(image))
        {
            grayscale.Add(relative);
            return null;
        }

        if (image.PixelFormat != PixelFormat.Rgb24)
        {
            image = image.ConvertTo(PixelFormat.Rgb24);
        }

        // Downscale once so later epochs read small float planes instead of decoding the photo again.
        int shortSide = Math.Min(image.Width, image.Height);
        if (shortSide > cacheShortSide)
        {
            double scale = (double)cacheShortSide / shortSide;
            int w = Math.Max(1, (int)Math.Round(image.Width * scale));
            int h = Math.Max(1, (int)Math.Round(image.Height * scale));
            image = Resampler.Resize(image, w, h, ResampleFilter.Bicubic, 1);
        }

        int n = image.Width * image.Height;
        var planes = new float[3 * n];
        LabConverter.ToLab(image, planes.AsSpan(0, n), planes.AsSpan(n, n), planes.AsSpan(2 * n, n), 1);
        string temp = cacheFile + ".tmp";
        using (var stream = File.Create(temp))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(CacheMagic);
            writer.Write(image.Width);
            writer.Write(image.Height);
            writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(planes.AsSpan()));
        }

        File.Move(temp, cacheFile, overwrite: true);
        return new PhotoEntry(relative, cacheFile, image.Width, image.Height);
    }

    private static PhotoEntry ReadCacheHeader(string relative, string cacheFile)
    {
        using var stream = File.OpenRead(cacheFile);
        using var reader = new BinaryReader(stream);
        if (reader.ReadInt32() != CacheMagic)
        {
            throw new InvalidDataException($"cache file {cacheFile} is damaged; delete the cache folder.");
        }

        int w = reader.ReadInt32();
        int h = reader.ReadInt32();
        if (w <= 0 || h <= 0 || stream.Length != 12 + 12L * w * h)
        {
            throw new InvalidDataException($"cache file {cacheFile} is damaged; delete the cache folder.");
        }

        return new PhotoEntry(relative, cacheFile, w, h);
    }

    /// <summary>Reads the cached L, a, b planes (each Width×Height).</summary>
    public static float[] ReadPlanes(PhotoEntry entry)
    {
        byte[] bytes = File.ReadAllBytes(entry.CacheFile);
        var planes = new float[3 * entry.Width * entry.Height];
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(12)).CopyTo(planes);
        return planes;
    }

    /// <summary>
    /// Fills one sample of a batch: a square crop (random side in [cropScaleMin, 1] of the short side and random
    /// position when <paramref name="random"/> is given, otherwise the centred full short side), rescaled
    /// bilinearly to <paramref name="size"/>, flipped horizontally with p = 0.5 when random.
    /// </summary>
    public static void Sample(float[] planes, int width, int height, int size, double cropScaleMin, Generator? random, Span<float> l, Span<float> ab)
    {
        int shortSide = Math.Min(width, height);
        double crop = shortSide;
        double x0 = (width - shortSide) / 2.0, y0 = (height - shortSide) / 2.0;
        bool flip = false;
        if (random is not null)
        {
            crop = shortSide * (cropScaleMin + (1 - cropScaleMin) * random.NextDouble());
            x0 = (width - crop) * random.NextDouble();
            y0 = (height - crop) * random.NextDouble();
            flip = random.NextDouble() < 0.5;
        }

        int n = width * height;
        int m = size * size;
        double step = crop / size;
        for (int y = 0; y < size; y++)
        {
            double sy = Math.Clamp(y0 + (y + 0.5) * step - 0.5, 0, height - 1);
            int iy = Math.Min((int)sy, height - 2 < 0 ? 0 : height - 2);
            double fy = height == 1 ? 0 : sy - iy;
            for (int x = 0; x < size; x++)
            {
                double sx = Math.Clamp(x0 + (x + 0.5) * step - 0.5, 0, width - 1);
                int ix = Math.Min((int)sx, width - 2 < 0 ? 0 : width - 2);
                double fx = width == 1 ? 0 : sx - ix;
                int ix1 = Math.Min(ix + 1, width - 1), iy1 = Math.Min(iy + 1, height - 1);
                int o = y * size + (flip ? size - 1 - x : x);
                for (int c = 0; c < 3; c++)
                {
                    int b = c * n;
                    double v = (1 - fy) * ((1 - fx) * planes[b + iy * width + ix] + fx * planes[b + iy * width + ix1])
                        + fy * ((1 - fx) * planes[b + iy1 * width + ix] + fx * planes[b + iy1 * width + ix1]);
                    if (c == 0)
                    {
                        l[o] = (float)(v / 50 - 1);
                    }
                    else
                    {
                        ab[(c - 1) * m + o] = (float)(v / 110);
                    }
                }
            }
        }
    }

    /// <summary>Builds a batch from <paramref name="entries"/>; <paramref name="random"/> null gives centred crops.</summary>
    public static Batch MakeBatch(IReadOnlyList<PhotoEntry> entries, int size, double cropScaleMin, Generator? random)
    {
        int m = size * size;
        var l = new float[entries.Count * m];
        var ab = new float[entries.Count * 2 * m];
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            Sample(ReadPlanes(e), e.Width, e.Height, size, cropScaleMin, random, l.AsSpan(i * m, m), ab.AsSpan(i * 2 * m, 2 * m));
        }

        return new Batch(Tensor.Wrap(l, entries.Count, 1, size, size), Tensor.Wrap(ab, entries.Count, 2, size, size));
    }

    private static void WriteSplit(string path, DataSplit split, TrainConfig config)
    {
        var doc = new
        {
            seed = config.Seed,
            shares = config.Split,
            validationFallsBackToTrain = split.ValidationFallsBackToTrain,
            train = split.Train.Select(e => e.RelativePath),
            validation = split.Validation.Select(e => e.RelativePath),
            test = split.Test.Select(e => e.RelativePath),
            unreadable = split.Unreadable,
            grayscale = split.Grayscale,
        };
        AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(doc, TrainConfig.Json));
    }
}

/// <summary>
/// Writes files so that a crash leaves either the old or the new content, never half of one; a write that fails (a
/// full disk) removes its temporary file, so a failed checkpoint leaves nothing behind.
/// </summary>
internal static class AtomicFile
{
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        string temp = path + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            DeleteQuietly(temp);
            throw;
        }
    }

    /// <summary>Removes a temporary file or folder after a failed write; a failure to remove it must not hide the write's.</summary>
    public static void DeleteQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
