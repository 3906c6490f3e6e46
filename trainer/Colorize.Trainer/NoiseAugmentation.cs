using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Imaging.Formats.Jpeg;
using Colorize.Tensors;

namespace Colorize.Trainer;

/// <summary>
/// The <c>noise</c> config key: DeOldify-style degradation of the training input (L only; the target ab stays clean),
/// so the model sees the grain and compression artefacts of old scanned photos. Validation, sample grids and packs
/// are never degraded.
/// </summary>
internal sealed record NoiseConfig
{
    /// <summary>Share of training samples that are degraded at all (0..1).</summary>
    public double Probability { get; init; } = 0.5;

    /// <summary>Largest standard deviation of Gaussian grain in L units (0–100); each degraded sample draws one in [0, this].</summary>
    public double GaussianSigma { get; init; } = 4;

    /// <summary>Share of degraded samples that also go through a greyscale JPEG round trip (0..1).</summary>
    public double JpegProbability { get; init; } = 0.5;

    /// <summary>Lowest JPEG quality drawn (1..100).</summary>
    public int JpegQualityMin { get; init; } = 20;

    /// <summary>Highest JPEG quality drawn (JpegQualityMin..100).</summary>
    public int JpegQualityMax { get; init; } = 80;

    public void Validate()
    {
        TrainConfig.Require(Probability is >= 0 and <= 1, $"noise.probability must be in [0, 1], got {Probability}.");
        TrainConfig.Require(GaussianSigma is >= 0 and <= 50, $"noise.gaussianSigma must be in [0, 50] L units, got {GaussianSigma}.");
        TrainConfig.Require(JpegProbability is >= 0 and <= 1, $"noise.jpegProbability must be in [0, 1], got {JpegProbability}.");
        TrainConfig.Require(JpegQualityMin is >= 1 and <= 100 && JpegQualityMax >= JpegQualityMin && JpegQualityMax <= 100,
            $"noise.jpegQualityMin/Max must satisfy 1 <= min <= max <= 100, got {JpegQualityMin}..{JpegQualityMax}.");
    }
}

/// <summary>Applies <see cref="NoiseConfig"/> to a training batch in place.</summary>
internal static class NoiseAugmentation
{
    /// <summary>
    /// Degrades the L planes of <paramref name="batch"/> (normalised L/50 − 1). Every draw comes from
    /// <paramref name="random"/>, the run's data stream, whose state checkpoints save, so a resumed run degrades the
    /// same samples the same way. With <paramref name="config"/> null nothing is drawn, so runs without noise are
    /// unchanged.
    /// </summary>
    public static void Apply(Batch batch, NoiseConfig? config, Generator random)
    {
        if (config is null)
        {
            return;
        }

        int n = batch.L.Shape[0], h = batch.L.Shape[2], w = batch.L.Shape[3], m = h * w;
        var data = batch.L.Data;
        for (int i = 0; i < n; i++)
        {
            // A fixed number of draws per sample keeps the stream's position independent of what was chosen.
            bool degrade = random.NextDouble() < config.Probability;
            double sigma = random.NextDouble() * config.GaussianSigma / 50; // L units → normalised units
            bool jpeg = random.NextDouble() < config.JpegProbability;
            int quality = config.JpegQualityMin + random.NextInt(config.JpegQualityMax - config.JpegQualityMin + 1);
            if (!degrade)
            {
                continue;
            }

            var plane = data.Slice(i * m, m);
            if (sigma > 0)
            {
                for (int p = 0; p < m; p++)
                {
                    plane[p] = Math.Clamp(plane[p] + (float)(sigma * random.NextNormal()), -1f, 1f);
                }
            }

            if (jpeg)
            {
                JpegRoundTrip(plane, w, h, quality);
            }
        }
    }

    /// <summary>Encodes the plane as a greyscale JPEG at <paramref name="quality"/> and decodes it back (blocking, ringing).</summary>
    private static void JpegRoundTrip(Span<float> plane, int width, int height, int quality)
    {
        var gray = new Image(width, height, PixelFormat.Gray8);
        for (int y = 0; y < height; y++)
        {
            var row = gray.GetRowBytes(y);
            for (int x = 0; x < width; x++)
            {
                row[x] = (byte)Math.Clamp((int)MathF.Round((plane[y * width + x] + 1) * 127.5f), 0, 255);
            }
        }

        using var stream = new MemoryStream();
        gray.Save(stream, new JpegEncoder { Quality = quality, ColorType = JpegColorType.Grayscale });
        var decoded = Image.Load(stream.ToArray());
        if (decoded.PixelFormat != PixelFormat.Gray8)
        {
            decoded = decoded.ConvertTo(PixelFormat.Gray8);
        }

        for (int y = 0; y < height; y++)
        {
            var row = decoded.GetRowBytes(y);
            for (int x = 0; x < width; x++)
            {
                plane[y * width + x] = row[x] / 127.5f - 1;
            }
        }
    }
}
