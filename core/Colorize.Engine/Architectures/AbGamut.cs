using System.Collections.Concurrent;
using Colorize.Imaging.ColorSpaces;
using Colorize.Tensors;

namespace Colorize.Engine.Architectures;

/// <summary>
/// The quantised ab plane of Zhang et al. 2016 ("Colorful Image Colorization", §2.1): square bins of side binSize
/// centred on multiples of it within ±<see cref="Range"/>, of which only the in-gamut ones count. Shared by the
/// <c>resnet-unet</c> classification head (one logit per in-gamut bin) and the trainer (class targets, colour
/// rebalancing), so that both use one and the same set of bins.
/// </summary>
/// <remarks>
/// A bin is in gamut when the ab of some 8-bit sRGB colour rounds to it (a-major cells, index ia·side + ib with
/// ia = round(a/binSize) + half): every pixel of an 8-bit photo lies in such a bin, and no other bin can be the truth.
/// With bins of 10 that is 261 bins; Zhang et al. report 313 with their own gamut computation, which the paper does
/// not give.
/// </remarks>
public static class AbGamut
{
    /// <summary>The largest |a| and |b| the grid covers (the network's output range, ab/110 in −1..1).</summary>
    public const int Range = 110;

    private static readonly ConcurrentDictionary<int, bool[]> s_gamuts = new();

    /// <summary>
    /// Whether each cell of the grid of <paramref name="binSize"/> is in gamut, a-major over (2·half + 1)² cells with
    /// half = <see cref="Range"/>/binSize (computed once per bin size and process, about a second).
    /// </summary>
    /// <param name="binSize">Side of a bin in ab units, at least 1.</param>
    /// <returns>A shared array: do not modify it.</returns>
    public static bool[] Srgb(int binSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(binSize, 1);
        return s_gamuts.GetOrAdd(binSize, Compute);
    }

    /// <summary>
    /// The centres (a, b) in ab units of the in-gamut bins of <paramref name="binSize"/>, in cell order (a-major): the
    /// class q of the classification head is the q-th of these.
    /// </summary>
    /// <param name="binSize">Side of a bin in ab units, at least 1.</param>
    /// <returns>A new array of Q centres.</returns>
    public static (int A, int B)[] Centres(int binSize)
    {
        var inGamut = Srgb(binSize);
        int half = Range / binSize, side = (2 * half) + 1;
        var centres = new List<(int, int)>();
        for (int cell = 0; cell < inGamut.Length; cell++)
        {
            if (inGamut[cell])
            {
                centres.Add((((cell / side) - half) * binSize, ((cell % side) - half) * binSize));
            }
        }

        return [.. centres];
    }

    /// <summary>The bins that the ab of the 16.7 million 8-bit sRGB colours round to.</summary>
    private static bool[] Compute(int binSize)
    {
        int half = Range / binSize, side = (2 * half) + 1;
        var linear = Enumerable.Range(0, 256).Select(v => SrgbTransfer.ToLinear(v / 255.0)).ToArray();
        // One array per red value, merged afterwards: the result is a union, the same whatever the threads' order.
        var perRed = new bool[256][];
        // At most TensorOptions.NumThreads, as every kernel (a host that asks for one thread gets one).
        Parallel.For(0, 256, new ParallelOptions { MaxDegreeOfParallelism = TensorOptions.NumThreads }, r =>
        {
            var inGamut = new bool[side * side];
            for (int g = 0; g < 256; g++)
            {
                for (int b = 0; b < 256; b++)
                {
                    var (x, y, z) = CieXyz.FromLinearRgb(linear[r], linear[g], linear[b]);
                    var (_, la, lb) = CieLab.FromXyz(x, y, z);
                    int ia = Math.Clamp((int)Math.Round(la / binSize, MidpointRounding.AwayFromZero) + half, 0, side - 1);
                    int ib = Math.Clamp((int)Math.Round(lb / binSize, MidpointRounding.AwayFromZero) + half, 0, side - 1);
                    inGamut[(ia * side) + ib] = true;
                }
            }

            perRed[r] = inGamut;
        });

        var union = new bool[side * side];
        foreach (var part in perRed)
        {
            for (int i = 0; i < union.Length; i++)
            {
                union[i] |= part[i];
            }
        }

        return union;
    }
}
