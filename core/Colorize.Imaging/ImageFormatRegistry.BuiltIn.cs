using Colorize.Imaging.Formats.Bmp;
using Colorize.Imaging.Formats.Png;
using Colorize.Imaging.Formats.Tiff;

namespace Colorize.Imaging;

public sealed partial class ImageFormatRegistry
{
    private static void AddBuiltInCodecs(ImageFormatRegistry registry)
    {
        // Detection order: cheapest and most specific signatures first. Each check only looks at magic bytes.
        registry.AddDecoder(new PngDecoder());
        registry.AddEncoder(new PngEncoder());
        AddJpegCodecs(registry);
        registry.AddDecoder(new TiffDecoder());
        registry.AddEncoder(new TiffEncoder());
        registry.AddDecoder(new BmpDecoder());
        registry.AddEncoder(new BmpEncoder());
    }

    /// <summary>
    /// The JPEG codec plugs in here. It lives in Formats/Jpeg/ (written separately): that folder implements this
    /// partial method in its own file, for example
    /// <code>
    /// public sealed partial class ImageFormatRegistry
    /// {
    ///     static partial void AddJpegCodecs(ImageFormatRegistry registry)
    ///     {
    ///         registry.AddDecoder(new JpegDecoder());
    ///         registry.AddEncoder(new JpegEncoder());
    ///     }
    /// }
    /// </code>
    /// Until it does, the call compiles away and JPEG files are reported as an unknown format.
    /// </summary>
    static partial void AddJpegCodecs(ImageFormatRegistry registry);
}
