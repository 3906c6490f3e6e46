namespace Colorize.Engine.Tests.Golden;

/// <summary>
/// The synthetic weights of tests/golden/generate_architectures.py (<c>synthetic_weights</c>), bit for bit: weights too
/// large to store in a fixture (the ResNet encoder alone has 11M parameters) are a hash of the element index.
/// </summary>
internal static class SyntheticWeights
{
    /// <summary>
    /// Element j = scale · (h(j) / 2²³ − 1), h(j) the top 24 bits of Chris Wellons' lowbias32 hash of
    /// (j + seed · 0x9E3779B9) mod 2³². Every step is exact in float32 except the one final product, which IEEE
    /// rounds the same way in numpy and .NET.
    /// </summary>
    public static void Fill(Span<float> destination, uint seed, float scale)
    {
        uint offset = unchecked(seed * 0x9E3779B9u);
        for (int j = 0; j < destination.Length; j++)
        {
            uint x = unchecked((uint)j + offset);
            x ^= x >> 16;
            x = unchecked(x * 0x7FEB352Du);
            x ^= x >> 15;
            x = unchecked(x * 0x846CA68Bu);
            x ^= x >> 16;
            float u = ((x >> 8) * (1f / 8388608f)) - 1f;
            destination[j] = u * scale;
        }
    }
}
