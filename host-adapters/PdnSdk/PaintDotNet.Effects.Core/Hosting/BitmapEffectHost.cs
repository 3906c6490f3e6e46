using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PaintDotNet.Effects;
using PaintDotNet.Imaging;
using PaintDotNet.Rendering;

namespace PdnSdk.Hosting;

/// <summary>
/// A managed Bgra32 (straight alpha) bitmap in pinned memory: a layer, or a tile buffer handed to an effect.
/// Stub-only (not part of Paint.NET's API).
/// </summary>
public sealed class Bgra32Bitmap
{
    private readonly ColorBgra32[] _pixels;

    /// <summary>Creates a bitmap of transparent black pixels.</summary>
    public Bgra32Bitmap(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        // Pinned, so the effect can hold a raw pointer for as long as a lock lives.
        _pixels = GC.AllocateArray<ColorBgra32>(checked(width * height), pinned: true);
    }

    /// <summary>The width in pixels.</summary>
    public int Width { get; }

    /// <summary>The height in pixels.</summary>
    public int Height { get; }

    /// <summary>The size in pixels.</summary>
    public SizeInt32 Size => new(Width, Height);

    /// <summary>Bytes from one row to the next.</summary>
    public int Stride => Width * 4;

    /// <summary>A pixel.</summary>
    public ColorBgra32 this[int x, int y]
    {
        get => _pixels[Index(x, y)];
        set => _pixels[Index(x, y)] = value;
    }

    /// <summary>One row of pixels.</summary>
    public Span<ColorBgra32> GetRow(int y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        return _pixels.AsSpan(y * Width, Width);
    }

    /// <summary>Every pixel, row after row.</summary>
    public Span<ColorBgra32> Pixels => _pixels;

    internal unsafe ColorBgra32* Pointer => (ColorBgra32*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_pixels));

    private int Index(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
        {
            throw new ArgumentOutOfRangeException(nameof(x), $"({x}, {y}) is outside {Width}x{Height}.");
        }

        return (y * Width) + x;
    }
}

/// <summary>A layer of a stub document: its name, pixels and visibility. Stub-only (not part of Paint.NET's API).</summary>
/// <param name="Name">The name shown in the Layers window.</param>
/// <param name="Bitmap">The pixels.</param>
/// <param name="Visible">Whether the layer is shown.</param>
public sealed record Bgra32Layer(string Name, Bgra32Bitmap Bitmap, bool Visible = true);

/// <summary>
/// Drives a <see cref="BitmapEffect"/> the way Paint.NET's renderer does: it gives the effect its environment (the
/// source layer), sets tokens with a fresh cancellation signal each, renders areas into tile buffers, and cancels.
/// Scheduling (tiles, threads) and selection clipping are the caller's job, as they are Paint.NET's.
/// Stub-only (not part of Paint.NET's API).
/// </summary>
public sealed class BitmapEffectHost : IDisposable
{
    private readonly BitmapEffect _effect;
    private readonly Bgra32Bitmap _source;
    private readonly Lock _gate = new();
    private CancellationTokenSource _cancellation = new();

    /// <summary>Initializes <paramref name="effect"/> on <paramref name="source"/>, as Paint.NET does before showing the dialog.</summary>
    public BitmapEffectHost(BitmapEffect effect, Bgra32Bitmap source, IServiceProvider? services = null)
        : this(effect, [new Bgra32Layer("Background", source)], 0, services)
    {
    }

    /// <summary>
    /// Initializes <paramref name="effect"/> on a document of several layers (bottom first, all of one size), rendering
    /// the layer at <paramref name="sourceLayerIndex"/>; the others can be read through the environment's document.
    /// </summary>
    public BitmapEffectHost(BitmapEffect effect, IReadOnlyList<Bgra32Layer> layers, int sourceLayerIndex, IServiceProvider? services = null)
    {
        ArgumentNullException.ThrowIfNull(effect);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentOutOfRangeException.ThrowIfNegative(sourceLayerIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(sourceLayerIndex, layers.Count);
        if (layers.Any(l => l.Bitmap.Size != layers[0].Bitmap.Size))
        {
            throw new ArgumentException("Every layer of a document has the document's size.", nameof(layers));
        }

        _effect = effect;
        _source = layers[sourceLayerIndex].Bitmap;
        effect.HostSetCancellation(_cancellation.Token);
        effect.HostInitialize(new Environment(layers, sourceLayerIndex), services ?? new NoServices());
    }

    /// <summary>The effect's menu name.</summary>
    public string Name => _effect.Name;

    /// <summary>The effect's submenu.</summary>
    public string? SubmenuName => _effect.SubmenuName;

    /// <summary>The effect's options.</summary>
    public EffectOptionsBase Options => _effect.Options;

    /// <summary>The layer size.</summary>
    public SizeInt32 LayerSize => _source.Size;

    /// <summary>
    /// Calls <c>OnSetToken</c> with a copy of <paramref name="token"/> on the calling thread, under a new
    /// cancellation signal.
    /// </summary>
    public void SetToken(EffectConfigToken? token) => _effect.HostOnSetToken(PrepareToken(token));

    /// <summary>
    /// Calls <c>OnSetToken</c> with a copy of <paramref name="token"/> on a worker thread, as Paint.NET does. The new
    /// cancellation signal is in place when this returns, so a following <see cref="RequestCancel"/> reaches this token.
    /// </summary>
    public Task SetTokenOnWorkerThread(EffectConfigToken? token)
    {
        var copy = PrepareToken(token);
        return Task.Factory.StartNew(() => _effect.HostOnSetToken(copy), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Signals the current cancellation token, as Paint.NET does when the user changes a setting or cancels.</summary>
    public void RequestCancel()
    {
        lock (_gate)
        {
            _cancellation.Cancel();
        }
    }

    /// <summary>Whether the current cancellation token is signalled.</summary>
    public bool IsCancelRequested => _cancellation.IsCancellationRequested;

    /// <summary>
    /// Calls <c>OnRender</c> for <paramref name="bounds"/> (layer coordinates) with <paramref name="tile"/> as the output
    /// buffer, whose size must be the size of <paramref name="bounds"/>. Safe to call on several threads at once.
    /// </summary>
    public void Render(RectInt32 bounds, Bgra32Bitmap tile)
    {
        ArgumentNullException.ThrowIfNull(tile);
        if (!new RectInt32(0, 0, _source.Size).Contains(bounds) || bounds.IsEmpty)
        {
            throw new ArgumentOutOfRangeException(nameof(bounds), bounds, $"The area must be inside the {_source.Size} layer.");
        }

        if (tile.Size != bounds.Size)
        {
            throw new ArgumentException($"The tile is {tile.Size} but the area is {bounds.Size}.", nameof(tile));
        }

        _effect.HostOnRender(new Output(bounds, tile));
    }

    /// <summary>Disposes the effect, as Paint.NET does when the dialog closes.</summary>
    public void Dispose()
    {
        _effect.Dispose();
        _cancellation.Dispose();
    }

    private EffectConfigToken? PrepareToken(EffectConfigToken? token)
    {
        lock (_gate)
        {
            // A fresh signal per token; the previous source is left to the collector because the previous token's
            // work may still be observing it.
            _cancellation = new CancellationTokenSource();
            _effect.HostSetCancellation(_cancellation.Token);
        }

        return (EffectConfigToken?)token?.Clone();
    }

    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }

    private sealed class Environment(IReadOnlyList<Bgra32Layer> layers, int sourceLayerIndex) : IBitmapEffectEnvironment, ISourceBitmapProvider
    {
        private readonly Document _document = new(layers);

        public IBitmapEffectDocumentInfo Document => _document;

        IEffectDocumentInfo IEffectEnvironment.Document => _document;

        public int SourceLayerIndex => sourceLayerIndex;

        public IEffectInputBitmap GetSourceBitmap(in PixelFormat pixelFormat) => Bitmap(layers[sourceLayerIndex].Bitmap, pixelFormat);

        public void Dispose()
        {
        }

        internal static SourceBitmap Bitmap(Bgra32Bitmap bitmap, in PixelFormat pixelFormat) =>
            pixelFormat == PixelFormats.Bgra32
                ? new SourceBitmap(bitmap)
                : throw new NotSupportedException($"The stub provides layers as Bgra32 only, not {pixelFormat}.");
    }

    private sealed class Document(IReadOnlyList<Bgra32Layer> layers) : IBitmapEffectDocumentInfo
    {
        private readonly IReadOnlyList<IBitmapEffectLayerInfo> _layers = [.. layers.Select(l => new LayerInfo(l))];

        public IReadOnlyList<IBitmapEffectLayerInfo> Layers => _layers;

        IReadOnlyList<IEffectLayerInfo> IEffectDocumentInfo.Layers => _layers;

        public SizeInt32 Size => layers[0].Bitmap.Size;

        public void Dispose()
        {
        }
    }

    private sealed class LayerInfo(Bgra32Layer layer) : IBitmapEffectLayerInfo
    {
        public string Name => layer.Name;

        public bool Visible => layer.Visible;

        public IEffectInputBitmap GetBitmap(in PixelFormat pixelFormat) => Environment.Bitmap(layer.Bitmap, pixelFormat);
    }

    /// <summary>A handle on the source layer; disposing the handle does not dispose the layer (as in Paint.NET).</summary>
    private sealed class SourceBitmap(Bgra32Bitmap source) : IEffectInputBitmap<ColorBgra32>
    {
        private bool _disposed;

        public SizeInt32 Size => source.Size;

        public PixelFormat PixelFormat => PixelFormats.Bgra32;

        public unsafe void CopyPixels(void* pBuffer, int bufferStride, uint bufferSize, in RectInt32? srcRect)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RectInt32 rect = srcRect ?? new RectInt32(0, 0, source.Size);
            if (!new RectInt32(0, 0, source.Size).Contains(rect) || rect.IsEmpty)
            {
                throw new ArgumentOutOfRangeException(nameof(srcRect), rect, $"The area must be inside the {source.Size} bitmap.");
            }

            long rowBytes = rect.Width * 4L;
            if (pBuffer is null || bufferStride < rowBytes || ((long)(rect.Height - 1) * bufferStride) + rowBytes > bufferSize)
            {
                throw new ArgumentException("The buffer is too small for the area.", nameof(bufferSize));
            }

            for (int y = 0; y < rect.Height; y++)
            {
                source.GetRow(rect.Y + y).Slice(rect.X, rect.Width)
                    .CopyTo(new Span<ColorBgra32>((byte*)pBuffer + ((long)y * bufferStride), rect.Width));
            }
        }

        public void Dispose() => _disposed = true;
    }

    private sealed class Output(RectInt32 bounds, Bgra32Bitmap tile) : IBitmapEffectOutput
    {
        public RectInt32 Bounds => bounds;

        public IBitmapLock Lock(in PixelFormat pixelFormat) =>
            pixelFormat == PixelFormats.Bgra32
                ? new TileLock(tile)
                : throw new ArgumentException($"The output format is Bgra32; it was locked as {pixelFormat}.", nameof(pixelFormat));
    }

    private sealed unsafe class TileLock(Bgra32Bitmap tile) : IBitmapLock<ColorBgra32>
    {
        private bool _disposed;

        public ColorBgra32* Buffer
        {
            get
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return tile.Pointer;
            }
        }

        void* IBitmapLock.Buffer => Buffer;

        public uint BufferSize => (uint)(tile.Stride * tile.Height);

        public int BufferStride => tile.Stride;

        public PixelFormat PixelFormat => PixelFormats.Bgra32;

        public SizeInt32 Size => tile.Size;

        public void Dispose() => _disposed = true;
    }
}
