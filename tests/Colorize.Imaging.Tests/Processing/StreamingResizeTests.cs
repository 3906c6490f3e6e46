using Colorize.Imaging.Processing;

namespace Colorize.Imaging.Tests.Processing;

/// <summary>
/// <see cref="Resampler.Resize(PlaneRowReader, int, int, Span{float}, int, int, int, ResampleFilter, int, int)"/>: a plane
/// read band by band resizes to the same bits as the whole plane, so the pipeline can shrink a 256 MP photo's L without
/// ever holding it (issue 15 §3).
/// </summary>
public sealed class StreamingResizeTests
{
    public static TheoryData<ResampleFilter, int, int, int, int, int> Cases()
    {
        var data = new TheoryData<ResampleFilter, int, int, int, int, int>();
        foreach (var filter in Enum.GetValues<ResampleFilter>())
        {
            // Shrink both axes, enlarge both, only the height, only the width, neither; bands of 1, 7 and all rows.
            foreach (var (sw, sh, dw, dh) in new[] { (97, 61, 24, 15), (13, 9, 40, 31), (50, 70, 50, 20), (70, 50, 21, 50), (33, 17, 33, 17) })
            {
                foreach (int bandRows in new[] { 1, 7, 1000 })
                {
                    data.Add(filter, sw, sh, dw, dh, bandRows);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BandByBand_EqualsTheWholePlane(ResampleFilter filter, int sourceWidth, int sourceHeight, int width, int height, int bandRows)
    {
        var rng = new Random(sourceWidth * 31 + sourceHeight);
        var plane = new float[sourceWidth * sourceHeight];
        for (int i = 0; i < plane.Length; i++)
        {
            plane[i] = (float)(rng.NextDouble() * 100);
        }

        var whole = new float[width * height];
        Resampler.Resize(plane, sourceWidth, sourceHeight, sourceWidth, whole, width, height, width, filter);

        int nextRow = -1;
        var asked = new List<(int First, int Count)>();
        var streamed = new float[(width + 3) * height];
        Resampler.Resize(
            (first, count, rows) =>
            {
                Assert.True(first > nextRow, "rows are asked for in order, each once");
                Assert.Equal(count * sourceWidth, rows.Length);
                nextRow = first + count - 1;
                asked.Add((first, count));
                plane.AsSpan(first * sourceWidth, count * sourceWidth).CopyTo(rows);
            },
            sourceWidth, sourceHeight, streamed, width, height, width + 3, filter, bandRows * sourceWidth, maxDegreeOfParallelism: 2);

        for (int y = 0; y < height; y++)
        {
            Assert.Equal(whole.AsSpan(y * width, width).ToArray(), streamed.AsSpan(y * (width + 3), width).ToArray());
        }

        Assert.All(asked, band => Assert.InRange(band.Count, 1, bandRows));
    }

    [Fact]
    public void BadArguments_Throw()
    {
        var destination = new float[10];
        Assert.Throws<ArgumentNullException>(() => Resampler.Resize(null!, 4, 4, destination, 2, 2, 2, ResampleFilter.Box));
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.Resize((_, _, _) => { }, 0, 4, new float[4], 2, 2, 2, ResampleFilter.Box));
        Assert.Throws<ArgumentException>(() => Resampler.Resize((_, _, _) => { }, 4, 4, new float[3], 2, 2, 2, ResampleFilter.Box));
    }
}

/// <summary><see cref="BandResampler"/>: its bands equal the whole-plane resize, with the weights computed once.</summary>
public sealed class BandResamplerTests
{
    [Theory]
    [InlineData(-1, 23, 17, 97, 61)]
    [InlineData(-1, 61, 40, 20, 13)]
    [InlineData(-1, 23, 17, 23, 61)]
    [InlineData((int)ResampleFilter.Bicubic, 23, 17, 97, 61)]
    [InlineData((int)ResampleFilter.Lanczos3, 97, 61, 23, 17)]
    [InlineData((int)ResampleFilter.Box, 40, 30, 40, 10)]
    public void Bands_EqualTheWholePlane(int filter, int sourceWidth, int sourceHeight, int width, int height)
    {
        var rng = new Random(7);
        // Padded rows (stride 3 more than the width), as the pipeline's network output is.
        int sourceStride = sourceWidth + 3;
        var plane = new float[sourceStride * sourceHeight];
        for (int i = 0; i < plane.Length; i++)
        {
            plane[i] = (float)(rng.NextDouble() * 200) - 100;
        }

        var whole = new float[width * height];
        BandResampler resampler;
        if (filter < 0)
        {
            Resampler.ResizeBilinearTorch(plane, sourceWidth, sourceHeight, sourceStride, whole, width, height, width);
            resampler = BandResampler.BilinearTorch(sourceWidth, sourceHeight, width, height);
        }
        else
        {
            Resampler.Resize(plane, sourceWidth, sourceHeight, sourceStride, whole, width, height, width, (ResampleFilter)filter);
            resampler = BandResampler.ForFilter(sourceWidth, sourceHeight, width, height, (ResampleFilter)filter);
        }

        Assert.Equal((sourceWidth, sourceHeight, width, height), (resampler.SourceWidth, resampler.SourceHeight, resampler.DestinationWidth, resampler.DestinationHeight));
        var band = new float[width * 5];
        for (int row = 0; row < height; row += 5)
        {
            int rows = Math.Min(5, height - row);
            resampler.Resize(plane, sourceStride, band, width, row, rows, maxDegreeOfParallelism: 2);
            Assert.Equal(whole.AsSpan(row * width, rows * width).ToArray(), band.AsSpan(0, rows * width).ToArray());
        }
    }

    [Fact]
    public void BadArguments_Throw()
    {
        var resampler = BandResampler.BilinearTorch(4, 4, 8, 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => BandResampler.BilinearTorch(0, 4, 8, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => resampler.Resize(new float[16], 4, new float[64], 8, 4, 5));
        Assert.Throws<ArgumentException>(() => resampler.Resize(new float[15], 4, new float[64], 8, 0, 8));
        Assert.Throws<ArgumentException>(() => resampler.Resize(new float[16], 4, new float[63], 8, 0, 8));
    }
}
