using Colorize.Engine.Architectures;

namespace Colorize.Trainer;

/// <summary>
/// The quantised ab plane of colour class rebalancing (Zhang et al. 2016, §2.1–2.2): square bins of side
/// <see cref="BinSize"/> centred on multiples of it within ±110, of which only the in-gamut ones count.
/// </summary>
/// <remarks>
/// A bin is in gamut when the ab of some 8-bit sRGB colour rounds to it: every pixel of a training photo lies in such
/// a bin (the cache is made from 8-bit photos), and the bins no photo can reach must not share the uniform term
/// λ/Q. With bins of 10 that is 261 bins; Zhang et al. report 313 with their own gamut computation, which the paper
/// does not give. A value that rounds to a bin outside the gamut (an interpolated crop pixel at the gamut's edge)
/// counts for the nearest in-gamut bin.
/// </remarks>
internal sealed class AbGrid
{
    /// <summary>The largest |a| and |b| the grid covers (the network's output range, tanh × 110).</summary>
    public const int Range = AbGamut.Range;

    private readonly int[] _nearest;

    /// <summary>A grid whose in-gamut bins are <paramref name="inGamut"/> (indexed a-major, <see cref="Index"/>).</summary>
    public AbGrid(int binSize, bool[] inGamut)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(binSize, 1);
        BinSize = binSize;
        Half = Range / binSize;
        Side = 2 * Half + 1;
        ArgumentOutOfRangeException.ThrowIfNotEqual(inGamut.Length, Side * Side);
        InGamut = inGamut;
        GamutCount = inGamut.Count(g => g);
        if (GamutCount == 0)
        {
            throw new ArgumentException("no bin is in gamut", nameof(inGamut));
        }

        _nearest = new int[Side * Side];
        for (int cell = 0; cell < _nearest.Length; cell++)
        {
            _nearest[cell] = inGamut[cell] ? cell : Enumerable.Range(0, _nearest.Length).Where(c => inGamut[c])
                .MinBy(c => (CentreA(c) - CentreA(cell)) * (CentreA(c) - CentreA(cell)) + (CentreB(c) - CentreB(cell)) * (CentreB(c) - CentreB(cell)));
        }
    }

    public int BinSize { get; }

    /// <summary>Bins on each side of 0 along a and along b.</summary>
    public int Half { get; }

    /// <summary>Bins along a (and along b): 2·<see cref="Half"/> + 1.</summary>
    public int Side { get; }

    /// <summary>Whether each bin is in gamut, a-major.</summary>
    public bool[] InGamut { get; }

    /// <summary>Q: how many bins are in gamut.</summary>
    public int GamutCount { get; }

    /// <summary>The grid for <paramref name="binSize"/> with the sRGB gamut (<see cref="AbGamut.Srgb"/>, the engine's: the
    /// classification head's classes are the same bins).</summary>
    public static AbGrid Srgb(int binSize) => new(binSize, AbGamut.Srgb(binSize));

    /// <summary>The index of the bin whose centre is ((<paramref name="ia"/> − Half)·binSize, (<paramref name="ib"/> − Half)·binSize).</summary>
    public int Index(int ia, int ib) => ia * Side + ib;

    /// <summary>The a of a bin's centre.</summary>
    public int CentreA(int cell) => (cell / Side - Half) * BinSize;

    /// <summary>The b of a bin's centre.</summary>
    public int CentreB(int cell) => (cell % Side - Half) * BinSize;

    /// <summary>The in-gamut bin of an ab value in Lab units: the nearest centre, or the in-gamut bin nearest to that.</summary>
    public int BinOf(double a, double b)
    {
        int ia = Math.Clamp((int)Math.Round(a / BinSize, MidpointRounding.AwayFromZero) + Half, 0, Side - 1);
        int ib = Math.Clamp((int)Math.Round(b / BinSize, MidpointRounding.AwayFromZero) + Half, 0, Side - 1);
        return _nearest[Index(ia, ib)];
    }
}
