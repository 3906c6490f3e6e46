namespace Colorize.Imaging;

/// <summary>
/// The bytes are not a well-formed image this library can read, or an image cannot be written in the requested
/// form. The message says what was wrong in words a person can act on.
/// </summary>
public class ImageFormatException : Exception
{
    /// <summary>Creates the exception with a generic message.</summary>
    public ImageFormatException()
        : base("The image data is not valid.")
    {
    }

    /// <summary>Creates the exception with a message that says what was wrong.</summary>
    public ImageFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the lower-level error that revealed the problem.</summary>
    public ImageFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The image is (or claims to be) larger than <see cref="DecoderOptions"/> allow. Thrown before the memory is
/// allocated, so a hostile header cannot exhaust memory.
/// </summary>
public class ImageLimitException : ImageFormatException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public ImageLimitException()
        : base("The image is larger than the configured limit.")
    {
    }

    /// <summary>Creates the exception with a message that names the size and the limit.</summary>
    public ImageLimitException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ImageLimitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>No registered decoder recognises the bytes (detection looks at the content, never the file name).</summary>
public class UnknownImageFormatException : ImageFormatException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public UnknownImageFormatException()
        : base("The data is not in any image format this library reads.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public UnknownImageFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public UnknownImageFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
