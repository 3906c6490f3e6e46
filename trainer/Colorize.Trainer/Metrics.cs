using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Imaging.ColorSpaces;

namespace Colorize.Trainer;

/// <summary>Validation metrics of shared/reference/evaluation.md, averaged over images.</summary>
internal sealed record ValidationMetrics(double Psnr, double PsnrGrey, double AbMae, double ColorfulnessPred, double ColorfulnessTruth, double DeltaColorfulness, int Images, double Auc = 0, double AucGrey = 0);

/// <summary>Accumulates PSNR, ab MAE and colourfulness image by image.</summary>
internal sealed class MetricsAccumulator
{
    private double _psnr, _psnrGrey, _mae, _cfPred, _cfTruth, _dcf, _auc, _aucGrey;
    private int _count;

    /// <summary>Adds one image: L (0–100), true and predicted ab (in ab units), all <paramref name="width"/>×<paramref name="height"/>.</summary>
    public void Add(ReadOnlySpan<float> l, ReadOnlySpan<float> trueA, ReadOnlySpan<float> trueB, ReadOnlySpan<float> predA, ReadOnlySpan<float> predB, int width, int height)
    {
        var truth = new Image(width, height, PixelFormat.Rgb24);
        var pred = new Image(width, height, PixelFormat.Rgb24);
        LabConverter.FromLab(l, trueA, trueB, truth, 1f, 1);
        LabConverter.FromLab(l, predA, predB, pred, 1f, 1);
        // The all-grey prediction (ab = 0) is the baseline every model must beat (evaluation.md).
        var grey = new Image(width, height, PixelFormat.Rgb24);
        var zeros = new float[l.Length];
        LabConverter.FromLab(l, zeros, zeros, grey, 1f, 1);
        _psnr += Psnr(pred, truth);
        _psnrGrey += Psnr(grey, truth);
        double mae = 0;
        for (int i = 0; i < trueA.Length; i++)
        {
            mae += Math.Abs(predA[i] - trueA[i]) + Math.Abs(predB[i] - trueB[i]);
        }

        _mae += mae / (2.0 * trueA.Length);
        _auc += Auc(trueA, trueB, predA, predB);
        _aucGrey += Auc(trueA, trueB, zeros, zeros);
        double cfP = Colorfulness(pred), cfT = Colorfulness(truth);
        _cfPred += cfP;
        _cfTruth += cfT;
        _dcf += Math.Abs(cfP - cfT);
        _count++;
    }

    public ValidationMetrics Result() => _count == 0
        ? new ValidationMetrics(0, 0, 0, 0, 0, 0, 0)
        : new ValidationMetrics(_psnr / _count, _psnrGrey / _count, _mae / _count, _cfPred / _count, _cfTruth / _count, _dcf / _count, _count, _auc / _count, _aucGrey / _count);

    /// <summary>The largest ab error threshold of the AuC curve (Zhang et al. 2016 sweep 0…150).</summary>
    public const int AucMaxThreshold = 150;

    /// <summary>
    /// AuC of Zhang et al. (2016), evaluation.md: for each threshold t = 0, 1, …, 150 the share of pixels whose
    /// Euclidean ab error is at most t; the area under that curve (trapezoids over [0, 150]) divided by 150, in
    /// percent. 100 means every pixel is exact; an error above 150 everywhere gives 0.
    /// </summary>
    public static double Auc(ReadOnlySpan<float> trueA, ReadOnlySpan<float> trueB, ReadOnlySpan<float> predA, ReadOnlySpan<float> predB)
    {
        // count[k] = pixels whose error e has ceil(e) = k, so that e ≤ t exactly when ceil(e) ≤ t for integer t.
        var count = new long[AucMaxThreshold + 2];
        for (int i = 0; i < trueA.Length; i++)
        {
            double da = predA[i] - trueA[i], db = predB[i] - trueB[i];
            double e = Math.Sqrt(da * da + db * db);
            count[e > AucMaxThreshold ? AucMaxThreshold + 1 : (int)Math.Ceiling(e)]++;
        }

        double n = trueA.Length, area = 0, previous = 0, cumulative = 0;
        for (int t = 0; t <= AucMaxThreshold; t++)
        {
            cumulative += count[t];
            double share = cumulative / n;
            if (t > 0)
            {
                area += (previous + share) / 2;
            }

            previous = share;
        }

        return 100 * area / AucMaxThreshold;
    }

    /// <summary>PSNR of two 8-bit RGB images over all pixels and channels, capped at 100 dB (a perfect match).</summary>
    public static double Psnr(Image a, Image b)
    {
        double se = 0;
        int width = a.Width;
        for (int y = 0; y < a.Height; y++)
        {
            var t = a.GetRowBytes(y)[..(width * 3)];
            var p = b.GetRowBytes(y)[..(width * 3)];
            for (int i = 0; i < t.Length; i++)
            {
                double d = p[i] - t[i];
                se += d * d;
            }
        }

        double mse = se / (3.0 * width * a.Height);
        return mse == 0 ? 100 : Math.Min(100, 20 * Math.Log10(255 / Math.Sqrt(mse)));
    }

    /// <summary>Hasler &amp; Süsstrunk (2003) metric 3 on an 8-bit RGB image.</summary>
    public static double Colorfulness(Image rgb)
    {
        double sumRg = 0, sumYb = 0, sqRg = 0, sqYb = 0;
        long n = (long)rgb.Width * rgb.Height;
        for (int y = 0; y < rgb.Height; y++)
        {
            var row = rgb.GetRowBytes(y);
            for (int x = 0; x < rgb.Width; x++)
            {
                double r = row[3 * x], g = row[3 * x + 1], b = row[3 * x + 2];
                double rg = r - g, yb = (r + g) / 2 - b;
                sumRg += rg;
                sumYb += yb;
                sqRg += rg * rg;
                sqYb += yb * yb;
            }
        }

        double muRg = sumRg / n, muYb = sumYb / n;
        double varRg = Math.Max(0, sqRg / n - muRg * muRg), varYb = Math.Max(0, sqYb / n - muYb * muYb);
        return Math.Sqrt(varRg + varYb) + 0.3 * Math.Sqrt(muRg * muRg + muYb * muYb);
    }
}
