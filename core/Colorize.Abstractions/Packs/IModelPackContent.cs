namespace Colorize.Abstractions.Packs;

/// <summary>A verified model pack as handed to an engine: its manifest and read access to its files.</summary>
public interface IModelPackContent
{
    /// <summary>The validated manifest.</summary>
    PackManifest Manifest { get; }

    /// <summary>Opens a file of the pack for reading (the weights file, for example).</summary>
    /// <exception cref="ModelPackException">The file is not part of the pack.</exception>
    Stream OpenFile(string name);
}

/// <summary>A model pack that cannot be used: malformed, hostile, incomplete or incompatible. The message says why.</summary>
public class ModelPackException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelPackException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ModelPackException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public ModelPackException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
