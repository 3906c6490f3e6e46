using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Imaging.ColorSpaces;

namespace Colorize.Trainer;

/// <summary>Validation metrics of shared/reference/evaluation.md, averaged over images.</summary>
internal sealed record ValidationMetrics(double Psnr, double PsnrGrey, double AbMae, double ColorfulnessPred, double ColorfulnessTruth, double DeltaColorfulness, int Images);

/// <summary>Accumulates PSNR, ab MAE and colourfulness image by image.</summary>
internal sealed class MetricsAccumulator
{
    private double _psnr, _psnrGrey, _mae, _cfPred, _cfTruth, _dcf;
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
        double cfP = Colorfulness(pred), cfT = Colorfulness(truth);
        _cfPred += cfP;
        _cfTruth += cfT;
        _dcf += Math.Abs(cfP - cfT);
        _count++;
    }

    public ValidationMetrics Result() => _count == 0
        ? new ValidationMetrics(0, 0, 0, 0, 0, 0, 0)
        : new ValidationMetrics(_psnr / _count, _psnrGrey / _count, _mae / _count, _cfPred / _count, _cfTruth / _count, _dcf / _count, _count);

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
