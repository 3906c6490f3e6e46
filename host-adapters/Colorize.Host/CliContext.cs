namespace Colorize.Host;

/// <summary>
/// Where a run of the command writes and which environment it sees. The real program uses the console; tests run
/// the same entry point in-process with their own writers, home and working folder (environment variables and the
/// current directory are process-wide, so tests must not change them).
/// </summary>
internal sealed class CliContext
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>True when stdout is a terminal: batches then draw a progress bar instead of plain lines.</summary>
    public bool IsTerminal { get; init; }

    /// <summary>The Colorize home; null means <c>$COLORIZE_HOME</c> or the user data folder.</summary>
    public string? Home { get; init; }

    /// <summary>Relative inputs and outputs are resolved against this folder.</summary>
    public string WorkingDirectory { get; init; } = Environment.CurrentDirectory;

    public CancellationToken Cancellation { get; init; }

    public static CliContext FromConsole(CancellationToken cancellation) => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        IsTerminal = !Console.IsOutputRedirected && !Console.IsErrorRedirected,
        Cancellation = cancellation,
    };

    public string FullPath(string path) => Path.GetFullPath(path, WorkingDirectory);

    /// <summary>Writes the one-line error of the contract: <c>error: &lt;path&gt;: &lt;reason&gt;</c>.</summary>
    public void ReportError(string subject, string reason) =>
        Error.WriteLine($"error: {subject}: {OneLine(reason)}");

    /// <summary>Writes a one-line warning on stderr: <c>warning: &lt;path&gt;: &lt;reason&gt;</c>; the work was done.</summary>
    public void ReportWarning(string subject, string reason) =>
        Error.WriteLine($"warning: {subject}: {OneLine(reason)}");

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
