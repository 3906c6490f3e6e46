using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>From samples to pixels: the sample rings, the inverse DCT of buffered coefficients, upsampling and colour conversion.</summary>
internal sealed partial class JpegDecoderCore
{
    private JpegUpsampleMethod[] _upsampleMethods = [];
    private byte[][] _upsampledRows = [];
    private ushort[] _scratch = [];

    private byte[] _band = [];

    /// <summary>
    /// The orientation the output is written in (1 = as stored). Fixed when the output is allocated, after the
    /// markers before the first scan (where EXIF lives) have been read.
    /// </summary>
    public int AppliedOrientation { get; private set; } = 1;

    /// <summary>Whether to write the output upright according to the EXIF orientation.</summary>
    public bool ApplyExifOrientation { get; init; }

    private void AllocateOutput()
    {
        if (_pixels is null)
        {
            int channels = _components.Length == 1 ? 1 : 3;
            long size = (long)_width * _height * channels;
            _pixels = GC.AllocateUninitializedArray<byte>((int)size);
            AppliedOrientation = ApplyExifOrientation ? _exifOrientation : 1;
            if (AppliedOrientation != 1)
            {
                // Rows are converted into a band and then copied into place turned, instead of turning a copy of
                // the whole image afterwards (which would need a second full-size buffer).
                long band = (long)_width * 8 * _maxV * channels;
                EnsureWorkingMemory(band);
                _band = new byte[band];
            }
        }
    }

    /// <summary>Sets up the per-component sample rings (three MCU rows each) and the upsampling of each component.</summary>
    private void AllocateSampleRings()
    {
        long total = 0;
        foreach (JpegComponent component in _components)
        {
            total += (long)component.BlocksWideAllocated * 8 * 3 * component.RowsPerMcuRow;
        }

        EnsureWorkingMemory(total);
        int rowLength = _mcusPerLine * 8 * _maxH;
        _upsampleMethods = new JpegUpsampleMethod[_components.Length];
        _upsampledRows = new byte[_components.Length][];
        foreach (JpegComponent component in _components)
        {
            component.SampleStride = component.BlocksWideAllocated * 8;
            component.Samples = new byte[component.SampleStride * 3 * component.RowsPerMcuRow];
            JpegUpsampleMethod method = ChooseUpsampling(component);
            _upsampleMethods[component.Index] = method;
            _upsampledRows[component.Index] = method == JpegUpsampleMethod.None ? [] : new byte[rowLength + JpegUpsampler.Padding];
            if (_scratch.Length < component.Width + JpegUpsampler.Padding)
            {
                _scratch = new ushort[component.Width + JpegUpsampler.Padding];
            }
        }
    }

    /// <summary>The choice of libjpeg-turbo's jinit_upsampler with fancy upsampling on (djpeg's default).</summary>
    private JpegUpsampleMethod ChooseUpsampling(JpegComponent component)
    {
        int h = component.HorizontalFactor;
        int v = component.VerticalFactor;
        if (h == _maxH && v == _maxV)
        {
            return JpegUpsampleMethod.None;
        }

        if (h * 2 == _maxH && v == _maxV)
        {
            return component.Width > 2 ? JpegUpsampleMethod.H2V1Fancy : JpegUpsampleMethod.Replicate;
        }

        if (h == _maxH && v * 2 == _maxV)
        {
            return JpegUpsampleMethod.H1V2Fancy;
        }

        if (h * 2 == _maxH && v * 2 == _maxV)
        {
            return component.Width > 2 ? JpegUpsampleMethod.H2V2Fancy : JpegUpsampleMethod.Replicate;
        }

        return _maxH % h == 0 && _maxV % v == 0 ? JpegUpsampleMethod.Replicate : JpegUpsampleMethod.Nearest;
    }

    /// <summary>Progressive / multi-scan: inverse-transform the buffered coefficients MCU row by MCU row and convert.</summary>
    private void OutputFromCoefficients()
    {
        AllocateSampleRings();
        bool smoothing = PrepareSmoothing();
        for (int mcuRow = 0; mcuRow < _mcuRows; mcuRow++)
        {
            foreach (JpegComponent component in _components)
            {
                if (smoothing)
                {
                    TransformMcuRowSmoothed(component, mcuRow);
                }
                else
                {
                    TransformMcuRow(component, mcuRow);
                }
            }

            if (mcuRow > 0)
            {
                ConvertMcuRow(mcuRow - 1);
            }
        }

        ConvertMcuRow(_mcuRows - 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformMcuRow(JpegComponent component, int mcuRow)
    {
        int v = component.VerticalFactor;
        int stride = component.SampleStride;
        int slotRow = mcuRow % 3 * component.RowsPerMcuRow;
        ref short coefficients = ref MemoryMarshal.GetArrayDataReference(component.Coefficients!);
        ref byte samples = ref MemoryMarshal.GetArrayDataReference(component.Samples);

        // A component that never appeared in any scan (a truncated file) has no table latched: its blocks are
        // all zero, which any table turns into mid-grey.
        int[] quantization = component.Quantization ?? new int[64];
        ref int quant = ref MemoryMarshal.GetArrayDataReference(quantization);
        int lastBlockRow = Math.Min((mcuRow + 1) * v, component.BlocksHigh);
        for (int blockRow = mcuRow * v; blockRow < lastBlockRow; blockRow++)
        {
            ref short rowCoefficients = ref Unsafe.Add(ref coefficients, (nint)((long)blockRow * component.BlocksWideAllocated * 64));
            ref byte rowSamples = ref Unsafe.Add(ref samples, (slotRow + ((blockRow - (mcuRow * v)) * 8)) * stride);
            for (int blockColumn = 0; blockColumn < component.BlocksWide; blockColumn++)
            {
                ref short block = ref Unsafe.Add(ref rowCoefficients, blockColumn * 64);
                ref byte output = ref Unsafe.Add(ref rowSamples, blockColumn * 8);
                if (HasOnlyDc(ref block))
                {
                    JpegIdct.TransformDcOnly(block * quant, ref output, stride);
                }
                else
                {
                    JpegIdct.Transform(ref block, ref quant, ref output, stride);
                }
            }
        }
    }

    private int[][] _smoothingBits = [];
    private int[][] _smoothingPreviousBits = [];
    private readonly short[] _smoothingBlock = new short[64];

    /// <summary>
    /// libjpeg's smoothing_ok: a progressive image whose first AC coefficients are not all known to full
    /// precision (a truncated file, or a scan script that stops early) gets libjpeg-turbo 2.1's block smoothing,
    /// which estimates them from the DC values of the 5×5 neighbouring blocks. Latches the bookkeeping.
    /// </summary>
    private bool PrepareSmoothing()
    {
        if (!_progressive)
        {
            return false;
        }

        bool useful = false;
        _smoothingBits = new int[_components.Length][];
        _smoothingPreviousBits = new int[_components.Length][];
        foreach (JpegComponent component in _components)
        {
            int[]? q = component.Quantization;
            if (q is null || q[0] == 0 || q[1] == 0 || q[8] == 0 || q[16] == 0 || q[9] == 0 || q[2] == 0 ||
                q[3] == 0 || q[10] == 0 || q[17] == 0 || q[24] == 0 || component.CoefficientBits[0] < 0)
            {
                return false;
            }

            int[] latch = new int[10];
            int[] previous = new int[10];
            latch[0] = component.CoefficientBits[0];
            for (int k = 1; k < 10; k++)
            {
                previous[k] = _scanCount > 1 ? component.PreviousCoefficientBits[k] : -1;
                latch[k] = component.CoefficientBits[k];
                useful |= latch[k] != 0;
            }

            _smoothingBits[component.Index] = latch;
            _smoothingPreviousBits[component.Index] = previous;
        }

        return useful;
    }

    /// <summary>
    /// decompress_smooth_data of libjpeg-turbo 2.1 (jdcoefct.c), block by block: coefficients still zero and not
    /// known exactly get estimates from the neighbouring DC values, including libjpeg's row bookkeeping at the
    /// image edges, then the usual inverse DCT.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TransformMcuRowSmoothed(JpegComponent component, int mcuRow)
    {
        int v = component.VerticalFactor;
        int stride = component.SampleStride;
        int slotRow = mcuRow % 3 * component.RowsPerMcuRow;
        short[] coefficients = component.Coefficients!;
        int[] q = component.Quantization!;
        short[] workspace = _smoothingBlock;

        // libjpeg counts block rows in iMCU rows of the declared vertical factor.
        int declaredV = component.DeclaredVerticalFactor;
        int totalImcuRows = _components.Length == 1 ? DivideCeiling(_height, 8 * declaredV) : _mcuRows;
        int lastBlockColumn = component.BlocksWide - 1;
        int lastBlockRow = Math.Min((mcuRow + 1) * v, component.BlocksHigh);
        Span<int> dc = stackalloc int[25];
        for (int blockRow = mcuRow * v; blockRow < lastBlockRow; blockRow++)
        {
            int imcuRow = blockRow / declaredV;
            int rowInImcu = blockRow % declaredV;
            int blockRows = imcuRow < totalImcuRows - 1 || component.BlocksHigh % declaredV == 0 ? declaredV : component.BlocksHigh % declaredV;
            int imageBlockRow = (imcuRow * blockRows) + rowInImcu;
            int imageBlockRows = blockRows * totalImcuRows;
            int previous = imageBlockRow > 0 ? blockRow - 1 : blockRow;
            int previous2 = imageBlockRow > 1 ? blockRow - 2 : previous;
            int next = imageBlockRow < imageBlockRows - 1 ? blockRow + 1 : blockRow;
            int next2 = imageBlockRow < imageBlockRows - 2 ? blockRow + 2 : next;
            int[] bits = imcuRow > _lastGoodMcuRow ? _smoothingPreviousBits[component.Index] : _smoothingBits[component.Index];
            bool changeDc = bits[1] == -1 && bits[2] == -1 && bits[3] == -1 && bits[4] == -1 && bits[5] == -1 &&
                bits[6] == -1 && bits[7] == -1 && bits[8] == -1 && bits[9] == -1;
            int[] rows = [previous2, previous, blockRow, next, next2];
            ref byte rowSamples = ref component.Samples[(slotRow + ((blockRow - (mcuRow * v)) * 8)) * stride];
            for (int blockColumn = 0; blockColumn <= lastBlockColumn; blockColumn++)
            {
                Array.Copy(coefficients, (((long)blockRow * component.BlocksWideAllocated) + blockColumn) * 64, workspace, 0, 64);

                // dc[5 * r + c]: row previous2..next2, column blockColumn - 2 .. + 2 clamped to the image.
                for (int r = 0; r < 5; r++)
                {
                    for (int c = 0; c < 5; c++)
                    {
                        int row = rows[r];
                        int column = Math.Clamp(blockColumn + c - 2, 0, lastBlockColumn);
                        dc[(5 * r) + c] = row < component.BlocksHighAllocated
                            ? coefficients[(((long)row * component.BlocksWideAllocated) + column) * 64]
                            : 0;
                    }
                }

                EstimateCoefficients(workspace, q, bits, changeDc, dc);
                JpegIdct.Transform(ref workspace[0], ref q[0], ref Unsafe.Add(ref rowSamples, blockColumn * 8), stride);
            }
        }
    }

    /// <summary>The coefficient estimates of decompress_smooth_data; dc holds DC01..DC25 row by row.</summary>
    private static void EstimateCoefficients(short[] w, int[] q, int[] bits, bool changeDc, ReadOnlySpan<int> dc)
    {
        int d01 = dc[0], d02 = dc[1], d03 = dc[2], d04 = dc[3], d05 = dc[4];
        int d06 = dc[5], d07 = dc[6], d08 = dc[7], d09 = dc[8], d10 = dc[9];
        int d11 = dc[10], d12 = dc[11], d13 = dc[12], d14 = dc[13], d15 = dc[14];
        int d16 = dc[15], d17 = dc[16], d18 = dc[17], d19 = dc[18], d20 = dc[19];
        int d21 = dc[20], d22 = dc[21], d23 = dc[22], d24 = dc[23], d25 = dc[24];
        long q00 = q[0];

        // AC01, AC10, AC20, AC11, AC02 (natural positions 1, 8, 16, 9, 2).
        Estimate(w, 1, q[1], bits[1], q00 * (changeDc
            ? -d01 - d02 + d04 + d05 - (3 * d06) + (13 * d07) - (13 * d09) + (3 * d10) - (3 * d11) + (38 * d12) - (38 * d14) +
              (3 * d15) - (3 * d16) + (13 * d17) - (13 * d19) + (3 * d20) - d21 - d22 + d24 + d25
            : (-7 * d11) + (50 * d12) - (50 * d14) + (7 * d15)));
        Estimate(w, 8, q[8], bits[2], q00 * (changeDc
            ? -d01 - (3 * d02) - (3 * d03) - (3 * d04) - d05 - d06 + (13 * d07) + (38 * d08) + (13 * d09) - d10 + d16 -
              (13 * d17) - (38 * d18) - (13 * d19) + d20 + d21 + (3 * d22) + (3 * d23) + (3 * d24) + d25
            : (-7 * d03) + (50 * d08) - (50 * d18) + (7 * d23)));
        Estimate(w, 16, q[16], bits[3], q00 * (changeDc
            ? d03 + (2 * d07) + (7 * d08) + (2 * d09) - (5 * d12) - (14 * d13) - (5 * d14) + (2 * d17) + (7 * d18) + (2 * d19) + d23
            : -d03 + (13 * d08) - (24 * d13) + (13 * d18) - d23));
        Estimate(w, 9, q[9], bits[4], q00 * (changeDc
            ? -d01 + d05 + (9 * d07) - (9 * d09) - (9 * d17) + (9 * d19) + d21 - d25
            : d10 + d16 - (10 * d17) + (10 * d19) - d02 - d20 + d22 - d24 + d04 - d06 + (10 * d07) - (10 * d09)));
        Estimate(w, 2, q[2], bits[5], q00 * (changeDc
            ? (2 * d07) - (5 * d08) + (2 * d09) + d11 + (7 * d12) - (14 * d13) + (7 * d14) + d15 + (2 * d17) - (5 * d18) + (2 * d19)
            : -d11 + (13 * d12) - (24 * d13) + (13 * d14) - d15));
        if (!changeDc)
        {
            return;
        }

        // With no AC data at all, AC03, AC12, AC21, AC30 and DC itself are interpolated too.
        Estimate(w, 3, q[3], bits[6], q00 * (d07 - d09 + (2 * d12) - (2 * d14) + d17 - d19));
        Estimate(w, 10, q[10], bits[7], q00 * (d07 - (3 * d08) + d09 - d17 + (3 * d18) - d19));
        Estimate(w, 17, q[17], bits[8], q00 * (d07 - d09 - (3 * d12) + (3 * d14) + d17 - d19));
        Estimate(w, 24, q[24], bits[9], q00 * (d07 + (2 * d08) + d09 - d17 - (2 * d18) - d19));
        long dcSum = q00 * ((-2 * d01) - (6 * d02) - (8 * d03) - (6 * d04) - (2 * d05) - (6 * d06) + (6 * d07) + (42 * d08) +
            (6 * d09) - (6 * d10) - (8 * d11) + (42 * d12) + (152 * d13) + (42 * d14) - (8 * d15) - (6 * d16) + (6 * d17) +
            (42 * d18) + (6 * d19) - (6 * d20) - (2 * d21) - (6 * d22) - (8 * d23) - (6 * d24) - (2 * d25));
        long dcPrediction = dcSum >= 0 ? ((q00 << 7) + dcSum) / (q00 << 8) : -(((q00 << 7) - dcSum) / (q00 << 8));
        w[0] = (short)dcPrediction;
    }

    private static void Estimate(short[] workspace, int position, long quantizer, int al, long sum)
    {
        if (al == 0 || workspace[position] != 0)
        {
            return;
        }

        long prediction = ((quantizer << 7) + Math.Abs(sum)) / (quantizer << 8);
        if (al > 0 && prediction >= 1L << al)
        {
            prediction = (1L << al) - 1;
        }

        workspace[position] = (short)(sum >= 0 ? prediction : -prediction);
    }

    private static bool HasOnlyDc(ref short block)
    {
        // Coefficients 1..63 all zero: compare the first word with DC masked out, then the rest in 8-byte steps.
        if ((Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<short, byte>(ref block)) & ~0xFFFFUL) != 0)
        {
            return false;
        }

        ref byte bytes = ref Unsafe.As<short, byte>(ref block);
        for (int offset = 8; offset < 128; offset += 8)
        {
            if (Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offset)) != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Upsamples and colour-converts the output rows of one MCU row (its neighbours must be in the rings).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ConvertMcuRow(int mcuRow)
    {
        int rowsPerMcuRow = 8 * _maxV;
        int first = mcuRow * rowsPerMcuRow;
        int last = Math.Min(_height, first + rowsPerMcuRow);
        int channels = _components.Length == 1 ? 1 : 3;
        int outputStride = _width * channels;
        bool turned = AppliedOrientation != 1;
        Span<byte> pixels = turned ? _band : _pixels;
        for (int y = first; y < last; y++)
        {
            Span<byte> output = pixels.Slice((turned ? y - first : y) * outputStride, outputStride);
            switch (_colorSpace)
            {
                case JpegColorSpace.Grayscale:
                    UpsampledRow(0, y).CopyTo(output);
                    break;
                case JpegColorSpace.YCbCr:
                    JpegColorConverter.YCbCrToRgb(UpsampledRow(0, y), UpsampledRow(1, y), UpsampledRow(2, y), output, _width);
                    break;
                case JpegColorSpace.Rgb:
                    JpegColorConverter.Interleave(UpsampledRow(0, y), UpsampledRow(1, y), UpsampledRow(2, y), output, _width);
                    break;
                case JpegColorSpace.Cmyk:
                    JpegColorConverter.CmykToRgb(UpsampledRow(0, y), UpsampledRow(1, y), UpsampledRow(2, y), UpsampledRow(3, y), output, _width);
                    break;
                default:
                    JpegColorConverter.YcckToRgb(UpsampledRow(0, y), UpsampledRow(1, y), UpsampledRow(2, y), UpsampledRow(3, y), output, _width);
                    break;
            }
        }

        if (turned)
        {
            JpegExif.CopyBandOriented(_band, first, last - first, _width, _height, channels, AppliedOrientation, _pixels);
        }
    }

    /// <summary>Component <paramref name="index"/>'s samples for output row <paramref name="y"/>, at full resolution (at least the image width).</summary>
    private ReadOnlySpan<byte> UpsampledRow(int index, int y)
    {
        JpegComponent component = _components[index];
        byte[] samples = component.Samples;
        int stride = component.SampleStride;
        int width = component.Width;
        byte[] output = _upsampledRows[index];
        switch (_upsampleMethods[index])
        {
            case JpegUpsampleMethod.None:
                return samples.AsSpan(component.RowOffset(y), _width);

            case JpegUpsampleMethod.H2V1Fancy:
                JpegUpsampler.H2V1Fancy(samples.AsSpan(component.RowOffset(y), stride), width, _scratch, output);
                return output;

            case JpegUpsampleMethod.H1V2Fancy:
            case JpegUpsampleMethod.H2V2Fancy:
            {
                // Output row y sits between input rows y/2 and y/2 ∓ 1: nearer is y/2, further is the one above
                // for even rows and below for odd rows (clamped at the edges, as libjpeg's context rows are).
                int near = y >> 1;
                int far = (y & 1) == 0 ? near - 1 : near + 1;
                ReadOnlySpan<byte> nearRow = samples.AsSpan(component.RowOffset(near), stride);
                ReadOnlySpan<byte> farRow = samples.AsSpan(component.RowOffset(far), stride);
                if (_upsampleMethods[index] == JpegUpsampleMethod.H1V2Fancy)
                {
                    JpegUpsampler.H1V2Fancy(nearRow, farRow, width, H1V2Bias(y), output);
                }
                else
                {
                    JpegUpsampler.H2V2Fancy(nearRow, farRow, width, _scratch, output);
                }

                return output;
            }

            case JpegUpsampleMethod.Replicate:
            {
                int factorX = _maxH / component.HorizontalFactor;
                int factorY = _maxV / component.VerticalFactor;
                ReadOnlySpan<byte> row = samples.AsSpan(component.RowOffset(y / factorY), stride);
                if (factorX == 1)
                {
                    return row;
                }

                JpegUpsampler.Replicate(row, width, factorX, output);
                return output;
            }

            default:
            {
                int row = (int)((long)y * component.VerticalFactor / _maxV);
                JpegUpsampler.Nearest(samples.AsSpan(component.RowOffset(row), stride), component.HorizontalFactor, _maxH, output, _width);
                return output;
            }
        }
    }

    /// <summary>libjpeg-turbo 2.1's h1v2 filter rounds with +1 for the upper and +2 for the lower output row.</summary>
    private static int H1V2Bias(int y) => (y & 1) == 0 ? 1 : 2;
}
