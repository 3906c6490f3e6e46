using System.Diagnostics.CodeAnalysis;
using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Imaging;
using Colorize.Plugins;
using Colorize.Plugins.Packs;
using Microsoft.Extensions.DependencyInjection;

namespace Colorize.Host;

/// <summary>A pack loaded by an engine, ready to colorize; disposing it releases the model.</summary>
internal sealed class LoadedColorizer(IColorizer colorizer, InstalledPack pack, string engineId) : IDisposable
{
    public IColorizer Colorizer { get; } = colorizer;

    public InstalledPack Pack { get; } = pack;

    public string EngineId { get; } = engineId;

    public void Dispose() => Colorizer.Dispose();
}

/// <summary>Why a pack could not be loaded: the subject of the one-line error and the reason.</summary>
internal sealed record LoadFailure(string Subject, string Reason);

/// <summary>
/// The one way this host turns a pack reference into a colorizer and a decoded image into a colour one. The batch
/// command and the web UI both go through here, so the same image, pack and options give the same pixels in both.
/// </summary>
internal static class HostColorizer
{
    /// <summary>
    /// Resolves <paramref name="packSpec"/> (null: the default pack), picks the engine that accepts it and loads it.
    /// Returns false with a message naming what to do when no pack matches, no engine is loaded or loading fails.
    /// <paramref name="beforeLoading"/>, when given, runs once the pack is resolved and an engine accepts it, just before
    /// the (slow) load.
    /// </summary>
    public static bool TryLoad(ServiceProvider services, string? packSpec, [NotNullWhen(true)] out LoadedColorizer? loaded, [NotNullWhen(false)] out LoadFailure? failure, Action? beforeLoading = null)
    {
        var store = services.GetRequiredService<PackStore>();
        var factory = services.GetRequiredService<ColorizerFactory>();
        loaded = null;
        failure = null;
        try
        {
            if (!store.TryResolve(packSpec, out var pack))
            {
                failure = new LoadFailure(packSpec ?? store.DefaultPackId, NoPackMessage(store, packSpec));
                return false;
            }

            if (factory.Engines.Count == 0)
            {
                failure = new LoadFailure(Path.Combine(AppContext.BaseDirectory, "plugins"), NoEngineMessage(store));
                return false;
            }

            string engineId = ColorizerFactory.SelectEngine(factory.Engines, pack.Manifest).Id;
            beforeLoading?.Invoke();
            loaded = new LoadedColorizer(factory.Create(pack), pack, engineId);

            // Reading and converting the weights (F16 to F32, BatchNorm folded) leaves garbage a few times the model's
            // size (300 MB for colorize-base 1.0), which would otherwise still be there when the photo is decoded.
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            return true;
        }
        catch (ModelPackException e)
        {
            failure = new LoadFailure(packSpec ?? store.DefaultPackId, e.Message);
            return false;
        }
    }

    /// <summary>The pixel format of the result: gray pictures become colour ones of the same depth; colour ones keep their format (and alpha).</summary>
    public static PixelFormat OutputFormat(PixelFormat source) => source switch
    {
        PixelFormat.Gray8 => PixelFormat.Rgb24,
        PixelFormat.Gray16 => PixelFormat.Rgb48,
        var f => f,
    };

    /// <summary>
    /// Colorizes a decoded image (format of the result from <see cref="OutputFormat"/>). When the format stays, the
    /// source itself is colorized in place and returned: one full-size buffer instead of two (768 MB each for a
    /// 256-megapixel Rgb24 photo). Callers take what they need from the source (a preview) before.
    /// </summary>
    public static Image Colorize(IColorizer colorizer, Image source, ColorizeOptions options, IProgress<ColorizeProgress>? progress, CancellationToken cancellationToken)
    {
        var format = OutputFormat(source.PixelFormat);
        var result = format == source.PixelFormat ? source : new Image(source.Width, source.Height, format);
        colorizer.Colorize(source.Buffer, result.Buffer, options, progress, cancellationToken);
        return result;
    }

    /// <summary>What the hosts say when hints are given to a pack whose model cannot use them (contract 1.2).</summary>
    public static string NoHintsMessage(string packReference) =>
        $"the model pack {packReference} does not take colour hints (its manifest has no input.hints); choose a pack that does, or colorize without hints";

    public static string NoEngineMessage(PackStore store) =>
        $"no colorization engine plugin is loaded (looked in plugins/ beside the app and in {Path.Combine(store.Home, "plugins")}); run `colorize plugins list` to see why";

    public static string NoPackMessage(PackStore store, string? spec)
    {
        var installed = store.List().Select(p => p.Reference).Distinct().ToList();
        string known = installed.Count == 0 ? "no packs are installed" : $"installed: {string.Join(", ", installed)}";
        return spec is null
            ? $"the default pack '{store.DefaultPackId}' is not installed ({known}); name a pack with --pack <id>[@<version>] or install one with `colorize packs install <file.cpack>`"
            : $"no installed pack matches '{spec}' ({known}); install it with `colorize packs install <file.cpack>` or see `colorize packs list`";
    }
}
