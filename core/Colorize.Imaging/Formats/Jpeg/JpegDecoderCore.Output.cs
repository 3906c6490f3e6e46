using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>From samples to pixels: the sample rings, the inverse DCT of buffered coefficients, upsampling and colour conversion.</summary>
internal sealed partial class JpegDecoderCore
{
    private JpegUpsampleMethod[] _upsampleMethods = [];
    private byte[][] _upsampledRows = [];
    private ushort[] _scratch = [];

    private void AllocateOutput()
    {
        if (_pixels is null)
        {
            long size = (long)_width * _height * (_components.Length == 1 ? 1 : 3);
            _pixels = GC.AllocateUninitializedArray<byte>((int)size);
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
        for (int mcuRow = 0; mcuRow < _mcuRows; mcuRow++)
        {
            foreach (JpegComponent component in _components)
            {
                TransformMcuRow(component, mcuRow);
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
        Span<byte> pixels = _pixels;
        for (int y = first; y < last; y++)
        {
            Span<byte> output = pixels.Slice(y * outputStride, outputStride);
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
