namespace Colorize.Plugins.Packs;

/// <summary>Where Colorize keeps its user data (the pack store): <c>$COLORIZE_HOME</c>, else the platform's user data folder.</summary>
public static class ColorizeHome
{
    /// <summary>The environment variable that overrides the home folder.</summary>
    public const string EnvironmentVariable = "COLORIZE_HOME";

    /// <summary>
    /// The home folder: <paramref name="explicitHome"/> when given, else <c>$COLORIZE_HOME</c> when set, else
    /// <c>Colorize</c> in the platform's local application data folder (<c>%LOCALAPPDATA%</c> on Windows,
    /// <c>~/.local/share</c> or <c>$XDG_DATA_HOME</c> on Linux, <c>~/Library/Application Support</c> on macOS).
    /// The path is made absolute; the folder is not created.
    /// </summary>
    /// <exception cref="InvalidOperationException">No folder can be determined (no home directory and no override).</exception>
    public static string Resolve(string? explicitHome = null)
    {
        string? home = explicitHome;
        if (string.IsNullOrWhiteSpace(home))
        {
            home = Environment.GetEnvironmentVariable(EnvironmentVariable);
        }

        if (string.IsNullOrWhiteSpace(home))
        {
            string data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
            if (string.IsNullOrEmpty(data))
            {
                throw new InvalidOperationException($"Cannot find a user data folder for Colorize; set {EnvironmentVariable} to a writable folder.");
            }

            home = Path.Combine(data, "Colorize");
        }

        return Path.GetFullPath(home);
    }
}
