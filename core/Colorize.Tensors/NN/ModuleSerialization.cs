using Colorize.Tensors.Serialization;

namespace Colorize.Tensors.NN;

/// <summary>Saving and loading a module's state dict as safetensors.</summary>
public static class ModuleSerialization
{
    /// <summary>Saves the module's state dict to <paramref name="path"/> atomically.</summary>
    public static void Save(this Module module, string path, SafeTensorsDType dtype = SafeTensorsDType.F32, IReadOnlyDictionary<string, string>? metadata = null) =>
        StateDictIO.Save(module.StateDict(), path, dtype, metadata);

    /// <summary>Loads a state dict from a safetensors file into the module.</summary>
    public static LoadStateDictResult Load(this Module module, string path, bool strict = true) =>
        module.LoadStateDict(StateDictIO.Load(path), strict);
}
