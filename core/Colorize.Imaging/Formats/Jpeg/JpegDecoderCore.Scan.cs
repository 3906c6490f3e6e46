using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>Entropy decoding: the scan header, sequential and progressive Huffman decoding, restart markers.</summary>
internal sealed partial class JpegDecoderCore
{
    private readonly JpegComponent[] _scanComponents = new JpegComponent[4];
    private int _scanComponentCount;
    private int _spectralStart;
    private int _spectralEnd;
    private int _successiveHigh;
    private int _successiveLow;
    private int _endOfBandRun;
    private int _nextRestart;
    private int _lastGoodMcuRow;
    private long _blockVisits;
    private long _workingBytes;

    /// <summary>The block being decoded in streaming mode; zero between blocks.</summary>
    private readonly short[] _block = new short[64];

    /// <summary>Reads an SOS header at <paramref name="position"/>, decodes the scan's data, and returns where the next marker search starts.</summary>
    private int StartScan(ReadOnlySpan<byte> data, int position)
    {
        if (!_frameSeen)
        {
            throw new ImageFormatException("The JPEG file has a scan (SOS marker) before its frame header (SOF marker).");
        }

        if (++_scanCount > MaxScans)
        {
            throw new ImageFormatException($"The JPEG file has more than {MaxScans} scans; it is corrupt or hostile.");
        }

        ReadOnlySpan<byte> segment = ReadSegment(data, position, JpegConstants.Sos, out int dataStart);
        ReadScanHeader(segment);
        CountBlockVisits();

        if (_scanCount == 1)
        {
            _colorSpace = DecideColorSpace();
        }

        // A sequential scan that holds every component can be decoded, transformed and colour-converted in one
        // streaming pass; anything else (progressive, or components spread over several scans) buffers
        // coefficients until the end.
        bool streaming = !_progressive && _scanCount == 1 && _scanComponentCount == _components.Length;
        if (_progressive)
        {
            UpdateCoefficientBits();
        }

        LatchQuantizationTables();
        AllocateOutput();
        if (streaming)
        {
            AllocateSampleRings();
        }
        else if (!_coefficientsBuffered)
        {
            AllocateCoefficients();
        }

        var reader = new JpegBitReader(data, dataStart);
        DecodeScanData(ref reader, streaming);
        if (streaming)
        {
            _imageComplete = true;
        }

        return reader.Position;
    }

    private void ReadScanHeader(ReadOnlySpan<byte> segment)
    {
        if (segment.Length < 1)
        {
            throw new ImageFormatException("The JPEG file has a corrupt scan header (SOS segment empty).");
        }

        int count = segment[0];
        if (count < 1 || count > 4 || count > _components.Length || segment.Length < 4 + (2 * count))
        {
            throw new ImageFormatException($"The JPEG file has a corrupt scan header ({count} components).");
        }

        int blocksPerMcu = 0;
        for (int i = 0; i < count; i++)
        {
            byte id = segment[1 + (2 * i)];
            int tables = segment[2 + (2 * i)];
            JpegComponent? component = Array.Find(_components, c => c.Id == id)
                ?? throw new ImageFormatException($"The JPEG file's scan refers to component {id}, which the frame does not have.");
            for (int j = 0; j < i; j++)
            {
                if (_scanComponents[j] == component)
                {
                    throw new ImageFormatException($"The JPEG file's scan lists component {id} twice.");
                }
            }

            int dcId = tables >> 4;
            int acId = tables & 15;
            if (dcId > 3 || acId > 3)
            {
                throw new ImageFormatException("The JPEG file's scan refers to a Huffman table outside 0..3.");
            }

            component.DcTable = _dcTables[dcId] ?? StandardTable(dcId, isDc: true);
            component.AcTable = _acTables[acId] ?? StandardTable(acId, isDc: false);
            _scanComponents[i] = component;
            blocksPerMcu += component.HorizontalFactor * component.VerticalFactor;
        }

        if (count > 1 && blocksPerMcu > 10)
        {
            throw new ImageFormatException(
                $"The JPEG file's sampling factors give {blocksPerMcu} blocks per MCU; the standard allows at most 10.");
        }

        _scanComponentCount = count;
        int p = 1 + (2 * count);
        _spectralStart = segment[p];
        _spectralEnd = segment[p + 1];
        _successiveHigh = segment[p + 2] >> 4;
        _successiveLow = segment[p + 2] & 15;

        if (_progressive)
        {
            // The checks of libjpeg's start_pass_phuff_decoder.
            bool bad = _spectralStart == 0
                ? _spectralEnd != 0
                : _spectralStart > _spectralEnd || _spectralEnd > 63 || count != 1;
            bad |= _successiveHigh != 0 && _successiveLow != _successiveHigh - 1;
            bad |= _successiveLow > 13;
            if (bad)
            {
                throw new ImageFormatException(
                    $"The JPEG file has an invalid progressive scan (Ss={_spectralStart}, Se={_spectralEnd}, Ah={_successiveHigh}, Al={_successiveLow}).");
            }
        }
        else
        {
            // Sequential scans cover the whole band whatever the header says (libjpeg only warns).
            _spectralStart = 0;
            _spectralEnd = 63;
            _successiveHigh = 0;
            _successiveLow = 0;
        }
    }

    /// <summary>
    /// Bounds the work: real progressive files pass over each block a handful of times; a hostile one can
    /// repeat cheap scans over a huge image until decoding takes minutes (the "Two Issues with the JPEG
    /// Standard" report). Allow 32 passes over every block of every component, and never less than 16M blocks.
    /// </summary>
    private void CountBlockVisits()
    {
        long imageBlocks = 0;
        foreach (JpegComponent component in _components)
        {
            imageBlocks += (long)component.BlocksWideAllocated * component.BlocksHighAllocated;
        }

        _blockVisits += _scanComponentCount == 1
            ? (long)_scanComponents[0].BlocksWide * _scanComponents[0].BlocksHigh
            : (long)_mcusPerLine * _mcuRows * Enumerable.Range(0, _scanComponentCount).Sum(i => _scanComponents[i].HorizontalFactor * _scanComponents[i].VerticalFactor);
        if (_blockVisits > Math.Max(32 * imageBlocks, 1L << 24))
        {
            throw new ImageFormatException(
                $"The JPEG file's {_scanCount} scans go over its blocks far more often than any real image needs; it is corrupt or hostile.");
        }
    }

    /// <summary>libjpeg's progression bookkeeping (start_pass_phuff_decoder), which block smoothing reads later.</summary>
    private void UpdateCoefficientBits()
    {
        for (int i = 0; i < _scanComponentCount; i++)
        {
            JpegComponent component = _scanComponents[i];
            int[] bits = component.CoefficientBits;
            int[] previous = component.PreviousCoefficientBits;
            for (int k = Math.Min(_spectralStart, 1); k <= 9; k++)
            {
                previous[k] = _scanCount > 1 ? bits[k] : 0;
            }

            for (int k = _spectralStart; k <= Math.Min(_spectralEnd, 9); k++)
            {
                bits[k] = _successiveLow;
            }

            component.Precision.AsSpan(_spectralStart, _spectralEnd - _spectralStart + 1).Fill(_successiveLow);
        }
    }

    /// <summary>
    /// A missing table falls back to the standard one, as libjpeg-turbo does for Motion-JPEG frames that
    /// omit their DHT; tables 2 and 3 have no standard counterpart.
    /// </summary>
    private static HuffmanDecodingTable StandardTable(int id, bool isDc)
    {
        return (id, isDc) switch
        {
            (0, true) => StandardTables.LuminanceDc,
            (1, true) => StandardTables.ChrominanceDc,
            (0, false) => StandardTables.LuminanceAc,
            (1, false) => StandardTables.ChrominanceAc,
            _ => throw new ImageFormatException($"The JPEG file's scan uses Huffman table {id}, which it never defines."),
        };
    }

    private void LatchQuantizationTables()
    {
        for (int i = 0; i < _scanComponentCount; i++)
        {
            JpegComponent component = _scanComponents[i];
            if (component.Quantization is null)
            {
                int[] table = _quantizationTables[component.QuantizationTableId]
                    ?? throw new ImageFormatException(
                        $"The JPEG file uses quantisation table {component.QuantizationTableId}, which it never defines.");
                component.Quantization = (int[])table.Clone();
            }
        }
    }

    private void AllocateCoefficients()
    {
        long total = 0;
        foreach (JpegComponent component in _components)
        {
            total += (long)component.BlocksWideAllocated * component.BlocksHighAllocated * ((64 * sizeof(short)) + 1);
        }

        EnsureWorkingMemory(total);
        foreach (JpegComponent component in _components)
        {
            component.Coefficients = new short[(long)component.BlocksWideAllocated * component.BlocksHighAllocated * 64];
            component.LastNonZero = new byte[(long)component.BlocksWideAllocated * component.BlocksHighAllocated];
        }

        _coefficientsBuffered = true;
    }

    /// <summary>
    /// Counts working buffers (coefficients, sample rings) before they are allocated: together at most twice
    /// the output limit, so a decode never needs more than three times <see cref="DecoderOptions.MaxBytes"/>.
    /// </summary>
    private void EnsureWorkingMemory(long bytes)
    {
        _workingBytes += bytes;
        if (_workingBytes > 2 * _options.MaxBytes || bytes / sizeof(short) > Array.MaxLength)
        {
            throw new ImageLimitException(
                $"The JPEG image ({_width}x{_height}) would need {_workingBytes / (1024 * 1024)} MiB of working memory besides its pixels, more than the limit allows.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DecodeScanData(ref JpegBitReader reader, bool streaming)
    {
        int mcusPerLine;
        int mcuRows;
        if (_scanComponentCount == 1)
        {
            mcusPerLine = _scanComponents[0].BlocksWide;
            mcuRows = _scanComponents[0].BlocksHigh;
        }
        else
        {
            mcusPerLine = _mcusPerLine;
            mcuRows = _mcuRows;
        }

        for (int i = 0; i < _scanComponentCount; i++)
        {
            _scanComponents[i].DcPredictor = 0;
        }

        _endOfBandRun = 0;
        _nextRestart = 0;
        int restartsToGo = _restartInterval;
        bool insufficientData = false;
        ScanKind kind = !_progressive ? ScanKind.Sequential
            : _spectralStart == 0 ? (_successiveHigh == 0 ? ScanKind.DcFirst : ScanKind.DcRefine)
            : (_successiveHigh == 0 ? ScanKind.AcFirst : ScanKind.AcRefine);

        // Image rows per MCU row of this scan, to say from which row on the image is damaged.
        int imageRowsPerMcuRow = _scanComponentCount == 1 ? 8 * _maxV / _scanComponents[0].VerticalFactor : 8 * _maxV;
        long total = (long)mcusPerLine * mcuRows;
        for (long mcu = 0; mcu < total; mcu++)
        {
            int mcuY = (int)(mcu / mcusPerLine);
            int mcuX = (int)(mcu - ((long)mcuY * mcusPerLine));
            if (_restartInterval > 0)
            {
                if (restartsToGo == 0)
                {
                    // As libjpeg: the out-of-data state clears only when the restart marker was consumed.
                    // Left in front of a later marker, the next MCU decodes from made-up zero bits and the
                    // ones after it stay blank.
                    if (!ProcessRestart(ref reader))
                    {
                        insufficientData = false;
                    }

                    restartsToGo = _restartInterval;
                }

                restartsToGo--;
            }

            if (!insufficientData)
            {
                // libjpeg's last_good_iMCU_row: smoothing trusts this scan's bookkeeping only this far.
                _lastGoodMcuRow = ImcuRow(mcuY);
            }

            if (streaming)
            {
                DecodeStreamingMcu(ref reader, mcuX, mcuY, insufficientData);
                if (mcuX == mcusPerLine - 1)
                {
                    if (mcuY > 0)
                    {
                        ConvertMcuRow(mcuY - 1);
                    }

                    if (mcuY == mcuRows - 1)
                    {
                        ConvertMcuRow(mcuY);
                    }
                }
            }
            else if (!insufficientData)
            {
                DecodeBufferedMcu(ref reader, kind, mcuX, mcuY);
                if (kind == ScanKind.AcFirst && _endOfBandRun > 0)
                {
                    // Inside an end-of-band run the coming blocks read no bits and stay as they are: jump over
                    // them (a hostile file can cover the whole image with a few bytes, scan after scan).
                    long skip = Math.Min(_endOfBandRun, total - mcu - 1);
                    if (_restartInterval > 0)
                    {
                        skip = Math.Min(skip, restartsToGo);
                        restartsToGo -= (int)skip;
                    }

                    _endOfBandRun -= (int)skip;
                    mcu += skip;
                    _lastGoodMcuRow = ImcuRow((int)(mcu / mcusPerLine));
                }
            }

            if (!insufficientData && reader.ConsumedPadding)
            {
                insufficientData = true;
                IsTruncated = true;
                MarkDamaged(mcuY * imageRowsPerMcuRow);
            }

            if (reader.BadCode)
            {
                // Decoding goes on as libjpeg's does, but what follows in this interval is noise.
                reader.ClearBadCode();
                MarkDamaged(mcuY * imageRowsPerMcuRow);
            }

            if (insufficientData && !streaming)
            {
                // Nothing more of this interval can be decoded: skip to the next restart marker, or end the scan.
                if (_restartInterval == 0)
                {
                    break;
                }

                mcu += restartsToGo;
                restartsToGo = 0;
            }
        }
    }

    /// <summary>The iMCU row (libjpeg's unit for block smoothing) of MCU row <paramref name="mcuY"/> of the current scan.</summary>
    private int ImcuRow(int mcuY) => _scanComponentCount == 1 ? mcuY / _scanComponents[0].DeclaredVerticalFactor : mcuY;

    private enum ScanKind
    {
        Sequential,
        DcFirst,
        DcRefine,
        AcFirst,
        AcRefine,
    }

    /// <summary>
    /// At a restart boundary: drop the buffered bits, expect RSTn, and resynchronise as libjpeg's
    /// <c>jpeg_resync_to_restart</c> does when the marker is missing or wrong. Returns whether the reader is
    /// still stuck in front of a (later) marker.
    /// </summary>
    private bool ProcessRestart(ref JpegBitReader reader)
    {
        reader.DiscardBits();
        int expected = _nextRestart;
        int marker = reader.PeekMarker();
        while (true)
        {
            int action;
            if (marker < JpegConstants.Sof0)
            {
                action = 2;
            }
            else if (marker < JpegConstants.Rst0 || marker > JpegConstants.Rst7)
            {
                action = 3;
            }
            else if (marker == JpegConstants.Rst0 + expected)
            {
                action = 1;
            }
            else if (marker == JpegConstants.Rst0 + ((expected + 1) & 7) || marker == JpegConstants.Rst0 + ((expected + 2) & 7))
            {
                action = 3;
            }
            else if (marker == JpegConstants.Rst0 + ((expected - 1) & 7) || marker == JpegConstants.Rst0 + ((expected - 2) & 7))
            {
                action = 2;
            }
            else
            {
                action = 1;
            }

            if (action == 1)
            {
                // The expected marker (or one too far off to reason about): consume it and go on.
                reader.ConsumeMarker();
                break;
            }

            if (action == 3)
            {
                // A marker that belongs later: leave it, decode this interval as blank.
                IsTruncated = true;
                break;
            }

            // An earlier or invalid marker: skip it and look at the next one.
            reader.ConsumeMarker();
            marker = reader.PeekMarker();
        }

        _nextRestart = (_nextRestart + 1) & 7;
        for (int i = 0; i < _scanComponentCount; i++)
        {
            _scanComponents[i].DcPredictor = 0;
        }

        _endOfBandRun = 0;
        return reader.MarkerHit;
    }

    /// <summary>One MCU of a sequential scan that holds all components: decode, transform into the sample rings.</summary>
    private void DecodeStreamingMcu(ref JpegBitReader reader, int mcuX, int mcuY, bool skip)
    {
        short[] block = _block;
        ref short blockRef = ref MemoryMarshal.GetArrayDataReference(block);
        for (int i = 0; i < _scanComponentCount; i++)
        {
            JpegComponent component = _scanComponents[i];
            int h = _scanComponentCount == 1 ? 1 : component.HorizontalFactor;
            int v = _scanComponentCount == 1 ? 1 : component.VerticalFactor;
            int stride = component.SampleStride;
            int slotRow = mcuY % 3 * component.RowsPerMcuRow;
            ref int quantization = ref MemoryMarshal.GetArrayDataReference(component.Quantization!);
            ref byte samples = ref MemoryMarshal.GetArrayDataReference(component.Samples);
            for (int by = 0; by < v; by++)
            {
                for (int bx = 0; bx < h; bx++)
                {
                    int column = ((mcuX * h) + bx) * 8;
                    ref byte output = ref Unsafe.Add(ref samples, ((slotRow + (by * 8)) * stride) + column);
                    if (skip)
                    {
                        JpegIdct.TransformDcOnly(0, ref output, stride);
                        continue;
                    }

                    bool hasAc = DecodeSequentialBlock(ref reader, component, ref blockRef);
                    if (hasAc)
                    {
                        JpegIdct.Transform(ref blockRef, ref quantization, ref output, stride);
                        Array.Clear(block);
                    }
                    else
                    {
                        JpegIdct.TransformDcOnly(blockRef * quantization, ref output, stride);
                        blockRef = 0;
                    }
                }
            }
        }
    }

    private void DecodeBufferedMcu(ref JpegBitReader reader, ScanKind kind, int mcuX, int mcuY)
    {
        for (int i = 0; i < _scanComponentCount; i++)
        {
            JpegComponent component = _scanComponents[i];
            int h;
            int v;
            int firstX;
            int firstY;
            if (_scanComponentCount == 1)
            {
                h = 1;
                v = 1;
                firstX = mcuX;
                firstY = mcuY;
            }
            else
            {
                h = component.HorizontalFactor;
                v = component.VerticalFactor;
                firstX = mcuX * h;
                firstY = mcuY * v;
            }

            ref short coefficients = ref MemoryMarshal.GetArrayDataReference(component.Coefficients!);
            for (int by = 0; by < v; by++)
            {
                for (int bx = 0; bx < h; bx++)
                {
                    long offset = (((long)(firstY + by) * component.BlocksWideAllocated) + firstX + bx) * 64;
                    ref short block = ref Unsafe.Add(ref coefficients, (nint)offset);
                    switch (kind)
                    {
                        case ScanKind.Sequential:
                            DecodeSequentialBlock(ref reader, component, ref block);
                            break;
                        case ScanKind.DcFirst:
                            DecodeDcFirst(ref reader, component, ref block);
                            break;
                        case ScanKind.DcRefine:
                            if (reader.ReadBit() != 0)
                            {
                                block |= (short)(1 << _successiveLow);
                            }

                            break;
                        case ScanKind.AcFirst:
                            DecodeAcFirst(ref reader, component, ref block, ref component.LastNonZero![offset / 64]);
                            break;
                        default:
                            DecodeAcRefine(ref reader, component, ref block, ref component.LastNonZero![offset / 64]);
                            break;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Decodes one block of a sequential scan into <paramref name="block"/> (natural order, must be zero on
    /// entry). Returns whether any AC coefficient was coded, so DC-only blocks can take a shortcut. The bit
    /// buffer lives in locals here (the reader's fields would go through memory on every operation) and is
    /// handed back to the reader for refills, which happen every few coefficients.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool DecodeSequentialBlock(ref JpegBitReader reader, JpegComponent component, ref short block)
    {
        const int Lookahead = HuffmanDecodingTable.LookupBits;
        ReadOnlySpan<byte> data = reader.Data;
        ulong bits = reader.Bits;
        int count = reader.Count;
        int position = reader.Position;
        if (count < 32 && !JpegBitReader.TryRefillFast(data, ref bits, ref count, ref position))
        {
            reader.SetState(bits, count, position);
            reader.Refill();
            (bits, count, position) = (reader.Bits, reader.Count, reader.Position);
        }

        // DC: category, then that many bits of difference.
        HuffmanDecodingTable dcTable = component.DcTable!;
        int size;
        int entry = dcTable.Lookup[(int)(bits >> (64 - Lookahead))];
        if (entry != 0)
        {
            int length = entry >> 8;
            bits <<= length;
            count -= length;
            size = entry & 0xFF;
        }
        else
        {
            reader.SetState(bits, count, position);
            size = reader.DecodeLongSymbol(dcTable);
            (bits, count, position) = (reader.Bits, reader.Count, reader.Position);
        }

        int dc = component.DcPredictor;
        if (size != 0)
        {
            // A DC size is at most 15 and the code at most 16: both fit the 32 bits refilled above.
            dc += JpegBitReader.Extend((int)(bits >> (64 - size)), size);
            bits <<= size;
            count -= size;
            component.DcPredictor = dc;
        }

        block = (short)dc;

        HuffmanDecodingTable table = component.AcTable!;
        ref int fastAc = ref MemoryMarshal.GetArrayDataReference(table.FastAc);
        ref ushort lookup = ref MemoryMarshal.GetArrayDataReference(table.Lookup);
        ref byte zigzag = ref MemoryMarshal.GetReference(JpegConstants.ZigzagToNatural);
        bool hasAc = false;
        int k = 1;
        while (k < 64)
        {
            // 32 bits cover the longest code (16) plus the longest value (15).
            if (count < 32 && !JpegBitReader.TryRefillFast(data, ref bits, ref count, ref position))
            {
                reader.SetState(bits, count, position);
                reader.Refill();
                (bits, count, position) = (reader.Bits, reader.Count, reader.Position);
            }

            int peek = (int)(bits >> (64 - Lookahead));
            int fast = Unsafe.Add(ref fastAc, peek);
            if (fast != 0)
            {
                int length = fast & 0xFF;
                bits <<= length;
                count -= length;
                k += (fast >> 8) & 0xFF;
                Unsafe.Add(ref block, Unsafe.Add(ref zigzag, k)) = (short)(fast >> 16);
                k++;
                hasAc = true;
                continue;
            }

            int symbol;
            int lookupEntry = Unsafe.Add(ref lookup, peek);
            if (lookupEntry != 0)
            {
                int length = lookupEntry >> 8;
                bits <<= length;
                count -= length;
                symbol = lookupEntry & 0xFF;
            }
            else
            {
                reader.SetState(bits, count, position);
                symbol = reader.DecodeLongSymbol(table);
                (bits, count, position) = (reader.Bits, reader.Count, reader.Position);
            }

            int run = symbol >> 4;
            int valueSize = symbol & 15;
            if (valueSize != 0)
            {
                k += run;
                int value = (int)(bits >> (64 - valueSize));
                bits <<= valueSize;
                count -= valueSize;
                Unsafe.Add(ref block, Unsafe.Add(ref zigzag, k)) = (short)JpegBitReader.Extend(value, valueSize);
                k++;
                hasAc = true;
            }
            else if (run == 15)
            {
                k += 16;
            }
            else
            {
                break;
            }
        }

        reader.SetState(bits, count, position);
        return hasAc;
    }

    private void DecodeDcFirst(ref JpegBitReader reader, JpegComponent component, ref short block)
    {
        int size = reader.DecodeSymbol(component.DcTable!);
        int dc = component.DcPredictor;
        if (size != 0)
        {
            dc += reader.ReadExtended(size);
            component.DcPredictor = dc;
        }

        block = (short)(dc << _successiveLow);
    }

    private void DecodeAcFirst(ref JpegBitReader reader, JpegComponent component, ref short block, ref byte lastNonZero)
    {
        if (_endOfBandRun > 0)
        {
            _endOfBandRun--;
            return;
        }

        HuffmanDecodingTable table = component.AcTable!;
        ref byte zigzag = ref MemoryMarshal.GetReference(JpegConstants.ZigzagToNatural);
        int low = _successiveLow;
        int end = _spectralEnd;
        for (int k = _spectralStart; k <= end; k++)
        {
            int symbol = reader.DecodeSymbol(table);
            int run = symbol >> 4;
            int size = symbol & 15;
            if (size != 0)
            {
                k += run;
                int value = reader.ReadExtended(size);
                Unsafe.Add(ref block, Unsafe.Add(ref zigzag, k)) = (short)(value << low);
                lastNonZero = (byte)Math.Max(lastNonZero, Math.Min(k, 63));
            }
            else if (run == 15)
            {
                k += 15;
            }
            else
            {
                _endOfBandRun = 1 << run;
                if (run != 0)
                {
                    _endOfBandRun += reader.ReadBits(run);
                }

                _endOfBandRun--;
                break;
            }
        }
    }

    /// <summary>
    /// libjpeg's <c>decode_mcu_AC_refine</c>: correction bits for coefficients already non-zero, new ±1 values
    /// for the rest. The hottest loop of progressive decoding, so the bit buffer lives in locals.
    /// </summary>
    /// <param name="reader">The bit reader.</param>
    /// <param name="component">The scan's component.</param>
    /// <param name="block">The block's coefficients.</param>
    /// <param name="lastNonZero">The zigzag index of the block's last non-zero coefficient: inside an end-of-band
    /// run only coefficients up to it can need a correction bit, which saves scanning the rest.</param>
    private void DecodeAcRefine(ref JpegBitReader reader, JpegComponent component, ref short block, ref byte lastNonZero)
    {
        HuffmanDecodingTable table = component.AcTable!;
        ref byte zigzag = ref MemoryMarshal.GetReference(JpegConstants.ZigzagToNatural);
        int plusOne = 1 << _successiveLow;
        int minusOne = -1 << _successiveLow;
        int end = _spectralEnd;
        int k = _spectralStart;
        ReadOnlySpan<byte> data = reader.Data;
        ulong bits = reader.Bits;
        int count = reader.Count;
        int position = reader.Position;

        if (_endOfBandRun == 0)
        {
            for (; k <= end; k++)
            {
                Need(ref reader, data, ref bits, ref count, ref position, 32);
                int symbol;
                int entry = table.Lookup[(int)(bits >> (64 - HuffmanDecodingTable.LookupBits))];
                if (entry != 0)
                {
                    int length = entry >> 8;
                    bits <<= length;
                    count -= length;
                    symbol = entry & 0xFF;
                }
                else
                {
                    reader.SetState(bits, count, position);
                    symbol = reader.DecodeLongSymbol(table);
                    (bits, count, position) = (reader.Bits, reader.Count, reader.Position);
                }

                int run = symbol >> 4;
                int size = symbol & 15;
                int value = 0;
                if (size != 0)
                {
                    // The size should be 1; libjpeg only warns when it is not. One bit gives the sign.
                    value = (long)bits < 0 ? plusOne : minusOne;
                    bits <<= 1;
                    count--;
                }
                else if (run != 15)
                {
                    _endOfBandRun = 1 << run;
                    if (run != 0)
                    {
                        Need(ref reader, data, ref bits, ref count, ref position, run);
                        _endOfBandRun += (int)(bits >> (64 - run));
                        bits <<= run;
                        count -= run;
                    }

                    break;
                }

                // Skip over already non-zero coefficients (refining each) and `run` zero ones.
                do
                {
                    ref short coefficient = ref Unsafe.Add(ref block, Unsafe.Add(ref zigzag, k));
                    if (coefficient != 0)
                    {
                        Need(ref reader, data, ref bits, ref count, ref position, 1);
                        Refine(ref coefficient, bits, plusOne, minusOne);
                        bits <<= 1;
                        count--;
                    }
                    else
                    {
                        if (--run < 0)
                        {
                            break;
                        }
                    }

                    k++;
                }
                while (k <= end);

                if (value != 0)
                {
                    Unsafe.Add(ref block, Unsafe.Add(ref zigzag, k)) = (short)value;
                    lastNonZero = (byte)Math.Max(lastNonZero, Math.Min(k, 63));
                }
            }
        }

        if (_endOfBandRun > 0)
        {
            // Inside an end-of-band run: only correction bits for the already non-zero coefficients.
            int last = Math.Min(end, (int)lastNonZero);
            for (; k <= last; k++)
            {
                ref short coefficient = ref Unsafe.Add(ref block, Unsafe.Add(ref zigzag, k));
                if (coefficient != 0)
                {
                    Need(ref reader, data, ref bits, ref count, ref position, 1);
                    Refine(ref coefficient, bits, plusOne, minusOne);
                    bits <<= 1;
                    count--;
                }
            }

            _endOfBandRun--;
        }

        reader.SetState(bits, count, position);
    }

    /// <summary>Makes sure <paramref name="needed"/> bits are in the local bit buffer, refilling inline when it can.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Need(ref JpegBitReader reader, ReadOnlySpan<byte> data, ref ulong bits, ref int count, ref int position, int needed)
    {
        if (count < needed && !JpegBitReader.TryRefillFast(data, ref bits, ref count, ref position))
        {
            reader.SetState(bits, count, position);
            reader.Refill();
            (bits, count, position) = (reader.Bits, reader.Count, reader.Position);
        }
    }

    /// <summary>A correction bit (the top bit of <paramref name="bits"/>) for a coefficient already non-zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Refine(ref short coefficient, ulong bits, int plusOne, int minusOne)
    {
        if ((long)bits < 0 && (coefficient & plusOne) == 0)
        {
            coefficient = (short)(coefficient >= 0 ? coefficient + plusOne : coefficient + minusOne);
        }
    }

    /// <summary>The standard tables of T.81 Annex K.3, built once.</summary>
    private static class StandardTables
    {
        public static readonly HuffmanDecodingTable LuminanceDc =
            new(JpegConstants.LuminanceDcBits, JpegConstants.LuminanceDcValues, isDc: true);

        public static readonly HuffmanDecodingTable ChrominanceDc =
            new(JpegConstants.ChrominanceDcBits, JpegConstants.ChrominanceDcValues, isDc: true);

        public static readonly HuffmanDecodingTable LuminanceAc =
            new(JpegConstants.LuminanceAcBits, JpegConstants.LuminanceAcValues, isDc: false);

        public static readonly HuffmanDecodingTable ChrominanceAc =
            new(JpegConstants.ChrominanceAcBits, JpegConstants.ChrominanceAcValues, isDc: false);
    }
}
