using System.Globalization;
using System.Text.Json;
using Colorize.Tensors;

namespace Colorize.Trainer;

/// <summary>
/// The <c>rebalance</c> config key: colour class rebalancing after Zhang et al. 2016 ("Colorful Image Colorization",
/// §2.2), applied to the generator's per-pixel L1 on ab. Each pixel's L1 is weighted by the rarity of its true colour,
/// w ∝ ((1 − λ)·p̃(q) + λ/Q)⁻¹, with p̃ the empirical distribution of quantised ab over the training photos smoothed by
/// a Gaussian, Q the number of in-gamut bins and E_p̃[w] = 1, so that the common desaturated colours stop dominating
/// the loss and rare saturated ones count.
/// </summary>
internal sealed record RebalanceConfig
{
    /// <summary>λ: the share of the uniform distribution mixed into p̃ (the paper's ½); 1 gives every colour weight 1.</summary>
    public double Weight { get; init; } = 0.5;

    /// <summary>σ of the Gaussian that smooths the empirical distribution, in ab units (the paper's 5; 0: unsmoothed).</summary>
    public double Sigma { get; init; } = 5;

    /// <summary>Side of the ab bins in ab units (the paper's 10).</summary>
    public int BinSize { get; init; } = 10;

    public void Validate()
    {
        TrainConfig.Require(Weight is > 0 and <= 1, $"rebalance.weight (λ) must be in (0, 1], got {Weight}.");
        TrainConfig.Require(Sigma is >= 0 and <= 50, $"rebalance.sigma must be from 0 to 50 ab units, got {Sigma}.");
        TrainConfig.Require(BinSize is >= 2 and <= 55, $"rebalance.binSize must be from 2 to 55 ab units, got {BinSize}.");
    }
}

/// <summary>
/// The per-bin weights of a run, computed once from its training photos when it starts and kept in
/// <c>rebalance.json</c> in the run directory, which a resumed run reads back instead of recomputing.
/// </summary>
internal sealed class ColourRebalance
{
    /// <summary>The file in the run directory.</summary>
    public const string FileName = "rebalance.json";

    private readonly float[] _binWeights;

    private ColourRebalance(RebalanceConfig config, AbGrid grid, double[] empirical, double[] smoothed, double[] weights, int photos)
    {
        Config = config;
        Grid = grid;
        Empirical = empirical;
        Smoothed = smoothed;
        Weights = weights;
        Photos = photos;
        _binWeights = [.. weights.Select(w => (float)w)];
    }

    public RebalanceConfig Config { get; }

    public AbGrid Grid { get; }

    /// <summary>p: the share of training pixels in each bin (each photo counts equally, as each crop does).</summary>
    public double[] Empirical { get; }

    /// <summary>p̃: <see cref="Empirical"/> smoothed and restricted to the gamut.</summary>
    public double[] Smoothed { get; }

    /// <summary>w per bin (0 outside the gamut, where no pixel is counted).</summary>
    public double[] Weights { get; }

    /// <summary>How many training photos the histogram was made from.</summary>
    public int Photos { get; }

    /// <summary>The weights of <paramref name="config"/> for a histogram <paramref name="empirical"/> over <paramref name="grid"/>'s bins.</summary>
    public static ColourRebalance FromHistogram(RebalanceConfig config, AbGrid grid, double[] empirical, int photos)
    {
        var smoothed = Smooth(empirical, grid, config.Sigma);
        return new ColourRebalance(config, grid, empirical, smoothed, BinWeights(smoothed, grid.InGamut, config.Weight), photos);
    }

    /// <summary>
    /// The run's weights: read from <c>rebalance.json</c> when <paramref name="resuming"/> (a resumed run must weigh as
    /// it did), otherwise computed from <paramref name="train"/> (the training photos; never validation) and written there.
    /// </summary>
    public static ColourRebalance ForRun(string runDirectory, RebalanceConfig config, IReadOnlyList<PhotoEntry> train, bool resuming, TextWriter log)
    {
        string path = Path.Combine(runDirectory, FileName);
        if (resuming)
        {
            if (!File.Exists(path))
            {
                throw new TrainerException($"{path} is missing: the run's colour weights were computed when it started, and a resumed run must use the same ones.");
            }

            return Read(path, config);
        }

        var grid = AbGrid.Srgb(config.BinSize);
        var result = FromHistogram(config, grid, Histogram(train, grid), train.Count);
        AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(result.ToFile(), TrainConfig.Json));
        var inGamut = Enumerable.Range(0, grid.InGamut.Length).Where(q => grid.InGamut[q]).ToList();
        int peak = inGamut.MaxBy(q => result.Smoothed[q]);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"colour rebalancing (λ {config.Weight:G3}, σ {config.Sigma:G3}, bins of {config.BinSize}): {grid.GamutCount} ab bins in gamut, histogram of {train.Count} training photos; weights {inGamut.Min(q => result.Weights[q]):F2}–{inGamut.Max(q => result.Weights[q]):F2}, {result.Weights[peak]:F2} for the commonest bin (a {grid.CentreA(peak)}, b {grid.CentreB(peak)}); {FileName} written"));
        return result;
    }

    /// <summary>The share of pixels in each in-gamut bin over <paramref name="photos"/>' cached Lab planes, each photo weighing the same.</summary>
    public static double[] Histogram(IReadOnlyList<PhotoEntry> photos, AbGrid grid)
    {
        var total = new double[grid.InGamut.Length];
        var counts = new long[grid.InGamut.Length];
        foreach (var photo in photos)
        {
            var planes = PhotoDataset.ReadPlanes(photo);
            int n = photo.Width * photo.Height;
            Array.Clear(counts);
            for (int i = 0; i < n; i++)
            {
                counts[grid.BinOf(planes[n + i], planes[2 * n + i])]++;
            }

            for (int q = 0; q < total.Length; q++)
            {
                total[q] += (double)counts[q] / n / photos.Count;
            }
        }

        return total;
    }

    /// <summary>
    /// p convolved with a Gaussian of σ <paramref name="sigma"/> (ab units) over the bin centres, kept to the gamut and
    /// normalised to sum 1 (σ 0: p itself, normalised).
    /// </summary>
    public static double[] Smooth(double[] p, AbGrid grid, double sigma)
    {
        var smoothed = new double[p.Length];
        for (int t = 0; t < p.Length; t++)
        {
            if (!grid.InGamut[t])
            {
                continue;
            }

            if (sigma == 0)
            {
                smoothed[t] = p[t];
                continue;
            }

            double sum = 0;
            for (int s = 0; s < p.Length; s++)
            {
                if (p[s] > 0)
                {
                    double da = grid.CentreA(s) - grid.CentreA(t), db = grid.CentreB(s) - grid.CentreB(t);
                    sum += p[s] * Math.Exp(-(da * da + db * db) / (2 * sigma * sigma));
                }
            }

            smoothed[t] = sum;
        }

        double total = smoothed.Sum();
        if (total <= 0)
        {
            throw new TrainerException("colour rebalancing: the training photos have no pixel in any in-gamut ab bin.");
        }

        return [.. smoothed.Select(v => v / total)];
    }

    /// <summary>w(q) = ((1 − λ)·p̃(q) + λ/Q)⁻¹ for the in-gamut bins (0 elsewhere), scaled so that Σ p̃(q)·w(q) = 1.</summary>
    public static double[] BinWeights(double[] smoothed, bool[] inGamut, double lambda)
    {
        int q = inGamut.Count(g => g);
        var w = new double[smoothed.Length];
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = inGamut[i] ? 1 / ((1 - lambda) * smoothed[i] + lambda / q) : 0;
        }

        double expectation = Enumerable.Range(0, w.Length).Sum(i => smoothed[i] * w[i]);
        return [.. w.Select(v => v / expectation)];
    }

    /// <summary>The weight of each pixel's true colour: N×1×H×W from the target ab (N×2×H×W, ab/110).</summary>
    public Tensor WeightMap(Tensor ab)
    {
        int n = ab.Shape[0], m = ab.Shape[2] * ab.Shape[3];
        var data = ab.ToArray();
        var map = new float[n * m];
        for (int i = 0; i < n; i++)
        {
            for (int p = 0; p < m; p++)
            {
                map[i * m + p] = _binWeights[Grid.BinOf(data[i * 2 * m + p] * 110.0, data[i * 2 * m + m + p] * 110.0)];
            }
        }

        return Tensor.Wrap(map, n, 1, ab.Shape[2], ab.Shape[3]);
    }

    /// <summary>
    /// mean over N, both channels and the pixels of w·|prediction − truth|, <paramref name="weights"/> (N×1×H×W) shared
    /// by a and b: with every weight 1 it is the plain L1, and its gradient is w·sign(prediction − truth)/count.
    /// </summary>
    public static Tensor WeightedL1(Tensor prediction, Tensor truth, Tensor weights) => ((prediction - truth).Abs() * weights).Mean();

    private RebalanceFile ToFile() => new()
    {
        Weight = Config.Weight,
        Sigma = Config.Sigma,
        BinSize = Config.BinSize,
        Photos = Photos,
        GamutBins = Grid.GamutCount,
        Bins = [.. Enumerable.Range(0, Weights.Length).Where(q => Grid.InGamut[q])
            .Select(q => new RebalanceBin(Grid.CentreA(q), Grid.CentreB(q), Empirical[q], Smoothed[q], Weights[q]))],
    };

    private static ColourRebalance Read(string path, RebalanceConfig config)
    {
        RebalanceFile file;
        try
        {
            file = JsonSerializer.Deserialize<RebalanceFile>(File.ReadAllBytes(path), TrainConfig.Json)
                ?? throw new TrainerException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new TrainerException($"{path} is damaged: {e.Message}", e);
        }

        if (file.Weight != config.Weight || file.Sigma != config.Sigma || file.BinSize != config.BinSize)
        {
            throw new TrainerException($"{path} was made with λ {file.Weight}, σ {file.Sigma}, bins of {file.BinSize}, but the run's config says λ {config.Weight}, σ {config.Sigma}, bins of {config.BinSize}.");
        }

        if (file.Bins.Count == 0)
        {
            throw new TrainerException($"{path} is damaged: it lists no ab bin.");
        }

        int half = AbGrid.Range / config.BinSize, side = 2 * half + 1;
        var inGamut = new bool[side * side];
        double[] p = new double[side * side], smoothed = new double[side * side], w = new double[side * side];
        foreach (var bin in file.Bins)
        {
            int ia = bin.A / config.BinSize + half, ib = bin.B / config.BinSize + half;
            if (bin.A % config.BinSize != 0 || bin.B % config.BinSize != 0 || ia is < 0 || ia >= side || ib is < 0 || ib >= side)
            {
                throw new TrainerException($"{path} is damaged: no bin of {config.BinSize} is centred on a {bin.A}, b {bin.B}.");
            }

            int q = ia * side + ib;
            inGamut[q] = true;
            (p[q], smoothed[q], w[q]) = (bin.P, bin.Smoothed, bin.W);
        }

        return new ColourRebalance(config, new AbGrid(config.BinSize, inGamut), p, smoothed, w, file.Photos);
    }

    /// <summary>rebalance.json: the settings, and per in-gamut bin its centre, p, p̃ and w.</summary>
    private sealed record RebalanceFile
    {
        public double Weight { get; init; }
        public double Sigma { get; init; }
        public int BinSize { get; init; }
        public int Photos { get; init; }
        public int GamutBins { get; init; }
        public IReadOnlyList<RebalanceBin> Bins { get; init; } = [];
    }

    private sealed record RebalanceBin(int A, int B, double P, double Smoothed, double W);
}
