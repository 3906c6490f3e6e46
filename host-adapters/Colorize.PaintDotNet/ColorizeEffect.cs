using Colorize.Abstractions;
using Colorize.Plugins;
using Colorize.Plugins.Packs;
using Microsoft.Extensions.DependencyInjection;
using PaintDotNet;
using PaintDotNet.Effects;
using PaintDotNet.Imaging;
using PaintDotNet.PropertySystem;
using PaintDotNet.Rendering;
using ColorizePixelFormat = Colorize.Abstractions.PixelFormat;

namespace Colorize.PaintDotNet;

/// <summary>
/// Effects &gt; Photo &gt; Colorize: colorizes the layer with a model pack. The network runs once per token, in
/// <see cref="OnSetToken"/>, over the whole layer (so a selection gets the colours the whole photo gives it, the
/// same bits the <c>colorize</c> command writes); <see cref="OnRender"/> only copies tiles of that result, and
/// Paint.NET clips them to the selection. The engine and the packs are found in this assembly's own folder
/// (<c>plugins/</c>, <c>packs/</c>) and in the user's Colorize pack store.
/// </summary>
[PluginSupportInfo<ColorizePluginSupportInfo>]
public sealed class ColorizeEffect : PropertyBasedBitmapEffect
{
    /// <summary>The menu name; Paint.NET adds the "..." of configurable effects itself.</summary>
    public const string EffectName = "Colorize";

    /// <summary>The largest render size the dialog offers (the engine accepts up to 8192, but the time grows with its square).</summary>
    public const int MaxRenderSize = 4096;

    /// <summary>The choice shown when no pack is found, so the dialog still opens and can say why.</summary>
    internal const string NoPackChoice = "(no model pack found)";

    private ServiceProvider? _colorize;
    private IColorizer? _colorizer;
    private string? _colorizerPack;
    private byte[]? _pixels;

    // Written by OnSetToken, read by OnRender on many threads; Paint.NET never runs the two at once, and a token's
    // result is only published once it is complete, so a render sees either nothing or a finished result.
    private volatile ColorizedLayer? _result;

    /// <summary>Creates the effect; Paint.NET calls this for its menu and again for each use.</summary>
    public ColorizeEffect()
        : base(EffectName, SubmenuNames.Photo, BitmapEffectOptionsFactory.Create() with { IsConfigurable = true })
    {
    }

    /// <summary>The folder holding this assembly (Paint.NET's <c>Effects\Colorize\</c>), not Paint.NET's own folder.</summary>
    public static string EffectFolder { get; } =
        Path.GetDirectoryName(typeof(ColorizeEffect).Assembly.Location) is { Length: > 0 } folder ? folder : AppContext.BaseDirectory;

    /// <summary>The names of the effect's properties, which are also the labels of Paint.NET's dialog.</summary>
    public static class PropertyNames
    {
        /// <summary>The model pack (a choice of <c>id@version</c> references).</summary>
        public const string Pack = "Model pack";

        /// <summary>The short side the network sees, in pixels; 0 uses the pack's default.</summary>
        public const string RenderSize = "Render size (0 = pack default)";

        /// <summary>Colour strength, 0..2.</summary>
        public const string Strength = "Colour strength";

        /// <summary>Whether the source's luminance is re-applied after gamut clamping.</summary>
        public const string KeepOriginalLuminance = "Keep original luminance";

        /// <summary>The layer whose painted pixels are colour hints, or <see cref="NoHintLayer"/>.</summary>
        public const string HintLayer = "Hint layer";
    }

    /// <summary>The hint layer choice that reads no hints (the default).</summary>
    public const string NoHintLayer = "none";

    /// <inheritdoc/>
    protected override PropertyCollection OnCreatePropertyCollection()
    {
        var store = ColorizeServices.GetRequiredService<PackStore>();
        var packs = store.List().Select(p => p.Reference).Distinct(StringComparer.Ordinal).ToList();
        int defaultIndex = store.TryResolve(null, out var defaultPack) ? Math.Max(0, packs.IndexOf(defaultPack.Reference)) : 0;
        object[] choices = packs.Count > 0 ? [.. packs] : [NoPackChoice];
        return new PropertyCollection(
        [
            new StaticListChoiceProperty(PropertyNames.Pack, choices, defaultIndex),
            new Int32Property(PropertyNames.RenderSize, 0, 0, MaxRenderSize),
            new DoubleProperty(PropertyNames.Strength, 1.0, 0.0, 2.0),
            new BooleanProperty(PropertyNames.KeepOriginalLuminance, true),
            new StaticListChoiceProperty(PropertyNames.HintLayer, [NoHintLayer, .. HintLayerChoices().Keys], 0),
        ]);
    }

    /// <summary>
    /// The document's other layers by their label in the dialog, "name (layer n)" with n counted from the bottom as in
    /// the Layers window: names alone may repeat, and the label must lead back to one layer when the token comes.
    /// </summary>
    private Dictionary<string, int> HintLayerChoices()
    {
        var layers = Environment.Document.Layers;
        var choices = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < layers.Count; i++)
        {
            if (i != Environment.SourceLayerIndex)
            {
                choices[$"{layers[i].Name} (layer {i + 1})"] = i;
            }
        }

        return choices;
    }

    /// <inheritdoc/>
    protected override void OnSetToken(PropertyBasedEffectConfigToken? newToken)
    {
        // Whatever happens below, the previous token's result is no longer the answer.
        _result = null;
        if (newToken is null)
        {
            return;
        }

        string pack = (string)newToken.GetProperty<StaticListChoiceProperty>(PropertyNames.Pack)!.Value;
        int renderSize = newToken.GetProperty<Int32Property>(PropertyNames.RenderSize)!.Value;
        var options = new ColorizeOptions
        {
            // The engine's smallest render size is 16; the slider's 1..15 mean "as small as possible".
            RenderSize = renderSize == 0 ? null : Math.Max(16, renderSize),
            Strength = (float)newToken.GetProperty<DoubleProperty>(PropertyNames.Strength)!.Value,
            KeepOriginalLuminance = newToken.GetProperty<BooleanProperty>(PropertyNames.KeepOriginalLuminance)!.Value,
        };

        try
        {
            var colorizer = GetColorizer(pack);
            CancellationToken.ThrowIfCancellationRequested();
            var layer = CopySourceLayer();
            CancellationToken.ThrowIfCancellationRequested();
            string hintLayer = (string)newToken.GetProperty<StaticListChoiceProperty>(PropertyNames.HintLayer)!.Value;
            if (HintLayerChoices().TryGetValue(hintLayer, out int hintIndex))
            {
                var hints = HintLayer.Read(Environment.Document.Layers[hintIndex], Environment.Document.Size, CancellationToken);
                if (hints.Count > 0 && !colorizer.SupportsHints)
                {
                    throw new InvalidOperationException(
                        $"The model pack {pack} does not take colour hints, so the hint layer '{hintLayer}' cannot be used; set Hint layer to '{NoHintLayer}' or choose a pack that takes hints.");
                }

                options = options with { Hints = hints };
            }

            // In place: the engine reads the source's luminance before it writes (IColorizer allows the same memory),
            // so the layer needs one copy, not two. Bgra32 with straight alpha is Paint.NET's layer format exactly.
            var buffer = new PixelBuffer(layer.Pixels, layer.Width, layer.Height, layer.Width * 4, ColorizePixelFormat.Bgra32);
            colorizer.Colorize(buffer, buffer, options, progress: null, CancellationToken);
            _result = layer;
        }
        catch (OperationCanceledException) when (IsCancelRequested)
        {
            // Paint.NET discards a cancelled token's output; _result stays null and the next token starts afresh
            // from a new copy of the layer, so the half-written buffer is never seen.
        }
    }

    /// <inheritdoc/>
    protected override unsafe void OnRender(IBitmapEffectOutput output)
    {
        var result = _result;
        if (result is null)
        {
            // Only a cancelled token has no result, and Paint.NET throws a cancelled render away.
            if (IsCancelRequested)
            {
                return;
            }

            throw new InvalidOperationException("Colorize has no result to render: OnSetToken did not complete.");
        }

        RectInt32 bounds = output.Bounds;
        using IBitmapLock<ColorBgra32> target = output.LockBgra32();
        int rowBytes = bounds.Width * 4;
        for (int y = 0; y < bounds.Height; y++)
        {
            if (IsCancelRequested)
            {
                return;
            }

            long offset = ((((long)bounds.Y + y) * result.Width) + bounds.X) * 4;
            result.Pixels.AsSpan((int)offset, rowBytes).CopyTo(new Span<byte>((byte*)target.Buffer + ((long)y * target.BufferStride), rowBytes));
        }
    }

    /// <inheritdoc/>
    protected override void OnDispose(bool disposing)
    {
        if (disposing)
        {
            _result = null;
            _colorizer?.Dispose();
            _colorizer = null;
            // Disposing the provider disposes the plugin loader, which unloads the engine's load context.
            _colorize?.Dispose();
            _colorize = null;
        }

        base.OnDispose(disposing);
    }

    /// <summary>The plugin loader, pack store and engines, set up as every Colorize host does but rooted in this folder.</summary>
    private ServiceProvider ColorizeServices => _colorize ??= new ServiceCollection()
        .AddColorize(o =>
        {
            // AppContext.BaseDirectory is Paint.NET's folder; ours is where this assembly lives.
            o.UseApplicationPluginsFolder = false;
            o.UseApplicationPacksFolder = false;
            o.PluginFolders.Add(Path.Combine(EffectFolder, "plugins"));
            o.BundledPackFolders.Add(Path.Combine(EffectFolder, "packs"));
        })
        .BuildServiceProvider();

    /// <summary>The colorizer of <paramref name="pack"/>, loaded once and kept while the pack stays the same.</summary>
    private IColorizer GetColorizer(string pack)
    {
        if (_colorizer is not null && _colorizerPack == pack)
        {
            return _colorizer;
        }

        _colorizer?.Dispose();
        _colorizer = null;
        var store = ColorizeServices.GetRequiredService<PackStore>();
        if (pack == NoPackChoice || !store.TryResolve(pack, out var found))
        {
            throw new InvalidOperationException(
                $"No model pack '{(pack == NoPackChoice ? store.DefaultPackId : pack)}' was found in {Path.Combine(EffectFolder, "packs")} or in {store.PacksDirectory}; " +
                "install one with `colorize packs install <file.cpack>` or copy a pack folder into the effect's packs folder.");
        }

        var factory = ColorizeServices.GetRequiredService<ColorizerFactory>();
        if (factory.Engines.Count == 0)
        {
            var failures = ColorizeServices.GetRequiredService<PluginLoader>().Results.Where(r => !r.Succeeded).Select(r => r.ToString());
            throw new InvalidOperationException(
                $"No colorization engine was loaded from {Path.Combine(EffectFolder, "plugins")}: {string.Join("; ", failures.DefaultIfEmpty("the folder holds no plugin"))}.");
        }

        _colorizer = factory.Create(found);
        _colorizerPack = pack;
        return _colorizer;
    }

    /// <summary>Copies the source layer (Bgra32, straight alpha) into the reusable buffer.</summary>
    private unsafe ColorizedLayer CopySourceLayer()
    {
        using IEffectInputBitmap<ColorBgra32> source = Environment.GetSourceBitmapBgra32();
        SizeInt32 size = source.Size;
        long length = (long)size.Width * size.Height * 4;
        if (length > Array.MaxLength)
        {
            throw new NotSupportedException($"The layer is {size.Width}x{size.Height}; Colorize handles layers of up to {Array.MaxLength / 4:N0} pixels.");
        }

        if (_pixels is null || _pixels.Length != length)
        {
            _pixels = null;
            _pixels = GC.AllocateUninitializedArray<byte>((int)length);
        }

        fixed (byte* pixels = _pixels)
        {
            source.CopyPixels(pixels, size.Width * 4, (uint)length, new RectInt32(0, 0, size));
        }

        return new ColorizedLayer(_pixels, size.Width, size.Height);
    }

    /// <summary>A colorized layer: Bgra32 pixels, rows packed.</summary>
    private sealed record ColorizedLayer(byte[] Pixels, int Width, int Height);
}
