using PaintDotNet.Effects;
using PaintDotNet.Imaging;
using PaintDotNet.PropertySystem;
using PaintDotNet.Rendering;
using PdnSdk.Hosting;

namespace Colorize.PaintDotNet.Tests;

/// <summary>Which pixels a Paint.NET selection covers, and their bounds.</summary>
public sealed class Selection(RectInt32 bounds, Func<int, int, bool> contains)
{
    public RectInt32 Bounds { get; } = bounds;

    public bool Contains(int x, int y) => Bounds.Contains(x, y) && contains(x, y);

    public static Selection All(SizeInt32 size) => new(new RectInt32(0, 0, size), (_, _) => true);

    /// <summary>An ellipse inscribed in <paramref name="bounds"/>.</summary>
    public static Selection Ellipse(RectInt32 bounds)
    {
        double cx = bounds.X + (bounds.Width / 2.0), cy = bounds.Y + (bounds.Height / 2.0);
        double rx = bounds.Width / 2.0, ry = bounds.Height / 2.0;
        return new Selection(bounds, (x, y) =>
        {
            double dx = (x + 0.5 - cx) / rx, dy = (y + 0.5 - cy) / ry;
            return (dx * dx) + (dy * dy) <= 1;
        });
    }
}

/// <summary>What a render produced.</summary>
/// <param name="Canvas">The layer after the render: the effect's pixels inside the selection, the source outside.</param>
/// <param name="TilesRendered">Tiles whose buffer the effect wrote.</param>
/// <param name="TilesUntouched">Tiles whose buffer the effect left as it was given.</param>
public sealed record RenderOutcome(Bgra32Bitmap Canvas, int TilesRendered, int TilesUntouched);

/// <summary>
/// Drives an effect as Paint.NET 5.1 does: the dialog's property collection, tokens set on a worker thread, the
/// selection's bounds cut into 128×128 tiles rendered on many threads at once, each tile's output clipped to the
/// selection (outside it the layer keeps its source pixels).
/// </summary>
public sealed class PdnLikeRenderer : IDisposable
{
    public const int TileSize = 128;

    /// <summary>What a tile buffer holds before the effect writes it; an effect must overwrite every pixel.</summary>
    public static readonly ColorBgra32 Garbage = new(0x5A, 0xA5, 0x3C, 0xC3);

    public PdnLikeRenderer(PropertyBasedBitmapEffect effect, Bgra32Bitmap layer)
        : this(effect, [new Bgra32Layer("Background", layer)], 0)
    {
    }

    /// <summary>A document of several layers (bottom first); the effect renders the one at <paramref name="sourceLayerIndex"/>.</summary>
    public PdnLikeRenderer(PropertyBasedBitmapEffect effect, IReadOnlyList<Bgra32Layer> layers, int sourceLayerIndex)
    {
        Layer = layers[sourceLayerIndex].Bitmap;
        Host = new BitmapEffectHost(effect, layers, sourceLayerIndex);
        Properties = effect.CreatePropertyCollection();
    }

    public Bgra32Bitmap Layer { get; }

    public BitmapEffectHost Host { get; }

    /// <summary>The dialog's live properties; <see cref="SetToken"/> hands the effect a copy.</summary>
    public PropertyCollection Properties { get; }

    public PdnLikeRenderer With(string name, object value)
    {
        Properties[name]!.Value = value;
        return this;
    }

    /// <summary>Sets the dialog's current values as the token, on a worker thread, and waits for OnSetToken.</summary>
    public void SetToken() => SetTokenOnWorkerThread().GetAwaiter().GetResult();

    public Task SetTokenOnWorkerThread() => Host.SetTokenOnWorkerThread(new PropertyBasedEffectConfigToken(Properties));

    public static List<RectInt32> Tiles(RectInt32 area)
    {
        var tiles = new List<RectInt32>();
        for (int y = area.Top; y < area.Bottom; y += TileSize)
        {
            for (int x = area.Left; x < area.Right; x += TileSize)
            {
                tiles.Add(RectInt32.Intersect(new RectInt32(x, y, TileSize, TileSize), area));
            }
        }

        return tiles;
    }

    /// <summary>Renders the selection's tiles (all, or the first <paramref name="tileCount"/>) on up to 8 threads.</summary>
    public RenderOutcome Render(Selection selection, int? tileCount = null, Bgra32Bitmap? canvas = null)
    {
        canvas ??= Copy(Layer);
        var tiles = Tiles(selection.Bounds);
        if (tileCount is { } count)
        {
            tiles = tiles.Take(count).ToList();
        }

        int rendered = 0, untouched = 0;
        Parallel.ForEach(tiles, new ParallelOptions { MaxDegreeOfParallelism = 8 }, rect =>
        {
            var tile = new Bgra32Bitmap(rect.Width, rect.Height);
            tile.Pixels.Fill(Garbage);
            Host.Render(rect, tile);
            bool written = false;
            foreach (var pixel in tile.Pixels)
            {
                if (pixel != Garbage)
                {
                    written = true;
                    break;
                }
            }

            Interlocked.Increment(ref written ? ref rendered : ref untouched);
            if (!written)
            {
                // A cancelled tile: Paint.NET throws its buffer away.
                return;
            }

            for (int y = 0; y < rect.Height; y++)
            {
                for (int x = 0; x < rect.Width; x++)
                {
                    if (selection.Contains(rect.X + x, rect.Y + y))
                    {
                        canvas[rect.X + x, rect.Y + y] = tile[x, y];
                    }
                }
            }
        });
        return new RenderOutcome(canvas, rendered, untouched);
    }

    public static Bgra32Bitmap Copy(Bgra32Bitmap bitmap)
    {
        var copy = new Bgra32Bitmap(bitmap.Width, bitmap.Height);
        bitmap.Pixels.CopyTo(copy.Pixels);
        return copy;
    }

    public void Dispose() => Host.Dispose();
}
