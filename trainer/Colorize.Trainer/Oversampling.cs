namespace Colorize.Trainer;

/// <summary>
/// The <c>oversample</c> config key: the training photos named in <see cref="List"/> appear <see cref="Factor"/> times
/// in each epoch's training order instead of once (issue 14: the full set's many dry-grass, fur, bark and sand
/// textures pull grass to beige under L1, while the few green scenes alone teach green within a few dozen steps).
/// Validation is never oversampled.
/// </summary>
internal sealed record OversampleConfig
{
    /// <summary>
    /// A text file of '/'-separated photo paths relative to the data folder, one a line ('#' lines and blank lines
    /// skipped), each optionally followed by a tab and its own factor (2 to 20) in place of <see cref="Factor"/>, so
    /// one list can weigh two groups differently (green scenes ×4, people ×3); a relative path of the list itself is
    /// taken from the data folder, as split.validationList is. Every listed photo must be a training photo of the run.
    /// </summary>
    public string? List { get; init; }

    /// <summary>How many times each listed photo appears per epoch (2 to 20).</summary>
    public int Factor { get; init; } = 2;

    /// <summary>Throws <see cref="TrainerException"/> for a missing list name or a factor outside its range.</summary>
    public void Validate()
    {
        TrainConfig.Require(!string.IsNullOrWhiteSpace(List), "oversample.list must name the list of photos to oversample (e.g. \"green-1.3.txt\" in the data folder).");
        TrainConfig.Require(Factor is >= 2 and <= 20, $"oversample.factor must be from 2 to 20, got {Factor}.");
    }
}

/// <summary>Reads the <c>oversample</c> list and builds the photos an epoch's order is drawn over.</summary>
internal static class Oversampling
{
    /// <summary>
    /// The listed paths with the number of times each appears per epoch (its line's factor, else the config's), read
    /// before the photos are decoded so that a missing, empty or malformed list stops the run at once.
    /// </summary>
    /// <exception cref="TrainerException">The list does not exist, names no photo, names one twice or has a bad factor.</exception>
    public static Dictionary<string, int> ReadList(string dataDirectory, OversampleConfig config)
    {
        config.Validate();
        string path = Path.IsPathRooted(config.List!) ? config.List! : Path.Combine(dataDirectory, config.List!);
        if (!File.Exists(path))
        {
            throw new TrainerException($"The oversample list '{path}' (oversample.list) does not exist.");
        }

        var listed = new Dictionary<string, int>(StringComparer.Ordinal);
        string[] lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            string[] fields = line.Split('\t');
            string photo = fields[0].Trim();
            int factor = config.Factor;
            if (fields.Length > 2 || (fields.Length == 2 && !(int.TryParse(fields[1].Trim(), out factor) && factor is >= 2 and <= 20)))
            {
                throw new TrainerException($"Line {i + 1} of the oversample list '{path}' must be a photo path, optionally followed by a tab and a factor from 2 to 20: '{line}'.");
            }

            if (!listed.TryAdd(photo, factor))
            {
                throw new TrainerException($"The oversample list '{path}' names '{photo}' twice (line {i + 1}).");
            }
        }

        if (listed.Count == 0)
        {
            throw new TrainerException($"The oversample list '{path}' names no photos.");
        }

        return listed;
    }

    /// <summary>
    /// The training photos once each, followed by more rounds of the listed ones (in training order): round r
    /// (1-based) holds every listed photo whose factor is above r, so a photo of factor f appears f times. With one
    /// factor for all this is <c>factor − 1</c> rounds of all of them, the order before per-line factors existed. An
    /// epoch's order is a permutation over this list (× epochRepeats), so its length, and with it the steps per
    /// epoch, the one-cycle step counts and the order a checkpoint saves, all follow from it.
    /// </summary>
    /// <exception cref="TrainerException">A listed photo is not a training photo; the message names it and says where it is instead.</exception>
    public static IReadOnlyList<PhotoEntry> EpochPhotos(DataSplit split, IReadOnlyDictionary<string, int> listed, string dataDirectory)
    {
        var train = split.Train.Select(e => e.RelativePath).ToHashSet(StringComparer.Ordinal);
        // Ordinal order so the message names the same photo every time.
        foreach (string path in listed.Keys.Order(StringComparer.Ordinal))
        {
            if (!train.Contains(path))
            {
                throw new TrainerException($"'{path}' of the oversample list is not a training photo: {WhereInstead(split, path, dataDirectory)}. Only training photos can be oversampled.");
            }
        }

        var chosen = split.Train.Where(e => listed.ContainsKey(e.RelativePath)).ToList();
        var photos = new List<PhotoEntry>(split.Train.Count + chosen.Sum(e => listed[e.RelativePath] - 1));
        photos.AddRange(split.Train);
        for (int round = 1; round < listed.Values.Max(); round++)
        {
            photos.AddRange(chosen.Where(e => listed[e.RelativePath] > round));
        }

        return photos;
    }

    private static string WhereInstead(DataSplit split, string path, string dataDirectory)
    {
        bool In(IReadOnlyList<PhotoEntry> entries) => entries.Any(e => e.RelativePath == path);
        return In(split.Validation) ? "it is a validation photo"
            : In(split.Test) ? "it is a test photo"
            : split.Unreadable.Contains(path) ? "it is unreadable"
            : split.Grayscale.Contains(path) ? "it is grayscale (left out of the data)"
            : $"it is not a photo in '{dataDirectory}'";
    }
}
