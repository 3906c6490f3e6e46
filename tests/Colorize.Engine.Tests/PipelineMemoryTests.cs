using Colorize.Abstractions;
using Colorize.Engine.Pipeline;

namespace Colorize.Engine.Tests;

/// <summary>
/// The pipeline's memory (issue 15 §3): no full-resolution float plane (L at 4 bytes a pixel was 1 GB at 256 MP, more
/// than an Rgb24 photo itself), and colorizing in place, which lets a host keep one full-size buffer instead of two.
/// </summary>
public sealed class PipelineMemoryTests
{
    private static readonly CpuColorizerEngine Engine = new();

    private static PixelBuffer Photo(int width, int height, PixelFormat format, int seed)
    {
        var buffer = PixelBuffer.Allocate(width, height, format);
        new Random(seed).NextBytes(buffer.Memory.Span);
        return buffer;
    }

    [Theory]
    [InlineData(PixelFormat.Rgb24)]
    [InlineData(PixelFormat.Bgra32)]
    [InlineData(PixelFormat.Rgba64)]
    public void InPlace_GivesTheSameBitsAsSeparateBuffers(PixelFormat format)
    {
        using var colorizer = Engine.Load(TestPacks.TinyPix2Pix());
        var source = Photo(83, 57, format, 3);
        var separate = PixelBuffer.Allocate(83, 57, format);
        colorizer.Colorize(source, separate);

        int saved = ColorizationPipeline.MergeBandPixels;
        try
        {
            // Several bands, so each band's L must be read before that band is overwritten.
            ColorizationPipeline.MergeBandPixels = 83 * 4;
            colorizer.Colorize(source, source);
        }
        finally
        {
            ColorizationPipeline.MergeBandPixels = saved;
        }

        Assert.Equal(separate.Memory.ToArray(), source.Memory.ToArray());
    }

    [Fact]
    public void Colorize_AllocatesLessThanAByteAPixel()
    {
        // 4000 x 3000 in place, in bands of 16 rows: the old pipeline allocated a full-size L plane (4 bytes a pixel,
        // 48 MB) on the calling thread; the bands, the render-size planes and the tiny network stay under 1 byte a pixel.
        using var colorizer = Engine.Load(TestPacks.TinyPix2Pix());
        var photo = Photo(4000, 3000, PixelFormat.Rgb24, 5);
        var options = new ColorizeOptions { RenderSize = 64 };
        int saved = ColorizationPipeline.MergeBandPixels;
        try
        {
            ColorizationPipeline.MergeBandPixels = 4000 * 16;
            colorizer.Colorize(photo, photo, options);
            long before = GC.GetAllocatedBytesForCurrentThread();
            colorizer.Colorize(photo, photo, options);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 4000L * 3000, $"allocated {allocated / 1e6:0.0} MB for a 12 MP photo");
        }
        finally
        {
            ColorizationPipeline.MergeBandPixels = saved;
        }
    }
}

