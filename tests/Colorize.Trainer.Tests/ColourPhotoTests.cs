using Colorize.Abstractions;
using Colorize.Imaging;
using Colorize.Imaging.ColorSpaces;

namespace Colorize.Trainer.Tests;

/// <summary>Which photos the trainer and `eval` keep: any with colour, a single hue included.</summary>
public sealed class ColourPhotoTests
{
    private static Image Gradient(Func<int, (byte R, byte G, byte B)> colourOfColumn)
    {
        var image = new Image(64, 64, PixelFormat.Rgb24);
        for (int y = 0; y < 64; y++)
        {
            var row = image.GetRowBytes(y);
            for (int x = 0; x < 64; x++)
            {
                (row[3 * x], row[(3 * x) + 1], row[(3 * x) + 2]) = colourOfColumn(x);
            }
        }

        return image;
    }

    [Fact]
    public void OneHuePhoto_HasColourForTraining_ThoughTheHostsCallItToned()
    {
        // A sky: lightness rising across the picture, one blue hue at one strength, as a toned print's would be.
        var sky = Gradient(x =>
        {
            var (r, g, b) = CieLab.ToSrgb(35 + (0.8 * x), -8, -35);
            return ((byte)Math.Round(r * 255), (byte)Math.Round(g * 255), (byte)Math.Round(b * 255));
        });
        Assert.False(ColorDetector.Analyze(sky).IsColor);
        Assert.True(PhotoDataset.HasColour(sky));
    }

    [Fact]
    public void GreyPhoto_HasNoColour()
    {
        var grey = Gradient(x => ((byte)(x * 4), (byte)(x * 4), (byte)(x * 4)));
        Assert.False(PhotoDataset.HasColour(grey));
    }
}
