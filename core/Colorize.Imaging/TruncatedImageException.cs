using System.Drawing;
using Colorize.Abstractions;

namespace Colorize.Imaging;

/// <summary>
/// Only part of the image could be decoded: the file ends early (truncated) or its data is damaged part-way.
/// Decoders throw this instead of returning an image that looks complete but is partly blank or garbage, so a damaged
/// input never passes for a good one; a caller that wants the decoded part anyway takes it from
/// <see cref="DecodedImage"/> or <see cref="CropToDecodedRegion"/>.
/// </summary>
/// <remarks>The message reads "truncated JPEG: 412 of 825 rows decoded" (or "damaged …"), with a detail in brackets when there is one.</remarks>
public sealed class TruncatedImageException : ImageFormatException
{
    /// <summary>Creates the exception for a partly decoded image.</summary>
    /// <param name="formatName">The file format, for the message ("JPEG").</param>
    /// <param name="dataEnded">True when the file ends early (truncated); false when its data is damaged part-way.</param>
    /// <param name="decodedImage">The whole image as far as it could be decoded; the rest is blank.</param>
    /// <param name="rowsDecoded">How many of the file's rows, in the order the file stores them, were decoded in full.</param>
    /// <param name="totalRows">How many rows the file stores.</param>
    /// <param name="decodedRegion">Where those rows are in <paramref name="decodedImage"/> (a band of rows, or of columns when the decoder turned the image).</param>
    /// <param name="detail">More about what is missing, or null.</param>
    public TruncatedImageException(string formatName, bool dataEnded, Image decodedImage, int rowsDecoded, int totalRows, Rectangle decodedRegion, string? detail = null)
        : base(Describe(formatName, dataEnded, rowsDecoded, totalRows, detail))
    {
        ArgumentNullException.ThrowIfNull(decodedImage);
        ArgumentOutOfRangeException.ThrowIfNegative(rowsDecoded);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rowsDecoded, totalRows);
        if (!new Rectangle(0, 0, decodedImage.Width, decodedImage.Height).Contains(decodedRegion) && !decodedRegion.IsEmpty)
        {
            throw new ArgumentOutOfRangeException(nameof(decodedRegion), decodedRegion, "The region lies outside the image.");
        }

        FormatName = formatName;
        DataEnded = dataEnded;
        DecodedImage = decodedImage;
        RowsDecoded = rowsDecoded;
        TotalRows = totalRows;
        DecodedRegion = rowsDecoded == 0 ? Rectangle.Empty : decodedRegion;
    }

    /// <summary>The file format ("JPEG", "PNG", …).</summary>
    public string FormatName { get; }

    /// <summary>True when the file ends early; false when data in the middle is damaged.</summary>
    public bool DataEnded { get; }

    /// <summary>
    /// The whole image, at its full size, as far as it could be decoded: what a viewer shows for this file. The part
    /// outside <see cref="DecodedRegion"/> is blank (grey for JPEG, black or transparent for the other formats) or, for a
    /// damaged file, may hold wrong pixels.
    /// </summary>
    public Image DecodedImage { get; }

    /// <summary>How many rows, counted in the order the file stores them (bottom-up for most BMPs), were decoded in full.</summary>
    public int RowsDecoded { get; }

    /// <summary>How many rows the file stores (the image's height as stored, before any EXIF rotation).</summary>
    public int TotalRows { get; }

    /// <summary>
    /// The part of <see cref="DecodedImage"/> that was decoded in full: the first <see cref="RowsDecoded"/> rows of the
    /// file, as they appear in the image (a band of columns when a JPEG was turned upright by its EXIF orientation).
    /// Empty when nothing was.
    /// </summary>
    public Rectangle DecodedRegion { get; }

    /// <summary>A new image holding only <see cref="DecodedRegion"/>; null when nothing was decoded in full.</summary>
    public Image? CropToDecodedRegion()
    {
        if (DecodedRegion.IsEmpty)
        {
            return null;
        }

        Rectangle region = DecodedRegion;
        var crop = new Image(region.Width, region.Height, DecodedImage.PixelFormat);
        int bytesPerPixel = DecodedImage.PixelFormat.BytesPerPixel();
        for (int y = 0; y < region.Height; y++)
        {
            DecodedImage.GetRowBytes(region.Y + y).Slice(region.X * bytesPerPixel, region.Width * bytesPerPixel).CopyTo(crop.GetRowBytes(y));
        }

        return crop;
    }

    private static string Describe(string formatName, bool dataEnded, int rowsDecoded, int totalRows, string? detail) =>
        $"{(dataEnded ? "truncated" : "damaged")} {formatName}: {rowsDecoded} of {totalRows} rows decoded" + (detail is null ? "" : $" ({detail})");
}
