using System.Runtime.CompilerServices;

namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>
/// Writes a baseline JPEG the way libjpeg-turbo's <c>cjpeg</c> does with the same settings: the same colour
/// conversion (jccolor.c fixed point), downsampling (jcsample.c, alternating rounding bias), edge padding,
/// dummy blocks, islow forward DCT, quantisation, quality scaling and Huffman tables, so the entropy-coded data
/// is identical to cjpeg's. Works a chunk of MCU rows at a time, prepared on several threads and entropy-coded in
/// order (JpegEncoderCore.Rows.cs); optimised Huffman tables need a first pass over all quantised blocks, which are
/// then kept in memory (two bytes per sample).
/// </summary>
internal sealed partial class JpegEncoderCore
{
    /// <summary>Optimised tables keep all quantised blocks between the passes up to this many coefficients (256 MiB).</summary>
    private const long MaxStoredCoefficients = 128L * 1024 * 1024;

    private readonly int _quality;
    private readonly bool _subsample;
    private readonly bool _optimize;
    private readonly int _restartInterval;
    private readonly bool _grayscale;
    private readonly int _maxDegreeOfParallelism;

    private readonly int[][] _divisors = new int[2][];
    private readonly float[][] _reciprocals = new float[2][];
    private readonly byte[][] _quantization = new byte[2][];
    private readonly HuffmanEncodingTable[] _dcTables = new HuffmanEncodingTable[2];
    private readonly HuffmanEncodingTable[] _acTables = new HuffmanEncodingTable[2];

    private Component[] _components = [];
    private int _width;
    private int _height;
    private int _maxH;
    private int _maxV;
    private int _mcusPerLine;
    private int _mcuRows;
    private int _blocksPerMcu;
    private int _fullStride;

    /// <summary>Creates an encoder for one image.</summary>
    /// <param name="quality">1..100, libjpeg's scale.</param>
    /// <param name="subsample">4:2:0 chroma (otherwise 4:4:4); ignored for greyscale.</param>
    /// <param name="optimize">Two passes with optimal Huffman tables instead of the standard ones.</param>
    /// <param name="restartInterval">MCUs between restart markers; 0 for none.</param>
    /// <param name="grayscale">Write one luminance component.</param>
    /// <param name="maxDegreeOfParallelism">Threads preparing MCU rows; 0 or negative for one per logical processor.</param>
    public JpegEncoderCore(int quality, bool subsample, bool optimize, int restartInterval, bool grayscale, int maxDegreeOfParallelism = 0)
    {
        _maxDegreeOfParallelism = maxDegreeOfParallelism;
        _quality = quality;
        _subsample = subsample && !grayscale;
        _optimize = optimize;
        _restartInterval = restartInterval;
        _grayscale = grayscale;
    }

    private sealed class Component
    {
        public required byte Id { get; init; }

        public required int H { get; init; }

        public required int V { get; init; }

        public required int Table { get; init; }

        public int Width { get; set; }

        public int Height { get; set; }

        public int BlocksWide { get; set; }

        public int BlocksHigh { get; set; }

        /// <summary>Samples per row of this component's band (a <see cref="RowWorkspace"/> holds the bands).</summary>
        public int BandStride { get; set; }

        public int LastDc { get; set; }
    }

    /// <summary>libjpeg's jpeg_quality_scaling: quality 1..100 to a percentage of the standard tables.</summary>
    public static int QualityScale(int quality)
    {
        quality = Math.Clamp(quality, 1, 100);
        return quality < 50 ? 5000 / quality : 200 - (quality * 2);
    }

    /// <summary>jpeg_add_quant_table with force_baseline: (base × scale + 50) / 100, clamped to 1..255. Natural order.</summary>
    public static byte[] ScaledTable(ReadOnlySpan<byte> standard, int scale)
    {
        var table = new byte[64];
        for (int i = 0; i < 64; i++)
        {
            table[i] = (byte)Math.Clamp(((standard[i] * scale) + 50) / 100, 1, 255);
        }

        return table;
    }

    /// <summary>Encodes interleaved Gray8 (1 byte per pixel) or Rgb24 (3) pixels.</summary>
    public void Encode(ReadOnlySpan<byte> pixels, int width, int height, int stride, int bytesPerPixel, Stream stream)
    {
        _width = width;
        _height = height;
        SetUpTables();
        SetUpComponents();

        var writer = new JpegBitWriter(stream);
        int rowBlocks = _mcusPerLine * _blocksPerMcu * 64;
        var workspaces = NewWorkspaces();
        int chunk = ChunkRows(workspaces);
        if (_optimize)
        {
            // Pass 1 counts the symbols each table will code; pass 2 encodes with the optimal tables. Keeping
            // the quantised blocks between the passes (two bytes per sample) saves redoing the DCT; an image too
            // large for that recomputes them instead, a chunk of rows at a time.
            var statistics = new SymbolStatistics(_components.Length);
            long total = (long)rowBlocks * _mcuRows;
            short[]? all = total <= MaxStoredCoefficients ? new short[total] : null;
            short[] chunkBuffer = all ?? new short[chunk * rowBlocks];
            for (int first = 0; first < _mcuRows; first += chunk)
            {
                int count = Math.Min(chunk, _mcuRows - first);
                Span<short> blocks = all is null ? chunkBuffer : all.AsSpan(first * rowBlocks, count * rowBlocks);
                PrepareRows(pixels, stride, bytesPerPixel, first, count, blocks, rowBlocks, workspaces);
                for (int r = 0; r < count; r++)
                {
                    CountSymbols(blocks.Slice(r * rowBlocks, rowBlocks), (first + r) * _mcusPerLine, statistics);
                }
            }

            BuildOptimalTables(statistics);
            WriteHeaders(writer);
            for (int first = 0; first < _mcuRows; first += chunk)
            {
                int count = Math.Min(chunk, _mcuRows - first);
                Span<short> blocks = all is null ? chunkBuffer : all.AsSpan(first * rowBlocks, count * rowBlocks);
                if (all is null)
                {
                    PrepareRows(pixels, stride, bytesPerPixel, first, count, blocks, rowBlocks, workspaces);
                }

                for (int r = 0; r < count; r++)
                {
                    EncodeBlocks(writer, blocks.Slice(r * rowBlocks, rowBlocks), (first + r) * _mcusPerLine);
                }
            }
        }
        else
        {
            WriteHeaders(writer);
            short[] blocks = new short[chunk * rowBlocks];
            for (int first = 0; first < _mcuRows; first += chunk)
            {
                int count = Math.Min(chunk, _mcuRows - first);
                PrepareRows(pixels, stride, bytesPerPixel, first, count, blocks, rowBlocks, workspaces);
                for (int r = 0; r < count; r++)
                {
                    EncodeBlocks(writer, blocks.AsSpan(r * rowBlocks, rowBlocks), (first + r) * _mcusPerLine);
                }
            }
        }

        writer.FlushBits();
        writer.WriteMarker(JpegConstants.Eoi);
        writer.Flush();
    }

    private void SetUpTables()
    {
        int scale = QualityScale(_quality);
        _quantization[0] = ScaledTable(JpegConstants.StandardLuminanceQuantization, scale);
        _quantization[1] = ScaledTable(JpegConstants.StandardChrominanceQuantization, scale);
        for (int t = 0; t < 2; t++)
        {
            _divisors[t] = new int[64];
            _reciprocals[t] = new float[64];
            for (int i = 0; i < 64; i++)
            {
                // islow's output is scaled up by 8: divide by 8 × the quantiser.
                int divisor = _quantization[t][i] * 8;
                _divisors[t][i] = divisor;
                _reciprocals[t][i] = 1f / divisor;
            }
        }

        _dcTables[0] = HuffmanEncodingTable.StandardLuminanceDc();
        _acTables[0] = HuffmanEncodingTable.StandardLuminanceAc();
        _dcTables[1] = HuffmanEncodingTable.StandardChrominanceDc();
        _acTables[1] = HuffmanEncodingTable.StandardChrominanceAc();
    }

    private void SetUpComponents()
    {
        if (_grayscale)
        {
            _components = [new Component { Id = 1, H = 1, V = 1, Table = 0 }];
        }
        else
        {
            int factor = _subsample ? 2 : 1;
            _components =
            [
                new Component { Id = 1, H = factor, V = factor, Table = 0 },
                new Component { Id = 2, H = 1, V = 1, Table = 1 },
                new Component { Id = 3, H = 1, V = 1, Table = 1 },
            ];
        }

        _maxH = _components.Max(c => c.H);
        _maxV = _components.Max(c => c.V);
        _mcusPerLine = (_width + (8 * _maxH) - 1) / (8 * _maxH);
        _mcuRows = (_height + (8 * _maxV) - 1) / (8 * _maxV);
        _blocksPerMcu = _components.Sum(c => c.H * c.V);
        _fullStride = _mcusPerLine * 8 * _maxH;
        foreach (Component component in _components)
        {
            component.Width = (int)(((long)_width * component.H + _maxH - 1) / _maxH);
            component.Height = (int)(((long)_height * component.V + _maxV - 1) / _maxV);
            component.BlocksWide = (component.Width + 7) / 8;
            component.BlocksHigh = (component.Height + 7) / 8;
            component.BandStride = _mcusPerLine * component.H * 8;
        }
    }

    /// <summary>Entropy-codes one MCU row's blocks (or, for the optimised path, all of them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EncodeBlocks(JpegBitWriter writer, ReadOnlySpan<short> blocks, int firstMcu)
    {
        int mcuCount = blocks.Length / 64 / _blocksPerMcu;
        int block = 0;
        for (int m = 0; m < mcuCount; m++)
        {
            int mcu = firstMcu + m;
            if (_restartInterval > 0 && mcu > 0 && mcu % _restartInterval == 0)
            {
                writer.FlushBits();
                writer.WriteMarker((byte)(JpegConstants.Rst0 + ((mcu / _restartInterval) - 1) % 8));
                foreach (Component component in _components)
                {
                    component.LastDc = 0;
                }
            }

            foreach (Component component in _components)
            {
                HuffmanEncodingTable dc = _dcTables[component.Table];
                HuffmanEncodingTable ac = _acTables[component.Table];
                for (int i = 0; i < component.H * component.V; i++)
                {
                    ReadOnlySpan<short> coefficients = blocks.Slice(block * 64, 64);
                    component.LastDc = writer.EncodeBlock(coefficients, component.LastDc, dc, ac);
                    block++;
                }
            }
        }
    }

    /// <summary>Symbol counts per table and the DC predictions while counting.</summary>
    private sealed class SymbolStatistics(int components)
    {
        public long[][] Dc { get; } = [new long[256], new long[256]];

        public long[][] Ac { get; } = [new long[256], new long[256]];

        public int[] LastDc { get; } = new int[components];
    }

    /// <summary>Counts the symbols one MCU row's blocks code, with the same DC predictions and restarts as <see cref="EncodeBlocks"/>.</summary>
    private void CountSymbols(ReadOnlySpan<short> blocks, int firstMcu, SymbolStatistics statistics)
    {
        ReadOnlySpan<byte> zigzag = JpegConstants.ZigzagToNatural;
        int[] lastDc = statistics.LastDc;
        int mcuCount = blocks.Length / 64 / _blocksPerMcu;
        int block = 0;
        for (int m = 0; m < mcuCount; m++)
        {
            int mcu = firstMcu + m;
            if (_restartInterval > 0 && mcu % _restartInterval == 0)
            {
                Array.Clear(lastDc);
            }

            for (int c = 0; c < _components.Length; c++)
            {
                Component component = _components[c];
                long[] dc = statistics.Dc[component.Table];
                long[] ac = statistics.Ac[component.Table];
                for (int i = 0; i < component.H * component.V; i++)
                {
                    ReadOnlySpan<short> coefficients = blocks.Slice(block * 64, 64);
                    int difference = coefficients[0] - lastDc[c];
                    lastDc[c] = coefficients[0];
                    dc[BitLength(difference)]++;
                    int run = 0;
                    for (int k = 1; k < 64; k++)
                    {
                        int coefficient = coefficients[zigzag[k]];
                        if (coefficient == 0)
                        {
                            run++;
                            continue;
                        }

                        while (run > 15)
                        {
                            ac[0xF0]++;
                            run -= 16;
                        }

                        ac[(run << 4) | BitLength(coefficient)]++;
                        run = 0;
                    }

                    if (run > 0)
                    {
                        ac[0]++;
                    }

                    block++;
                }
            }
        }
    }

    private static int BitLength(int value) => JpegBitWriter.BitLength(value);

    private void BuildOptimalTables(SymbolStatistics statistics)
    {
        int tables = _grayscale ? 1 : 2;
        for (int t = 0; t < tables; t++)
        {
            _dcTables[t] = HuffmanEncodingTable.FromFrequencies(statistics.Dc[t]);
            _acTables[t] = HuffmanEncodingTable.FromFrequencies(statistics.Ac[t]);
        }
    }

    private void WriteHeaders(JpegBitWriter writer)
    {
        writer.WriteMarker(JpegConstants.Soi);

        // JFIF 1.01, no density unit, 1:1 aspect, no thumbnail: what cjpeg writes.
        writer.WriteRaw([0xFF, JpegConstants.App0, 0, 16, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);

        int tables = _grayscale ? 1 : 2;
        ReadOnlySpan<byte> zigzag = JpegConstants.ZigzagToNatural;
        Span<byte> dqt = stackalloc byte[69];
        for (int t = 0; t < tables; t++)
        {
            dqt[0] = 0xFF;
            dqt[1] = JpegConstants.Dqt;
            dqt[2] = 0;
            dqt[3] = 67;
            dqt[4] = (byte)t;
            for (int i = 0; i < 64; i++)
            {
                dqt[5 + i] = _quantization[t][zigzag[i]];
            }

            writer.WriteRaw(dqt);
        }

        Span<byte> sof = stackalloc byte[10 + (3 * _components.Length)];
        sof[0] = 0xFF;
        sof[1] = JpegConstants.Sof0;
        WriteUInt16(sof[2..], 8 + (3 * _components.Length));
        sof[4] = 8;
        WriteUInt16(sof[5..], _height);
        WriteUInt16(sof[7..], _width);
        sof[9] = (byte)_components.Length;
        for (int i = 0; i < _components.Length; i++)
        {
            Component component = _components[i];
            sof[10 + (3 * i)] = component.Id;
            sof[11 + (3 * i)] = (byte)((component.H << 4) | component.V);
            sof[12 + (3 * i)] = (byte)component.Table;
        }

        writer.WriteRaw(sof);

        for (int t = 0; t < tables; t++)
        {
            WriteHuffmanTable(writer, 0x00 | t, _dcTables[t]);
            WriteHuffmanTable(writer, 0x10 | t, _acTables[t]);
        }

        if (_restartInterval > 0)
        {
            writer.WriteRaw([0xFF, JpegConstants.Dri, 0, 4, (byte)(_restartInterval >> 8), (byte)_restartInterval]);
        }

        Span<byte> sos = stackalloc byte[8 + (2 * _components.Length)];
        sos[0] = 0xFF;
        sos[1] = JpegConstants.Sos;
        WriteUInt16(sos[2..], 6 + (2 * _components.Length));
        sos[4] = (byte)_components.Length;
        for (int i = 0; i < _components.Length; i++)
        {
            sos[5 + (2 * i)] = _components[i].Id;
            sos[6 + (2 * i)] = (byte)((_components[i].Table << 4) | _components[i].Table);
        }

        int end = 5 + (2 * _components.Length);
        sos[end] = 0;
        sos[end + 1] = 63;
        sos[end + 2] = 0;
        writer.WriteRaw(sos);
    }

    private static void WriteHuffmanTable(JpegBitWriter writer, int classAndId, HuffmanEncodingTable table)
    {
        int length = 2 + 1 + 16 + table.Symbols.Length;
        Span<byte> segment = stackalloc byte[2 + length];
        segment[0] = 0xFF;
        segment[1] = JpegConstants.Dht;
        WriteUInt16(segment[2..], length);
        segment[4] = (byte)classAndId;
        table.Counts.CopyTo(segment[5..]);
        table.Symbols.CopyTo(segment[21..]);
        writer.WriteRaw(segment);
    }

    private static void WriteUInt16(Span<byte> destination, int value)
    {
        destination[0] = (byte)(value >> 8);
        destination[1] = (byte)value;
    }
}
