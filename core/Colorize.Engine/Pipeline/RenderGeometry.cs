namespace Colorize.Engine.Pipeline;

/// <summary>
/// Where the network runs: the image scaled so its short side is the render size (a multiple of the model's stride),
/// aspect ratio kept, then padded on the right and bottom up to multiples of the stride. Nothing is squashed: the
/// padding is cropped off the prediction before it is enlarged back.
/// </summary>
/// <param name="Width">Scaled width.</param>
/// <param name="Height">Scaled height.</param>
/// <param name="PaddedWidth">Width fed to the network (multiple of the stride).</param>
/// <param name="PaddedHeight">Height fed to the network (multiple of the stride).</param>
public readonly record struct RenderGeometry(int Width, int Height, int PaddedWidth, int PaddedHeight)
{
    /// <summary>Computes the geometry for an image of <paramref name="width"/>×<paramref name="height"/>.</summary>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="renderSize">Requested short side.</param>
    /// <param name="stride">The model's stride.</param>
    public static RenderGeometry For(int width, int height, int renderSize, int stride)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        int shortSide = Math.Max(stride, (int)Math.Round(renderSize / (double)stride) * stride);
        double scale = shortSide / (double)Math.Min(width, height);
        int w = width <= height ? shortSide : Math.Max(1, (int)Math.Round(width * scale));
        int h = height < width ? shortSide : Math.Max(1, (int)Math.Round(height * scale));
        return new RenderGeometry(w, h, RoundUp(w, stride), RoundUp(h, stride));
    }

    private static int RoundUp(int v, int m) => (v + m - 1) / m * m;
}
