using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Colorize.Abstractions;
using Colorize.Imaging.Processing;

namespace Colorize.Imaging.ColorSpaces;

/// <summary>Settings of <see cref="ColorDetector"/>.</summary>
public sealed record ColorDetectionOptions
{
    /// <summary>
    /// Chroma (CIE Lab √(a² + b²)) a pixel needs, beyond any uniform tint, to count as colourful. Default 10: clearly
    /// visible colour (a just-noticeable difference is about 2.3), above the 1–5 units of chroma noise that scanners and
    /// JPEG chroma subsampling leave in black-and-white photographs.
    /// </summary>
    public float ChromaThreshold { get; init; } = 10f;

    /// <summary>Share of sampled pixels that must be colourful for the image to count as colour. Default 0.05 (5 %).</summary>
    public double MinColorfulShare { get; init; } = 0.05;

    /// <summary>
    /// Whether a single tone (sepia, cyanotype, selenium: one hue whose strength varies across the picture) counts as
    /// monochrome. Default <see langword="true"/>: a toned print is still a black-and-white photograph to colorize.
    /// </summary>
    public bool IgnoreUniformTint { get; init; } = true;

    /// <summary>Pixels to look at, at most, on an even grid. Default 65 536 (a 256 × 256 grid).</summary>
    public int MaxSamples { get; init; } = 65536;
}

/// <summary>What <see cref="ColorDetector"/> found.</summary>
/// <param name="IsColor">Whether <paramref name="Score"/> reaches <see cref="ColorDetectionOptions.MinColorfulShare"/>.</param>
/// <param name="Score">Share (0…1) of sampled pixels whose chroma, off the tint line when tints are ignored, exceeds the threshold.</param>
/// <param name="RawColorfulShare">Share of sampled pixels whose plain chroma exceeds the threshold (tint included).</param>
/// <param name="TintHueDegrees">Hue angle (degrees, atan2(b, a)) of the dominant tint axis; meaningful when the image is toned.</param>
/// <param name="MeanChroma">Mean plain chroma of the samples.</param>
/// <param name="SampledPixels">Pixels examined.</param>
public readonly record struct ColorDetectionResult(bool IsColor, double Score, double RawColorfulShare, double TintHueDegrees, double MeanChroma, int SampledPixels);

/// <summary>
/// Decides cheaply whether an image is already in colour (so colorizing it would be pointless), from a grid sample.
/// </summary>
/// <remarks>
/// <para>
/// The statistic: convert up to <see cref="ColorDetectionOptions.MaxSamples"/> pixels on an even grid to CIE Lab and
/// count the share whose chroma exceeds <see cref="ColorDetectionOptions.ChromaThreshold"/>. With
/// <see cref="ColorDetectionOptions.IgnoreUniformTint"/>, a toned image's chroma is first explained away by a tint
/// model: the tint axis is the principal direction of the samples' (a, b) (the dominant eigenvector of their
/// second-moment matrix, oriented towards the mean), and the tint strength is a function of lightness (per band of
/// 12.5 L units, the median non-negative component along the axis, interpolated between band centres). A pixel's
/// colourfulness is its distance from the tint colour predicted for its lightness. A sepia or cyanotype print follows
/// such a model closely and scores near 0; a coloured object on a grey picture does not (most pixels of its lightness
/// are grey), nor do other hues — including the opposite hue, as in a blue-and-orange photograph. Limits, by design:
/// a colour photograph of essentially one hue (a blue night scene) reads as toned, and coloured details covering
/// less than <see cref="ColorDetectionOptions.MinColorfulShare"/> of the picture are ignored.
/// </para>
/// <para>Grey layouts are never colour. The cost is one Lab conversion of the samples: well under a millisecond.</para>
/// </remarks>
public static partial class ColorDetector
{
    /// <summary>Samples a pixel buffer and decides whether it is colour.</summary>
    /// <param name="pixels">The pixels.</param>
    /// <param name="options">Thresholds; <see langword="null"/> for the defaults.</param>
    /// <returns>The decision and the statistics behind it.</returns>
    public static ColorDetectionResult Analyze(PixelBuffer pixels, ColorDetectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        return Analyze(pixels.Memory.Span, pixels.Width, pixels.Height, pixels.Stride, pixels.Format.ToInterleavedLayout(), options);
    }

    /// <summary>Samples an interleaved image and decides whether it is colour.</summary>
    /// <param name="pixels">Pixels; 16-bit layouts hold native-endian <see cref="ushort"/> channels.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="stride">Bytes from one row to the next.</param>
    /// <param name="layout">The layout.</param>
    /// <param name="options">Thresholds; <see langword="null"/> for the defaults.</param>
    /// <returns>The decision and the statistics behind it.</returns>
    /// <exception cref="ArgumentException">The buffer is too small.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride or option is impossible.</exception>
    public static ColorDetectionResult Analyze(ReadOnlySpan<byte> pixels, int width, int height, int stride, InterleavedLayout layout, ColorDetectionOptions? options = null)
    {
        options ??= new ColorDetectionOptions();
        int bpp = layout.BytesPerPixel();
        BufferChecks.Check(pixels.Length, width, height, stride, bpp, nameof(pixels), nameof(stride));
        if (options.MaxSamples < 1 || !(options.ChromaThreshold >= 0) || !(options.MinColorfulShare is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxSamples must be positive, ChromaThreshold non-negative and MinColorfulShare within 0…1.");
        }

        if (layout.IsGray())
        {
            return new ColorDetectionResult(false, 0, 0, 0, 0, 0);
        }

        // An even grid: the same step both ways, so the sample keeps the picture's proportions.
        int step = Math.Max(1, (int)Math.Ceiling(Math.Sqrt((double)width * height / options.MaxSamples)));
        int cols = ((width - 1) / step) + 1, rows = ((height - 1) / step) + 1;
        int n = cols * rows;
        var r = new float[n];
        var g = new float[n];
        var b = new float[n];
        bool wide = layout.Is16Bit();
        ReadOnlySpan<float> lut = wide ? SrgbTransfer.Lut16 : SrgbTransfer.Lut8;
        var (ro, go, bo) = layout.ChannelOffsets();
        int unit = wide ? 2 : 1;
        int k = 0;
        for (int y = 0; y < height; y += step)
        {
            ReadOnlySpan<byte> row = pixels.Slice(y * stride);
            for (int x = 0; x < width; x += step, k++)
            {
                int p = x * bpp;
                r[k] = lut[Channel(row, p + (ro * unit), wide)];
                g[k] = lut[Channel(row, p + (go * unit), wide)];
                b[k] = lut[Channel(row, p + (bo * unit), wide)];
            }
        }

        // Lab in place: r receives L, g receives a, b receives b.
        LabKernels.LinearRgbToLab(ref MemoryMarshal.GetArrayDataReference(r), ref MemoryMarshal.GetArrayDataReference(g), ref MemoryMarshal.GetArrayDataReference(b),
            ref MemoryMarshal.GetArrayDataReference(r), ref MemoryMarshal.GetArrayDataReference(g), ref MemoryMarshal.GetArrayDataReference(b), n);
        return Decide(r, g, b, options);
    }

    /// <summary>The statistic on a set of Lab samples; for callers that already hold Lab planes (e.g. a subsample of them).</summary>
    /// <param name="l">L of each sample.</param>
    /// <param name="a">a of each sample, as many as <paramref name="l"/>.</param>
    /// <param name="b">b of each sample, as many as <paramref name="l"/>.</param>
    /// <param name="options">Thresholds; <see langword="null"/> for the defaults.</param>
    /// <returns>The decision and the statistics behind it.</returns>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static ColorDetectionResult Decide(ReadOnlySpan<float> l, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ColorDetectionOptions? options = null)
    {
        options ??= new ColorDetectionOptions();
        if (a.Length != l.Length || b.Length != l.Length)
        {
            throw new ArgumentException("The L, a and b samples must be equally many.", nameof(b));
        }

        int n = a.Length;
        if (n == 0)
        {
            return new ColorDetectionResult(false, 0, 0, 0, 0, 0);
        }

        double saa = 0, sab = 0, sbb = 0, ma = 0, mb = 0, chromaSum = 0;
        int raw = 0;
        double threshold = options.ChromaThreshold;
        for (int i = 0; i < n; i++)
        {
            double x = a[i], y = b[i];
            saa += x * x;
            sab += x * y;
            sbb += y * y;
            ma += x;
            mb += y;
            double c = Math.Sqrt((x * x) + (y * y));
            chromaSum += c;
            raw += c > threshold ? 1 : 0;
        }

        // Principal axis of the second moments (about the origin: grey stays grey), oriented towards the mean tint.
        double theta = 0.5 * Math.Atan2(2 * sab, saa - sbb);
        double ux = Math.Cos(theta), uy = Math.Sin(theta);
        if ((ma * ux) + (mb * uy) < 0)
        {
            ux = -ux;
            uy = -uy;
        }

        int colorful = raw;
        if (options.IgnoreUniformTint)
        {
            // The tint's strength as a function of lightness: per wide L band, the median of the (non-negative)
            // component along the axis, interpolated linearly between band centres. A toned print follows such a curve
            // closely; a coloured object does not, since it is outnumbered in its bands by grey pixels (or other hues).
            var bands = new List<float>[TintBands];
            for (int k = 0; k < TintBands; k++)
            {
                bands[k] = [];
            }

            for (int i = 0; i < n; i++)
            {
                bands[Band(l[i])].Add(MathF.Max(0f, (float)((a[i] * ux) + (b[i] * uy))));
            }

            double[] curve = TintCurve(bands);
            colorful = 0;
            for (int i = 0; i < n; i++)
            {
                double t = Interpolate(curve, l[i]);
                double dx = a[i] - (t * ux), dy = b[i] - (t * uy);
                colorful += (dx * dx) + (dy * dy) > threshold * threshold ? 1 : 0;
            }
        }

        double score = (double)colorful / n;
        return new ColorDetectionResult(score >= options.MinColorfulShare && colorful > 0, score, (double)raw / n,
            Math.Atan2(uy, ux) * (180 / Math.PI), chromaSum / n, n);
    }

    /// <summary>Lightness bands of the tint model: wide, so an object of one colour rarely dominates a band.</summary>
    private const int TintBands = 8;

    private const float BandWidth = 100f / TintBands;

    private static int Band(float l) => l > 0 ? Math.Min(TintBands - 1, (int)(l / BandWidth)) : 0;

    /// <summary>Median per band; an empty band borrows from its nearest non-empty neighbours.</summary>
    private static double[] TintCurve(List<float>[] bands)
    {
        var curve = new double[TintBands];
        var known = new bool[TintBands];
        for (int k = 0; k < TintBands; k++)
        {
            if (bands[k].Count > 0)
            {
                bands[k].Sort();
                curve[k] = bands[k][bands[k].Count / 2];
                known[k] = true;
            }
        }

        for (int k = 0; k < TintBands; k++)
        {
            if (!known[k])
            {
                int lo = k - 1, hi = k + 1;
                while (lo >= 0 && !known[lo])
                {
                    lo--;
                }

                while (hi < TintBands && !known[hi])
                {
                    hi++;
                }

                curve[k] = lo >= 0 && hi < TintBands ? (curve[lo] + curve[hi]) / 2 : lo >= 0 ? curve[lo] : hi < TintBands ? curve[hi] : 0;
            }
        }

        return curve;
    }

    /// <summary>The curve between band centres, flat beyond the first and last centre.</summary>
    private static double Interpolate(double[] curve, float l)
    {
        double position = (l / BandWidth) - 0.5;
        if (!(position > 0))
        {
            return curve[0];
        }

        if (position >= TintBands - 1)
        {
            return curve[TintBands - 1];
        }

        int k = (int)position;
        double f = position - k;
        return (curve[k] * (1 - f)) + (curve[k + 1] * f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Channel(ReadOnlySpan<byte> row, int offset, bool wide) =>
        wide ? Unsafe.ReadUnaligned<ushort>(ref Unsafe.AsRef(in row[offset])) : row[offset];
}
