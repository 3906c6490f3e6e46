namespace Colorize.Imaging.Processing;

/// <summary>
/// Precomputed one-dimensional resampling weights: output i is Σ_t Weights[i·MaxTaps + t] · in[Start[i] + t] for
/// t &lt; Count[i].
/// </summary>
internal sealed class ResampleWeights
{
    /// <summary>Fixed-point precision of PIL's 8-bit path (32 − 8 − 2 bits).</summary>
    public const int FixedPointBits = 22;

    private ResampleWeights(int inSize, int outSize, int maxTaps, int[] start, int[] count, double[] coefficients, float[] weights)
    {
        InSize = inSize;
        OutSize = outSize;
        MaxTaps = maxTaps;
        Start = start;
        Count = count;
        Coefficients = coefficients;
        Weights = weights;
    }

    /// <summary>Source length.</summary>
    public int InSize { get; }

    /// <summary>Destination length.</summary>
    public int OutSize { get; }

    /// <summary>The largest tap count; the row length of <see cref="Weights"/>.</summary>
    public int MaxTaps { get; }

    /// <summary>First source index of each output.</summary>
    public int[] Start { get; }

    /// <summary>Taps of each output.</summary>
    public int[] Count { get; }

    /// <summary>Normalised weights in double precision (PIL's values; empty for weights not derived from a filter).</summary>
    public double[] Coefficients { get; }

    /// <summary>Weights as float, <see cref="MaxTaps"/> per output, zero beyond <see cref="Count"/>.</summary>
    public float[] Weights { get; }

    /// <summary>
    /// PIL's <c>precompute_coeffs</c> for the whole source range: the filter centred on (i + 0.5)·scale, stretched by the
    /// scale when shrinking, its taps rounded to the source grid, clipped to the image and normalised to sum 1.
    /// </summary>
    public static ResampleWeights ForFilter(int inSize, int outSize, ResampleFilter filter)
    {
        double support0 = filter switch
        {
            ResampleFilter.Box => 0.5,
            ResampleFilter.Bilinear => 1.0,
            ResampleFilter.Bicubic => 2.0,
            ResampleFilter.Lanczos3 => 3.0,
            _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unknown resampling filter."),
        };
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = support0 * filterScale;
        double invFilterScale = 1.0 / filterScale;
        int capacity = ((int)Math.Ceiling(support) * 2) + 1;

        var start = new int[outSize];
        var count = new int[outSize];
        var k = new double[(long)outSize * capacity];
        int maxTaps = 1;
        for (int i = 0; i < outSize; i++)
        {
            double center = (i + 0.5) * scale;
            // C's (int) cast truncates toward zero; the clamp to 0 makes that equal to PIL's rounding here.
            int xmin = Math.Max(0, (int)(center - support + 0.5));
            int xmax = Math.Min(inSize, (int)(center + support + 0.5)) - xmin;
            double sum = 0;
            int row = i * capacity;
            for (int x = 0; x < xmax; x++)
            {
                double w = Evaluate(filter, (x + xmin - center + 0.5) * invFilterScale);
                k[row + x] = w;
                sum += w;
            }

            if (sum != 0)
            {
                for (int x = 0; x < xmax; x++)
                {
                    k[row + x] /= sum;
                }
            }

            start[i] = xmin;
            count[i] = Math.Max(xmax, 0);
            maxTaps = Math.Max(maxTaps, count[i]);
        }

        var compact = new double[(long)outSize * maxTaps];
        var weights = new float[compact.Length];
        for (int i = 0; i < outSize; i++)
        {
            for (int t = 0; t < count[i]; t++)
            {
                compact[(i * maxTaps) + t] = k[(i * capacity) + t];
                weights[(i * maxTaps) + t] = (float)k[(i * capacity) + t];
            }
        }

        return new ResampleWeights(inSize, outSize, maxTaps, start, count, compact, weights);
    }

    /// <summary>
    /// The weights of PyTorch's <c>F.interpolate(mode='bilinear', align_corners=False, antialias=False)</c> along one axis:
    /// source position (i + 0.5)·(in/out) − 0.5 (computed as PyTorch 1.13 does: float ratio, double position, float λ), clamped at 0,
    /// split between the two neighbours; no antialiasing when shrinking.
    /// </summary>
    public static ResampleWeights ForTorchBilinear(int inSize, int outSize)
    {
        var start = new int[outSize];
        var count = new int[outSize];
        var weights = new float[outSize * 2];
        float ratio = (float)inSize / outSize;
        for (int i = 0; i < outSize; i++)
        {
            if (inSize == outSize)
            {
                start[i] = i;
                count[i] = 1;
                weights[2 * i] = 1f;
                continue;
            }

            // PyTorch's CPU kernel keeps the source position in its accumulation type (double for float tensors)
            // and rounds only λ to float; rounding the position first would cost up to ~1e-5 relative in λ.
            double real = (ratio * (i + 0.5)) - 0.5;
            if (real < 0)
            {
                real = 0;
            }

            int i0 = Math.Min((int)real, inSize - 1);
            float lambda1 = (float)Math.Clamp(real - i0, 0.0, 1.0);
            float lambda0 = (float)(1.0 - lambda1);
            start[i] = i0;
            if (i0 < inSize - 1)
            {
                count[i] = 2;
                weights[2 * i] = lambda0;
                weights[(2 * i) + 1] = lambda1;
            }
            else
            {
                // PyTorch reads the last pixel twice (λ0·v + λ1·v); one tap of weight λ0 + λ1 agrees to an ulp.
                count[i] = 1;
                weights[2 * i] = lambda0 + lambda1;
            }
        }

        return new ResampleWeights(inSize, outSize, 2, start, count, [], weights);
    }

    /// <summary>One tap of weight 1 per output: the axis is copied unchanged.</summary>
    public static ResampleWeights Identity(int size)
    {
        var start = new int[size];
        var count = new int[size];
        var coefficients = new double[size];
        var weights = new float[size];
        for (int i = 0; i < size; i++)
        {
            start[i] = i;
            count[i] = 1;
            coefficients[i] = 1;
            weights[i] = 1;
        }

        return new ResampleWeights(size, size, 1, start, count, coefficients, weights);
    }

    /// <summary>The filter kernels, written as PIL's <c>Resample.c</c> writes them.</summary>
    public static double Evaluate(ResampleFilter filter, double x)
    {
        switch (filter)
        {
            case ResampleFilter.Box:
                return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
            case ResampleFilter.Bilinear:
                x = Math.Abs(x);
                return x < 1.0 ? 1.0 - x : 0.0;
            case ResampleFilter.Bicubic:
                const double a = -0.5;
                x = Math.Abs(x);
                if (x < 1.0)
                {
                    return ((((a + 2.0) * x) - (a + 3.0)) * x * x) + 1;
                }

                return x < 2.0 ? ((((x - 5) * x) + 8) * x - 4) * a : 0.0;
            case ResampleFilter.Lanczos3:
                return x >= -3.0 && x < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0;
            default:
                throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unknown resampling filter.");
        }

        static double Sinc(double x)
        {
            if (x == 0.0)
            {
                return 1.0;
            }

            x *= Math.PI;
            return Math.Sin(x) / x;
        }
    }

    /// <summary>The weights in PIL's 8-bit fixed point (rounded half away from zero at <see cref="FixedPointBits"/> bits).</summary>
    public int[] FixedPoint()
    {
        if (Coefficients.Length == 0)
        {
            throw new InvalidOperationException("These weights have no double-precision coefficients.");
        }

        var result = new int[Coefficients.Length];
        const double one = 1 << FixedPointBits;
        for (int i = 0; i < result.Length; i++)
        {
            double c = Coefficients[i];
            result[i] = c < 0 ? (int)(-0.5 + (c * one)) : (int)(0.5 + (c * one));
        }

        return result;
    }

    /// <summary>
    /// The weights laid out for a SIMD dot product: every output reads exactly <paramref name="taps"/> (a multiple of
    /// <paramref name="multiple"/>) consecutive inputs from <paramref name="start"/>, with zero weights around its own
    /// taps. Returns <see langword="false"/> if the source is too short for that. The layout is computed once per
    /// weights and multiple and shared: callers only read the arrays (a band-by-band resize asks for it every band).
    /// </summary>
    public bool TryPad(int multiple, out int taps, out int[] start, out float[] weights)
    {
        var padded = Volatile.Read(ref _padded);
        if (padded is null || padded.Multiple != multiple)
        {
            // Deterministic, so two threads racing here build equal layouts and either may win.
            padded = Pad(multiple);
            Volatile.Write(ref _padded, padded);
        }

        (taps, start, weights) = (padded.Taps, padded.Start, padded.Weights);
        return padded.Fits;
    }

    private PaddedLayout Pad(int multiple)
    {
        int taps = (MaxTaps + multiple - 1) / multiple * multiple;
        if (taps > InSize)
        {
            return new PaddedLayout(multiple, false, taps, [], []);
        }

        var start = new int[OutSize];
        var weights = new float[(long)OutSize * taps];
        for (int i = 0; i < OutSize; i++)
        {
            // Slide the window left where it would run past the end of the row; the weights move right by as much.
            int s = Math.Min(Start[i], InSize - taps);
            start[i] = s;
            int shift = Start[i] - s;
            for (int t = 0; t < Count[i]; t++)
            {
                weights[((long)i * taps) + shift + t] = Weights[(i * MaxTaps) + t];
            }
        }

        return new PaddedLayout(multiple, true, taps, start, weights);
    }

    private PaddedLayout? _padded;

    private sealed record PaddedLayout(int Multiple, bool Fits, int Taps, int[] Start, float[] Weights);
}
