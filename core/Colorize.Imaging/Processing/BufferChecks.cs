namespace Colorize.Imaging.Processing;

/// <summary>Argument checks for strided 2-D buffers, with messages that say what is wrong.</summary>
internal static class BufferChecks
{
    /// <summary>Checks a width × height buffer of <paramref name="elementsPerPixel"/> elements per pixel with a row stride in elements.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size or stride is impossible.</exception>
    /// <exception cref="ArgumentException">The buffer is too short.</exception>
    public static void Check(int length, int width, int height, int stride, int elementsPerPixel, string bufferName, string strideName)
    {
        CheckSize(width, height);
        long rowElements = (long)width * elementsPerPixel;
        if (stride < rowElements)
        {
            throw new ArgumentOutOfRangeException(strideName, stride, $"The row stride of '{bufferName}' ({stride}) is shorter than a row ({rowElements} for {width} pixels).");
        }

        long needed = ((long)(height - 1) * stride) + rowElements;
        if (length < needed)
        {
            throw new ArgumentException($"'{bufferName}' holds {length} elements but {width}×{height} pixels with stride {stride} need {needed}.", bufferName);
        }
    }

    /// <summary>Checks that a size is positive.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Width or height is zero or negative.</exception>
    public static void CheckSize(int width, int height)
    {
        if (width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "The width must be positive.");
        }

        if (height <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(height), height, "The height must be positive.");
        }
    }
}
