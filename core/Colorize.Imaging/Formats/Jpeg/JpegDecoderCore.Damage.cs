namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>
/// What of the image is not what the whole file would give: the first damaged row, whether the file ended early, and
/// whether a progressive file lacks its last scans. <see cref="JpegDecoder"/> refuses such an image with a
/// <see cref="TruncatedImageException"/> unless asked to return it as libjpeg does.
/// </summary>
internal sealed partial class JpegDecoderCore
{
    private bool _sawEndOfImage;
    private bool _dataEnded;
    private int _firstDamagedRow = int.MaxValue;

    /// <summary>
    /// Whether the decoded image is not what the whole file would give (valid after <see cref="Decode"/>): part of
    /// it is blank (data ran out, restart intervals lost), follows corrupt data (an invalid Huffman code), lacks a
    /// component whose scan never came, or lacks the last progressive scans.
    /// </summary>
    public bool IsIncomplete => _firstDamagedRow != int.MaxValue || LacksProgressiveScans;

    /// <summary>Whether the file ends early (as opposed to damaged data inside a file that is whole).</summary>
    public bool DataEnded => _dataEnded;

    /// <summary>
    /// A progressive file that ends (without its end marker) before every coefficient reached full precision:
    /// every row is decoded, but coarser than the whole file would give. A file that does end with EOI is taken as
    /// complete whatever its scan script, since an encoder may stop refining early.
    /// </summary>
    public bool LacksProgressiveScans => _progressive && !_sawEndOfImage && _components.Any(c => c.Precision.Any(p => p != 0));

    /// <summary>
    /// How many rows from the top (stored orientation) hold what the file's data gives for them. Rows next to damage
    /// are left out when their pixels depend on it: one row for vertical chroma upsampling, and for progressive files
    /// the two block rows that libjpeg's block smoothing reads around each block.
    /// </summary>
    public int RowsDecoded
    {
        get
        {
            if (_firstDamagedRow == int.MaxValue)
            {
                return _height;
            }

            int minV = _components.Min(c => c.VerticalFactor);
            int margin = (minV < _maxV ? 1 : 0) + (_progressive ? 2 * 8 * _maxV / minV : 0);
            return Math.Clamp(_firstDamagedRow - margin, 0, _height);
        }
    }

    /// <summary>Notes that image rows from <paramref name="row"/> on (stored orientation) were not decoded from real data.</summary>
    private void MarkDamaged(int row) => _firstDamagedRow = Math.Min(_firstDamagedRow, row);
}
