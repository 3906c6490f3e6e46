namespace Colorize.TestPlugins.EchoDependency;

public static class EchoMath
{
    public static Version EngineVersion { get; } = new(1, 0, 0);

    /// <summary>The grey level the echo colorizer writes for a source level: a fixed, checkable mapping.</summary>
    public static byte Invert(byte value) => (byte)(255 - value);
}
