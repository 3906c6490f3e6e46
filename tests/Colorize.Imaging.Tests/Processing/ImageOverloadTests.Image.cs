using Colorize.Abstractions;
using Colorize.Imaging.ColorSpaces;
using Colorize.Imaging.Processing;

namespace Colorize.Imaging.Tests.Processing;

/// <summary>The thin <see cref="Image"/> overloads route to the buffer overloads.</summary>
public sealed class ImageOverloadTests
{
    [Fact]
    public void Resize_Image_EqualsPil()
    {
        var fixture = ReferenceFixture.Load("resample.bin.gz");
        var source = Image.Wrap(new PixelBuffer(fixture.Bytes("rgb8"), 41, 29, 41 * 3, PixelFormat.Rgb24));

        Image result = Resampler.Resize(source, 67, 35, ResampleFilter.Bicubic);

        Assert.Equal(PixelFormat.Rgb24, result.PixelFormat);
        Assert.Equal(fixture.Bytes("RGB_bicubic_67x35"), result.Buffer.Memory.ToArray());
    }

    [Fact]
    public void LabRoundTripAndDetection_Image()
    {
        var image = new Image(16, 8, PixelFormat.Bgra32);
        for (int y = 0; y < 8; y++)
        {
            Span<byte> row = image.GetRowBytes(y);
            for (int x = 0; x < 16; x++)
            {
                row[(4 * x) + 0] = (byte)(x * 16);
                row[(4 * x) + 1] = (byte)(y * 32);
                row[(4 * x) + 2] = (byte)(255 - (x * 16));
                row[(4 * x) + 3] = 200;
            }
        }

        var (l, a, b) = (new float[128], new float[128], new float[128]);
        LabConverter.ToLab(image, l, a, b);
        var copy = image.Clone();
        LabConverter.FromLab(l, a, b, copy);

        Assert.Equal(image.Buffer.Memory.ToArray(), copy.Buffer.Memory.ToArray());
        Assert.True(ColorDetector.Analyze(image).IsColor);
    }
}
