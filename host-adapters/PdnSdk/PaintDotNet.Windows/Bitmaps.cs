using PaintDotNet.Rendering;

namespace PaintDotNet.Imaging;

/// <summary>How a bitmap lock may be used.</summary>
[Flags]
public enum BitmapLockOptions
{
    /// <summary>The pixels are read.</summary>
    Read = 1,

    /// <summary>The pixels are written.</summary>
    Write = 2,

    /// <summary>The pixels are read and written.</summary>
    ReadWrite = Read | Write,
}

/// <summary>Something that can produce pixels on request (a layer, a scaler, a format converter…).</summary>
public interface IBitmapSource : IDisposable
{
    /// <summary>The size in pixels.</summary>
    SizeInt32 Size { get; }

    /// <summary>The format of the pixels <see cref="CopyPixels"/> writes.</summary>
    PixelFormat PixelFormat { get; }

    /// <summary>
    /// Copies the pixels of <paramref name="srcRect"/> (the whole bitmap when null) into the buffer, row after row
    /// <paramref name="bufferStride"/> bytes apart.
    /// </summary>
    /// <param name="pBuffer">Where the first row goes.</param>
    /// <param name="bufferStride">Bytes from one row to the next.</param>
    /// <param name="bufferSize">The size of the buffer in bytes; must hold every row.</param>
    /// <param name="srcRect">The area to copy, inside the bitmap; null for all of it.</param>
    unsafe void CopyPixels(void* pBuffer, int bufferStride, uint bufferSize, in RectInt32? srcRect);
}

/// <summary>A bitmap source whose pixels are of type <typeparamref name="TPixel"/>.</summary>
/// <typeparam name="TPixel">The pixel type.</typeparam>
public interface IBitmapSource<TPixel> : IBitmapSource
    where TPixel : unmanaged, INaturalPixelInfo
{
}

/// <summary>Direct access to a block of pixels until disposed.</summary>
public interface IBitmapLock : IDisposable
{
    /// <summary>The address of the first pixel of the first row.</summary>
    unsafe void* Buffer { get; }

    /// <summary>The number of bytes from <see cref="Buffer"/> that may be accessed.</summary>
    uint BufferSize { get; }

    /// <summary>Bytes from the start of one row to the start of the next.</summary>
    int BufferStride { get; }

    /// <summary>The format of the pixels.</summary>
    PixelFormat PixelFormat { get; }

    /// <summary>The size of the locked block in pixels.</summary>
    SizeInt32 Size { get; }
}

/// <summary>A bitmap lock on pixels of type <typeparamref name="TPixel"/>.</summary>
/// <typeparam name="TPixel">The pixel type.</typeparam>
public interface IBitmapLock<TPixel> : IBitmapLock
    where TPixel : unmanaged, INaturalPixelInfo
{
    /// <summary>The address of the first pixel of the first row.</summary>
    new unsafe TPixel* Buffer { get; }
}
