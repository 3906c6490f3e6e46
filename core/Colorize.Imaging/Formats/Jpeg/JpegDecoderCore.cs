using Colorize.Abstractions;

namespace Colorize.Imaging.Formats.Jpeg;

/// <summary>
/// Decodes one JPEG file: walks the markers, decodes the scans, and turns the samples into interleaved pixels.
/// One instance per file; not thread-safe. Behaves like libjpeg-turbo's <c>djpeg</c> with default settings
/// (islow IDCT, fancy upsampling) so that pixels match it, and like libjpeg in what it tolerates: garbage
/// between markers, missing or corrupt restart markers, truncated scans (the rest of the image is left grey).
/// </summary>
internal sealed partial class JpegDecoderCore
{
    /// <summary>More scans than this is a hostile file (a real progressive JPEG has about ten).</summary>
    private const int MaxScans = 1000;

    private const string FormatName = "JPEG";

    private readonly DecoderOptions _options;
    private readonly int[]?[] _quantizationTables = new int[]?[4];
    private readonly HuffmanDecodingTable?[] _dcTables = new HuffmanDecodingTable?[4];
    private readonly HuffmanDecodingTable?[] _acTables = new HuffmanDecodingTable?[4];
    private JpegComponent[] _components = [];
    private int _restartInterval;
    private bool _frameSeen;
    private bool _progressive;
    private bool _sawJfif;
    private bool _sawAdobe;
    private int _adobeTransform;
    private int _exifOrientation = 1;
    private int _width;
    private int _height;
    private int _maxH;
    private int _maxV;
    private int _mcusPerLine;
    private int _mcuRows;
    private int _scanCount;
    private bool _coefficientsBuffered;
    private bool _imageComplete;
    private JpegColorSpace _colorSpace;
    private byte[]? _pixels;

    /// <summary>Creates a decoder for one file with the given limits.</summary>
    public JpegDecoderCore(DecoderOptions options)
    {
        _options = options;
    }

    /// <summary>Width of the stored image (before EXIF orientation).</summary>
    public int Width => _width;

    /// <summary>Height of the stored image (before EXIF orientation).</summary>
    public int Height => _height;

    /// <summary>The EXIF orientation tag (1..8; 1 when absent or invalid).</summary>
    public int ExifOrientation => _exifOrientation;

    /// <summary>Whether the frame is progressive.</summary>
    public bool IsProgressive => _progressive;

    /// <summary>The number of components in the frame.</summary>
    public int ComponentCount => _components.Length;

    /// <summary>The pixel format the decoder produces: Gray8 for one component, Rgb24 otherwise.</summary>
    public PixelFormat OutputFormat => _components.Length == 1 ? PixelFormat.Gray8 : PixelFormat.Rgb24;

    /// <summary>The colour space the components are read as (valid after the first scan header or <see cref="Identify"/>).</summary>
    public JpegColorSpace ColorSpace => _colorSpace;

    /// <summary>Whether the data ran out (or hit a marker) inside a scan, so part of the image is blank.</summary>
    public bool IsTruncated { get; private set; }

    /// <summary>Reads the markers up to the first scan: size, components, EXIF orientation. Checks the limits.</summary>
    public void Identify(ReadOnlySpan<byte> data)
    {
        int position = ExpectStartOfImage(data);
        while (true)
        {
            int marker = NextMarker(data, ref position);
            if (marker < 0)
            {
                break;
            }

            if (marker == JpegConstants.Sos || marker == JpegConstants.Eoi)
            {
                break;
            }

            position = ReadMarkerSegment(data, marker, position);
        }

        if (!_frameSeen)
        {
            throw new ImageFormatException("The JPEG file has no frame header (SOF marker); it is truncated or not a JPEG image.");
        }

        _colorSpace = DecideColorSpace();
    }

    /// <summary>Decodes the whole image into interleaved pixels in the stored orientation (Gray8 or Rgb24, rows packed).</summary>
    public byte[] Decode(ReadOnlySpan<byte> data)
    {
        int position = ExpectStartOfImage(data);
        while (!_imageComplete)
        {
            int marker = NextMarker(data, ref position);
            if (marker < 0 || marker == JpegConstants.Eoi)
            {
                _sawEndOfImage = marker == JpegConstants.Eoi;
                _dataEnded = marker < 0;
                break;
            }

            if (_scanCount > 0 && !SegmentFits(data, position, marker))
            {
                // The file ends inside a segment after some image data: show what there is, as a viewer would.
                IsTruncated = true;
                _dataEnded = true;
                break;
            }

            if (marker == JpegConstants.Sos)
            {
                position = StartScan(data, position);
            }
            else
            {
                position = ReadMarkerSegment(data, marker, position);
            }
        }

        if (!_frameSeen)
        {
            throw new ImageFormatException("The JPEG file has no frame header (SOF marker); it is truncated or not a JPEG image.");
        }

        if (_scanCount == 0)
        {
            throw new ImageFormatException("The JPEG file has no image data (no scan); it is truncated.");
        }

        // A single-scan sequential image stops reading at its last MCU; the file ended if nothing follows.
        _dataEnded |= _imageComplete && position + 1 >= data.Length;
        if (_components.Any(c => c.Quantization is null))
        {
            // A component no scan carried (the file ended between the scans of a multi-scan image): every row lacks it.
            MarkDamaged(0);
        }

        if (!_imageComplete)
        {
            // Progressive or multi-scan: every scan has been read into the coefficient buffers (or the file
            // ended early, as libjpeg tolerates); now transform and convert the whole image.
            if (!_coefficientsBuffered)
            {
                // A sequential file whose single full scan ended early was still output in full; nothing more to do.
                // Only a multi-scan sequential file gets here without buffers, which AllocateForScan prevents.
                throw new InvalidOperationException("Coefficient buffers missing.");
            }

            OutputFromCoefficients();
        }

        return _pixels!;
    }

    private static int ExpectStartOfImage(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2 || data[0] != JpegConstants.MarkerPrefix || data[1] != JpegConstants.Soi)
        {
            throw new ImageFormatException("The data is not a JPEG image (it does not start with the SOI marker FF D8).");
        }

        return 2;
    }

    /// <summary>
    /// Finds the next marker at <paramref name="position"/>, skipping garbage and fill bytes as libjpeg does,
    /// and leaves <paramref name="position"/> just after the marker code. Returns -1 at the end of the data.
    /// </summary>
    private static int NextMarker(ReadOnlySpan<byte> data, ref int position)
    {
        while (true)
        {
            while (position < data.Length && data[position] != 0xFF)
            {
                position++;
            }

            while (position < data.Length && data[position] == 0xFF)
            {
                position++;
            }

            if (position >= data.Length)
            {
                return -1;
            }

            int code = data[position++];
            if (code != 0)
            {
                return code;
            }

            // FF 00 outside a scan is garbage; keep looking.
        }
    }

    /// <summary>Whether the segment of a marker that has one is complete in <paramref name="data"/>.</summary>
    private static bool SegmentFits(ReadOnlySpan<byte> data, int position, int marker)
    {
        bool hasLength = marker is not ((>= JpegConstants.Rst0 and <= JpegConstants.Rst7) or 0x01 or JpegConstants.Soi);
        return !hasLength || (position + 2 <= data.Length && position + ((data[position] << 8) | data[position + 1]) <= data.Length);
    }

    /// <summary>Reads a segment's length field and returns the segment's payload.</summary>
    private static ReadOnlySpan<byte> ReadSegment(ReadOnlySpan<byte> data, int position, int marker, out int next)
    {
        if (position + 2 > data.Length)
        {
            throw Truncated(marker);
        }

        int length = (data[position] << 8) | data[position + 1];
        if (length < 2)
        {
            throw new ImageFormatException($"The JPEG file has a corrupt {MarkerName(marker)} segment (its length is {length}).");
        }

        if (position + length > data.Length)
        {
            throw Truncated(marker);
        }

        next = position + length;
        return data.Slice(position + 2, length - 2);
    }

    private static ImageFormatException Truncated(int marker) =>
        new($"The JPEG file ends inside its {MarkerName(marker)} segment; it is truncated.");

    private static string MarkerName(int marker) => marker switch
    {
        >= 0xC0 and <= 0xCF and not JpegConstants.Dht and not 0xC8 and not JpegConstants.Dac => $"SOF{marker - 0xC0}",
        JpegConstants.Dht => "DHT",
        JpegConstants.Dac => "DAC",
        JpegConstants.Sos => "SOS",
        JpegConstants.Dqt => "DQT",
        JpegConstants.Dri => "DRI",
        JpegConstants.Dnl => "DNL",
        JpegConstants.Com => "COM",
        >= 0xE0 and <= 0xEF => $"APP{marker - 0xE0}",
        _ => $"0x{marker:X2} marker",
    };

    /// <summary>Handles one marker other than SOS/EOI; returns the position after its segment.</summary>
    private int ReadMarkerSegment(ReadOnlySpan<byte> data, int marker, int position)
    {
        switch (marker)
        {
            case JpegConstants.Sof0:
            case JpegConstants.Sof1:
            case JpegConstants.Sof2:
            {
                ReadOnlySpan<byte> segment = ReadSegment(data, position, marker, out int next);
                ReadFrameHeader(segment, marker == JpegConstants.Sof2);
                return next;
            }

            case 0xC9:
            case 0xCA:
            case 0xCB:
            case 0xCD:
            case 0xCE:
            case 0xCF:
                throw new ImageFormatException(
                    $"The JPEG file uses arithmetic coding ({MarkerName(marker)}), which is not supported; re-save it with Huffman coding.");

            case JpegConstants.Sof3:
            case 0xC5:
            case 0xC6:
            case 0xC7:
                throw new ImageFormatException(
                    $"The JPEG file is lossless or hierarchical ({MarkerName(marker)}), which is not supported; only baseline and progressive JPEG are.");

            case JpegConstants.Dht:
                ReadHuffmanTables(ReadSegment(data, position, marker, out int afterDht));
                return afterDht;

            case JpegConstants.Dqt:
                ReadQuantizationTables(ReadSegment(data, position, marker, out int afterDqt));
                return afterDqt;

            case JpegConstants.Dri:
            {
                ReadOnlySpan<byte> segment = ReadSegment(data, position, marker, out int next);
                if (segment.Length < 2)
                {
                    throw new ImageFormatException("The JPEG file has a corrupt DRI segment (too short).");
                }

                _restartInterval = (segment[0] << 8) | segment[1];
                return next;
            }

            case JpegConstants.App0:
            {
                ReadOnlySpan<byte> segment = ReadSegment(data, position, marker, out int next);
                if (segment.StartsWith("JFIF\0"u8))
                {
                    _sawJfif = true;
                }

                return next;
            }

            case JpegConstants.App1:
            {
                ReadOnlySpan<byte> segment = ReadSegment(data, position, marker, out int next);
                if (_exifOrientation == 1 && JpegExif.TryReadOrientation(segment, out int orientation))
                {
                    _exifOrientation = orientation;
                }

                return next;
            }

            case JpegConstants.App14:
            {
                ReadOnlySpan<byte> segment = ReadSegment(data, position, marker, out int next);
                if (segment.Length >= 12 && segment.StartsWith("Adobe"u8))
                {
                    _sawAdobe = true;
                    _adobeTransform = segment[11];
                }

                return next;
            }

            case >= JpegConstants.Rst0 and <= JpegConstants.Rst7:
            case 0x01:
                // Stray restart markers outside a scan and TEM carry no segment; libjpeg skips them.
                return position;

            case JpegConstants.Soi:
                throw new ImageFormatException("The JPEG file has a second SOI marker inside the image.");

            default:
                if (marker < 0xC0)
                {
                    throw new ImageFormatException($"The JPEG file has an unknown marker 0x{marker:X2}; it is corrupt.");
                }

                // APPn, COM, DNL, JPGn and other segments this decoder does not need: skip by their length.
                ReadSegment(data, position, marker, out int afterOther);
                return afterOther;
        }
    }

    private void ReadFrameHeader(ReadOnlySpan<byte> segment, bool progressive)
    {
        if (_frameSeen)
        {
            throw new ImageFormatException("The JPEG file has more than one frame header (SOF marker).");
        }

        if (segment.Length < 6)
        {
            throw new ImageFormatException("The JPEG file has a corrupt frame header (SOF segment too short).");
        }

        int precision = segment[0];
        int height = (segment[1] << 8) | segment[2];
        int width = (segment[3] << 8) | segment[4];
        int count = segment[5];
        if (precision != 8)
        {
            throw new ImageFormatException(
                $"The JPEG file has {precision}-bit samples; only 8-bit JPEG is supported.");
        }

        if (height == 0)
        {
            throw new ImageFormatException(
                "The JPEG file gives its height in a DNL marker after the scan, which is not supported.");
        }

        if (width == 0)
        {
            throw new ImageFormatException("The JPEG file has a width of 0 in its frame header.");
        }

        if (count != 1 && count != 3 && count != 4)
        {
            throw new ImageFormatException(
                $"The JPEG file has {count} colour components; only 1 (grey), 3 (YCbCr or RGB) and 4 (CMYK or YCCK) are supported.");
        }

        if (segment.Length < 6 + (3 * count))
        {
            throw new ImageFormatException("The JPEG file has a corrupt frame header (SOF segment too short for its components).");
        }

        var components = new JpegComponent[count];
        for (int i = 0; i < count; i++)
        {
            byte id = segment[6 + (3 * i)];
            int h = segment[7 + (3 * i)] >> 4;
            int v = segment[7 + (3 * i)] & 15;
            int table = segment[8 + (3 * i)];
            if (h < 1 || h > 4 || v < 1 || v > 4)
            {
                throw new ImageFormatException($"The JPEG file has invalid sampling factors {h}x{v} for component {i + 1}.");
            }

            if (table > 3)
            {
                throw new ImageFormatException($"The JPEG file refers to quantisation table {table}; only 0..3 exist.");
            }

            for (int j = 0; j < i; j++)
            {
                if (components[j].Id == id)
                {
                    throw new ImageFormatException($"The JPEG file has two components with the same identifier {id}.");
                }
            }

            components[i] = new JpegComponent(i, id, h, v, table);
        }

        if (count == 1)
        {
            // A lone component is always coded non-interleaved, one block per MCU: its factors mean nothing.
            components[0].HorizontalFactor = 1;
            components[0].VerticalFactor = 1;
        }

        _options.EnsureWithinLimits(width, height, count == 1 ? PixelFormat.Gray8 : PixelFormat.Rgb24, FormatName);

        _frameSeen = true;
        _progressive = progressive;
        _width = width;
        _height = height;
        _components = components;
        _maxH = components.Max(c => c.HorizontalFactor);
        _maxV = components.Max(c => c.VerticalFactor);
        _mcusPerLine = DivideCeiling(width, 8 * _maxH);
        _mcuRows = DivideCeiling(height, 8 * _maxV);
        foreach (JpegComponent component in components)
        {
            component.Width = DivideCeiling(width * component.HorizontalFactor, _maxH);
            component.Height = DivideCeiling(height * component.VerticalFactor, _maxV);
            component.BlocksWide = DivideCeiling(component.Width, 8);
            component.BlocksHigh = DivideCeiling(component.Height, 8);
            component.BlocksWideAllocated = _mcusPerLine * component.HorizontalFactor;
            component.BlocksHighAllocated = _mcuRows * component.VerticalFactor;
        }
    }

    private static int DivideCeiling(int value, int divisor) => (int)(((long)value + divisor - 1) / divisor);

    private void ReadQuantizationTables(ReadOnlySpan<byte> segment)
    {
        ReadOnlySpan<byte> zigzag = JpegConstants.ZigzagToNatural;
        while (segment.Length > 0)
        {
            int precision = segment[0] >> 4;
            int id = segment[0] & 15;
            if (id > 3)
            {
                throw new ImageFormatException($"The JPEG file defines quantisation table {id}; only 0..3 exist.");
            }

            if (precision > 1)
            {
                throw new ImageFormatException("The JPEG file has a corrupt quantisation table (unknown precision).");
            }

            int size = precision == 0 ? 64 : 128;
            if (segment.Length < 1 + size)
            {
                throw new ImageFormatException("The JPEG file has a corrupt DQT segment (a table is cut short).");
            }

            var table = new int[64];
            for (int i = 0; i < 64; i++)
            {
                table[zigzag[i]] = precision == 0 ? segment[1 + i] : (segment[1 + (2 * i)] << 8) | segment[2 + (2 * i)];
            }

            _quantizationTables[id] = table;
            segment = segment[(1 + size)..];
        }
    }

    private void ReadHuffmanTables(ReadOnlySpan<byte> segment)
    {
        while (segment.Length > 0)
        {
            if (segment.Length < 17)
            {
                throw new ImageFormatException("The JPEG file has a corrupt Huffman table segment (DHT): a table is cut short.");
            }

            int tableClass = segment[0] >> 4;
            int id = segment[0] & 15;
            if (tableClass > 1 || id > 3)
            {
                throw new ImageFormatException($"The JPEG file defines an invalid Huffman table (class {tableClass}, number {id}).");
            }

            ReadOnlySpan<byte> counts = segment.Slice(1, 16);
            int total = 0;
            foreach (byte count in counts)
            {
                total += count;
            }

            if (total > 256 || segment.Length < 17 + total)
            {
                throw new ImageFormatException("The JPEG file has a corrupt Huffman table segment (DHT): a table is cut short or has more than 256 codes.");
            }

            var table = new HuffmanDecodingTable(counts, segment.Slice(17, total), tableClass == 0);
            if (tableClass == 0)
            {
                _dcTables[id] = table;
            }
            else
            {
                _acTables[id] = table;
            }

            segment = segment[(17 + total)..];
        }
    }

    /// <summary>libjpeg's <c>default_decompress_parms</c>: JFIF, then Adobe's transform flag, then the component ids.</summary>
    private JpegColorSpace DecideColorSpace()
    {
        switch (_components.Length)
        {
            case 1:
                return JpegColorSpace.Grayscale;
            case 3:
                if (_sawJfif)
                {
                    return JpegColorSpace.YCbCr;
                }

                if (_sawAdobe)
                {
                    return _adobeTransform == 0 ? JpegColorSpace.Rgb : JpegColorSpace.YCbCr;
                }

                return _components[0].Id == 'R' && _components[1].Id == 'G' && _components[2].Id == 'B'
                    ? JpegColorSpace.Rgb
                    : JpegColorSpace.YCbCr;
            default:
                if (_sawAdobe)
                {
                    return _adobeTransform == 0 ? JpegColorSpace.Cmyk : JpegColorSpace.Ycck;
                }

                return JpegColorSpace.Cmyk;
        }
    }
}
