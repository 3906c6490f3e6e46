namespace Colorize.Tensors.Serialization;

/// <summary>
/// A safetensors file (or byte buffer) is malformed: truncated, a header that is too large or not valid JSON,
/// an unknown dtype, a shape or offsets that do not match the data, holes or overlaps between tensors, ...
/// </summary>
/// <remarks>
/// Every way a file can be wrong ends in this exception with a message that names the tensor (when there is one)
/// and the problem; reading a hostile file never ends in an index, overflow or out-of-memory error.
/// </remarks>
public sealed class SafeTensorsFormatException : Exception
{
    /// <summary>Creates the exception with a generic message.</summary>
    public SafeTensorsFormatException()
        : base("The safetensors data is malformed.")
    {
    }

    /// <summary>Creates the exception with a message that says what is wrong.</summary>
    /// <param name="message">What is wrong, for a person.</param>
    public SafeTensorsFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the lower-level error that revealed the problem.</summary>
    /// <param name="message">What is wrong, for a person.</param>
    /// <param name="innerException">The error that revealed it, e.g. a <see cref="System.Text.Json.JsonException"/>.</param>
    public SafeTensorsFormatException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The tensor the problem is about, or <see langword="null"/> when it concerns the whole file.</summary>
    public string? TensorName { get; init; }
}
