namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>One colour component of a frame (Y, Cb, Cr, C, M, ...): its sampling, tables and decoded data.</summary>
internal sealed class JpegComponent
{
    /// <summary>Creates a component as the SOF header declares it.</summary>
    public JpegComponent(int index, byte id, int horizontalFactor, int verticalFactor, int quantizationTableId)
    {
        Index = index;
        Id = id;
        HorizontalFactor = horizontalFactor;
        VerticalFactor = verticalFactor;
        DeclaredVerticalFactor = verticalFactor;
        QuantizationTableId = quantizationTableId;
    }

    /// <summary>Position in the frame header.</summary>
    public int Index { get; }

    /// <summary>The component identifier scans refer to.</summary>
    public byte Id { get; }

    /// <summary>Horizontal sampling factor (1..4).</summary>
    public int HorizontalFactor { get; set; }

    /// <summary>Vertical sampling factor (1..4).</summary>
    public int VerticalFactor { get; set; }

    /// <summary>
    /// The vertical factor as the header declares it, before a lone component is treated as 1×1. libjpeg's
    /// progressive block smoothing counts block rows in units of it, so the smoothing does too.
    /// </summary>
    public int DeclaredVerticalFactor { get; }

    /// <summary>
    /// libjpeg's coef_bits: for each of the first ten zigzag coefficients, the point transform (Al) of the last
    /// progressive scan that coded it, or -1 if none did. Index 0 is DC.
    /// </summary>
    public int[] CoefficientBits { get; } = [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1];

    /// <summary>
    /// For all 64 zigzag coefficients, the point transform (Al) of the last progressive scan that coded it, or -1.
    /// All zero when every coefficient arrived at full precision: the progression is complete.
    /// </summary>
    public int[] Precision { get; } = [.. Enumerable.Repeat(-1, 64)];

    /// <summary>The same, as it was before the component's most recent scan (libjpeg's second coef_bits half).</summary>
    public int[] PreviousCoefficientBits { get; } = new int[10];

    /// <summary>Which DQT table (0..3) the component uses.</summary>
    public int QuantizationTableId { get; }

    /// <summary>
    /// The quantisation table in natural order, copied when the component first appears in a scan (libjpeg
    /// "latches" it then, so a later DQT that reuses the slot does not change this component). Held as
    /// <see cref="int"/> so the SIMD IDCT dequantises with one multiply per row.
    /// </summary>
    public int[]? Quantization { get; set; }

    /// <summary>Width in samples: ceil(image width × H / Hmax).</summary>
    public int Width { get; set; }

    /// <summary>Height in samples: ceil(image height × V / Vmax).</summary>
    public int Height { get; set; }

    /// <summary>Blocks per row that hold image samples; a non-interleaved scan codes exactly these.</summary>
    public int BlocksWide { get; set; }

    /// <summary>Block rows that hold image samples.</summary>
    public int BlocksHigh { get; set; }

    /// <summary>Blocks per row including the MCU padding an interleaved scan codes.</summary>
    public int BlocksWideAllocated { get; set; }

    /// <summary>Block rows including MCU padding.</summary>
    public int BlocksHighAllocated { get; set; }

    /// <summary>All coefficients (zigzag-free natural order, 64 per block) when the image needs them buffered: progressive or multi-scan.</summary>
    public short[]? Coefficients { get; set; }

    /// <summary>Per block (progressive only): the zigzag index of its last non-zero AC coefficient so far, 0 if none.</summary>
    public byte[]? LastNonZero { get; set; }

    /// <summary>The DC prediction of the current scan.</summary>
    public int DcPredictor { get; set; }

    /// <summary>The DC table of the current scan.</summary>
    public HuffmanDecodingTable? DcTable { get; set; }

    /// <summary>The AC table of the current scan.</summary>
    public HuffmanDecodingTable? AcTable { get; set; }

    /// <summary>
    /// Decoded samples of three consecutive MCU rows, a ring: MCU row r lives in slot r % 3. Converting MCU row
    /// r needs one sample row of context above and below (fancy upsampling), which the neighbouring slots hold.
    /// </summary>
    public byte[] Samples { get; set; } = [];

    /// <summary>Bytes per row in <see cref="Samples"/>.</summary>
    public int SampleStride { get; set; }

    /// <summary>Sample rows per MCU row: 8 × V.</summary>
    public int RowsPerMcuRow => 8 * VerticalFactor;

    /// <summary>The offset in <see cref="Samples"/> of sample row <paramref name="row"/>, clamped to the component's rows as libjpeg's edge replication does.</summary>
    public int RowOffset(int row)
    {
        row = Math.Clamp(row, 0, Height - 1);
        int rowsPerMcuRow = RowsPerMcuRow;
        int slot = row / rowsPerMcuRow % 3;
        return ((slot * rowsPerMcuRow) + (row % rowsPerMcuRow)) * SampleStride;
    }
}
