using Colorize.Imaging.Formats.Jpeg;

namespace Colorize.Imaging;

/// <summary>Plugs the JPEG codec into the built-in registry (the partial method declared in ImageFormatRegistry.BuiltIn.cs).</summary>
public sealed partial class ImageFormatRegistry
{
    static partial void AddJpegCodecs(ImageFormatRegistry registry)
    {
        registry.AddDecoder(new JpegDecoder());
        registry.AddEncoder(new JpegEncoder());
    }
}
