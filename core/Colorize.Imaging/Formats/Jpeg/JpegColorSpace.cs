namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>How the components of a JPEG frame are to be read, decided as libjpeg's <c>default_decompress_parms</c> does.</summary>
internal enum JpegColorSpace
{
    /// <summary>One component: luminance.</summary>
    Grayscale,

    /// <summary>Three components: Y, Cb, Cr (JFIF).</summary>
    YCbCr,

    /// <summary>Three components stored as R, G, B (Adobe transform 0, or component ids 'R', 'G', 'B').</summary>
    Rgb,

    /// <summary>Four components C, M, Y, K, stored inverted as Adobe Photoshop writes them.</summary>
    Cmyk,

    /// <summary>Four components: Y, Cb, Cr of inverted C, M, Y, plus inverted K (Adobe transform 2).</summary>
    Ycck,
}
