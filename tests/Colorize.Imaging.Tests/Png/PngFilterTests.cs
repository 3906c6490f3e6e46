using Colorize.Imaging.Formats.Png;

namespace Colorize.Imaging.Tests.Png;

public sealed class PngFilterTests
{
    public static TheoryData<int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int bpp in new[] { 1, 2, 3, 4, 6, 8 })
        {
            for (int filter = 0; filter <= 4; filter++)
            {
                foreach (int pixels in new[] { 1, 2, 3, 5, 17, 300 })
                {
                    data.Add(bpp, filter, pixels);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Unfilter_MatchesSpecificationFormula(int bpp, int filter, int pixels)
    {
        var random = new Random(bpp * 1000 + filter * 100 + pixels);
        byte[] previous = new byte[bpp * pixels];
        byte[] filtered = new byte[bpp * pixels];
        random.NextBytes(previous);
        random.NextBytes(filtered);
        byte[] expected = SpecUnfilter(filter, filtered, previous, bpp);

        byte[] actual = (byte[])filtered.Clone();
        PngFilters.Unfilter((byte)filter, actual, previous, bpp);

        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Filter_ThenUnfilter_GivesBackTheRow(int bpp, int filter, int pixels)
    {
        var random = new Random(pixels * 7 + filter);
        byte[] previous = new byte[bpp * pixels];
        byte[] raw = new byte[bpp * pixels];
        random.NextBytes(previous);
        random.NextBytes(raw);
        byte[] filtered = new byte[raw.Length];

        PngFilters.Filter((PngFilterType)filter, raw, previous, bpp, filtered);
        PngFilters.Unfilter((byte)filter, filtered, previous, bpp);

        Assert.Equal(raw, filtered);
    }

    [Fact]
    public void Unfilter_UnknownType_ThrowsImageFormatException()
    {
        Assert.Throws<ImageFormatException>(() => PngFilters.Unfilter(5, new byte[4], new byte[4], 1));
    }

    // ISO/IEC 15948 section 9.2, written out literally, one byte at a time.
    private static byte[] SpecUnfilter(int filter, byte[] x, byte[] b, int bpp)
    {
        byte[] r = new byte[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int a = i >= bpp ? r[i - bpp] : 0;
            int up = b[i];
            int c = i >= bpp ? b[i - bpp] : 0;
            int predictor = filter switch
            {
                0 => 0,
                1 => a,
                2 => up,
                3 => (a + up) / 2,
                _ => PaethPredictor(a, up, c),
            };
            r[i] = (byte)(x[i] + predictor);
        }

        return r;
    }

    private static int PaethPredictor(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc)
        {
            return a;
        }

        return pb <= pc ? b : c;
    }
}
