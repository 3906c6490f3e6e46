namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>RGB to YCbCr with libjpeg's fixed-point arithmetic (jccolor.c: 16 fractional bits, same rounding).</summary>
internal static class JpegRgbToYCbCr
{
    private const int ScaleBits = 16;
    private const int OneHalf = 1 << (ScaleBits - 1);
    private const int ChromaOffset = 128 << ScaleBits;

    private const int YFromR = 19595;  // FIX(0.29900)
    private const int YFromG = 38470;  // FIX(0.58700)
    private const int YFromB = 7471;   // FIX(0.11400)
    private const int CbFromR = 11059; // FIX(0.16874), subtracted
    private const int CbFromG = 21709; // FIX(0.33126), subtracted
    private const int CFromHalf = 32768; // FIX(0.5): B's weight in Cb and R's in Cr
    private const int CrFromG = 27439; // FIX(0.41869), subtracted
    private const int CrFromB = 5329;  // FIX(0.08131), subtracted

    /// <summary>The Y of one pixel (also libjpeg's rgb_gray_convert).</summary>
    public static byte Luma(int r, int g, int b) => (byte)(((YFromR * r) + (YFromG * g) + (YFromB * b) + OneHalf) >> ScaleBits);

    /// <summary>Converts <paramref name="width"/> interleaved RGB pixels into three planes.</summary>
    public static void Convert(ReadOnlySpan<byte> rgb, Span<byte> y, Span<byte> cb, Span<byte> cr, int width)
    {
        rgb = rgb[..(3 * width)];
        y = y[..width];
        cb = cb[..width];
        cr = cr[..width];
        for (int x = 0; x < y.Length; x++)
        {
            int r = rgb[3 * x];
            int g = rgb[(3 * x) + 1];
            int b = rgb[(3 * x) + 2];
            y[x] = (byte)(((YFromR * r) + (YFromG * g) + (YFromB * b) + OneHalf) >> ScaleBits);

            // ONE_HALF - 1 rather than ONE_HALF: libjpeg keeps the maximum at 255 this way.
            cb[x] = (byte)(((-CbFromR * r) - (CbFromG * g) + (CFromHalf * b) + ChromaOffset + OneHalf - 1) >> ScaleBits);
            cr[x] = (byte)(((CFromHalf * r) - (CrFromG * g) - (CrFromB * b) + ChromaOffset + OneHalf - 1) >> ScaleBits);
        }
    }
}
