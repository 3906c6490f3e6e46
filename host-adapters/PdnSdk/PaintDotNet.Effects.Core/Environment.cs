using PaintDotNet.Imaging;
using PaintDotNet.Rendering;

namespace PaintDotNet.Effects;

/// <summary>What Paint.NET tells an effect about where it runs (the document, the layer, the selection…).</summary>
public interface IEffectEnvironment : IDisposable
{
    /// <summary>The document the effect runs on: its size and its layers.</summary>
    IEffectDocumentInfo Document { get; }

    /// <summary>The index in <see cref="IEffectDocumentInfo.Layers"/> of the layer the effect renders (0 is the bottom layer).</summary>
    int SourceLayerIndex { get; }
}

/// <summary>The environment of a <see cref="BitmapEffect"/>.</summary>
public interface IBitmapEffectEnvironment : IEffectEnvironment
{
    /// <summary>The document, whose layers can be read as bitmaps.</summary>
    new IBitmapEffectDocumentInfo Document { get; }
}

/// <summary>The document an effect runs on.</summary>
public interface IEffectDocumentInfo : IDisposable
{
    /// <summary>The layers, bottom first.</summary>
    IReadOnlyList<IEffectLayerInfo> Layers { get; }

    /// <summary>The document's size in pixels (every layer has it).</summary>
    SizeInt32 Size { get; }
}

/// <summary>The document of a <see cref="BitmapEffect"/>.</summary>
public interface IBitmapEffectDocumentInfo : IEffectDocumentInfo
{
    /// <summary>The layers, bottom first.</summary>
    new IReadOnlyList<IBitmapEffectLayerInfo> Layers { get; }
}

/// <summary>One layer of the document.</summary>
public interface IEffectLayerInfo
{
    /// <summary>The layer's name, as in the Layers window.</summary>
    string Name { get; }

    /// <summary>Whether the layer is shown.</summary>
    bool Visible { get; }

    /// <summary>The layer's pixels in the requested format; visibility and opacity are not applied.</summary>
    IEffectInputBitmap GetBitmap(in PixelFormat pixelFormat);
}

/// <summary>A layer of a <see cref="BitmapEffect"/>'s document.</summary>
public interface IBitmapEffectLayerInfo : IEffectLayerInfo
{
}

/// <summary>An input image of an effect (the source layer).</summary>
public interface IEffectInputBitmap : IBitmapSource
{
}

/// <summary>An input image of an effect with pixels of type <typeparamref name="TPixel"/>.</summary>
/// <typeparam name="TPixel">The pixel type.</typeparam>
public interface IEffectInputBitmap<TPixel> : IEffectInputBitmap, IBitmapSource<TPixel>
    where TPixel : unmanaged, INaturalPixelInfo
{
}

/// <summary>
/// The area one <see cref="BitmapEffect.OnRender"/> call must fill, in layer coordinates, and its buffer. The pixel
/// format is Bgra32 unless the effect chose another in <c>OnInitializeRenderInfo</c>.
/// </summary>
public interface IBitmapEffectOutput
{
    /// <summary>The area to render, in layer coordinates; the locked buffer's (0, 0) is its top-left pixel.</summary>
    RectInt32 Bounds { get; }

    /// <summary>Locks the output buffer; the format must be the output's format.</summary>
    IBitmapLock Lock(in PixelFormat pixelFormat);
}

/// <summary>Typed access to an effect's output.</summary>
public static class BitmapEffectOutputExtensions
{
    /// <summary>Locks the output buffer as <typeparamref name="TPixel"/> pixels.</summary>
    public static IBitmapLock<TPixel> Lock<TPixel>(this IBitmapEffectOutput output)
        where TPixel : unmanaged, INaturalPixelInfo
    {
        ArgumentNullException.ThrowIfNull(output);
        return (IBitmapLock<TPixel>)output.Lock(PixelFormatOf<TPixel>.Value);
    }

    /// <summary>Locks the output buffer as Bgra32 (straight alpha) pixels.</summary>
    public static IBitmapLock<ColorBgra32> LockBgra32(this IBitmapEffectOutput output) => output.Lock<ColorBgra32>();
}

/// <summary>Access to the source layer.</summary>
public static class EffectEnvironmentExtensions
{
    /// <summary>The source layer in the given format.</summary>
    public static IEffectInputBitmap GetSourceBitmap(this IEffectEnvironment environment, in PixelFormat pixelFormat)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment is ISourceBitmapProvider provider
            ? provider.GetSourceBitmap(pixelFormat)
            : throw new NotSupportedException("This environment was not created by a Paint.NET host.");
    }

    /// <summary>The source layer as <typeparamref name="TPixel"/> pixels.</summary>
    public static IEffectInputBitmap<TPixel> GetSourceBitmap<TPixel>(this IEffectEnvironment environment)
        where TPixel : unmanaged, INaturalPixelInfo =>
        (IEffectInputBitmap<TPixel>)environment.GetSourceBitmap(PixelFormatOf<TPixel>.Value);

    /// <summary>The source layer as Bgra32 (straight alpha) pixels, the layer's own format.</summary>
    public static IEffectInputBitmap<ColorBgra32> GetSourceBitmapBgra32(this IEffectEnvironment environment) =>
        environment.GetSourceBitmap<ColorBgra32>();
}

/// <summary>Implemented by the host's environment (stub-internal).</summary>
internal interface ISourceBitmapProvider
{
    IEffectInputBitmap GetSourceBitmap(in PixelFormat pixelFormat);
}

/// <summary>The pixel format of a pixel type (the stub knows Bgra32 only).</summary>
internal static class PixelFormatOf<TPixel>
    where TPixel : unmanaged, INaturalPixelInfo
{
    public static PixelFormat Value => typeof(TPixel) == typeof(ColorBgra32)
        ? PixelFormats.Bgra32
        : throw new NotSupportedException($"The stub supports Bgra32 pixels only, not {typeof(TPixel).Name}.");
}
