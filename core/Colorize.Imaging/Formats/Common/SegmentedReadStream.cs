namespace Colorize.Imaging.Formats.Common;

/// <summary>
/// A read-only stream over pieces of one in-memory buffer, read back to back: the IDAT chunks of a PNG or the
/// strips of a TIFF fed to a decompressor without copying them together first.
/// </summary>
internal sealed class SegmentedReadStream(ReadOnlyMemory<byte> data, IReadOnlyList<(int Offset, int Length)> segments) : Stream
{
    private int _segment;
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_segment < segments.Count)
        {
            (int start, int length) = segments[_segment];
            int available = length - _position;
            if (available > 0)
            {
                int n = Math.Min(available, buffer.Length);
                data.Span.Slice(start + _position, n).CopyTo(buffer);
                _position += n;
                return n;
            }

            _segment++;
            _position = 0;
        }

        return 0;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
