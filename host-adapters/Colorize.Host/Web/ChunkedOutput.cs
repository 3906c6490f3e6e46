namespace Colorize.Host.Web;

/// <summary>
/// A write-only stream that collects what an encoder writes in 1 MiB chunks and hands it over as one array of the exact
/// length. A <see cref="MemoryStream"/> doubles its buffer as it grows and <see cref="MemoryStream.ToArray"/> copies it
/// once more: a 70 MB PNG result briefly took about 260 MB (64 + 128 MB while growing, then the copy); here it takes
/// the chunks and the final array, about twice the result.
/// </summary>
internal sealed class ChunkedOutput : Stream
{
    private const int ChunkSize = 1 << 20;
    private readonly List<byte[]> _chunks = [];
    private int _used = ChunkSize;
    private long _length;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    /// <summary>Everything written, in one array of exactly <see cref="Length"/> bytes; the chunks are let go.</summary>
    public byte[] ToArray()
    {
        byte[] result = GC.AllocateUninitializedArray<byte>(checked((int)_length));
        int offset = 0;
        foreach (byte[] chunk in _chunks)
        {
            int count = (int)Math.Min(chunk.Length, _length - offset);
            chunk.AsSpan(0, count).CopyTo(result.AsSpan(offset));
            offset += count;
        }

        _chunks.Clear();
        return result;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            if (_used == ChunkSize)
            {
                _chunks.Add(GC.AllocateUninitializedArray<byte>(ChunkSize));
                _used = 0;
            }

            int n = Math.Min(buffer.Length, ChunkSize - _used);
            buffer[..n].CopyTo(_chunks[^1].AsSpan(_used));
            _used += n;
            _length += n;
            buffer = buffer[n..];
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
