namespace Colorize.Onnx;

/// <summary>
/// An ONNX file (or byte buffer) cannot be read: not a valid protobuf message, truncated, too large, a tensor whose
/// data is missing or does not match its dimensions, an unsupported data type, or (for an importer) a graph that does
/// not have the structure the importer expects.
/// </summary>
/// <remarks>
/// Every way a file can be wrong ends in this exception with a message that names the tensor or node when there is
/// one; reading a hostile file never ends in an index, overflow or out-of-memory error.
/// </remarks>
public sealed class OnnxFormatException : Exception
{
    /// <summary>Creates the exception with a generic message.</summary>
    public OnnxFormatException()
        : base("The ONNX data is malformed.")
    {
    }

    /// <summary>Creates the exception with a message that says what is wrong.</summary>
    /// <param name="message">What is wrong, for a person.</param>
    public OnnxFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the lower-level error that revealed the problem.</summary>
    /// <param name="message">What is wrong, for a person.</param>
    /// <param name="innerException">The error that revealed it, e.g. a protobuf parse error.</param>
    public OnnxFormatException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
