using System.Globalization;
using System.Text;
using Spectre.Console;

namespace Colorize.Trainer;

/// <summary>An epoch the training loop is about to train (or to continue, after a resume inside it).</summary>
/// <param name="Epoch">The one-based epoch.</param>
/// <param name="TotalEpochs">The epochs of the whole schedule.</param>
/// <param name="Phase">The name of the epoch's phase.</param>
/// <param name="Photos">The training photos of the epoch.</param>
/// <param name="PhotosDone">Photos already trained in this epoch (non-zero only when resuming inside it).</param>
internal readonly record struct EpochStart(int Epoch, int TotalEpochs, string Phase, int Photos, int PhotosDone);

/// <summary>A batch the training loop has just trained.</summary>
/// <param name="Epoch">The one-based epoch.</param>
/// <param name="PhotosDone">Photos of the epoch trained so far, this batch included.</param>
/// <param name="Photos">The training photos of the epoch.</param>
/// <param name="L1">The batch's L1 loss.</param>
/// <param name="ImagesPerSecond">Training throughput of this session's part of the epoch.</param>
internal readonly record struct BatchDone(int Epoch, int PhotosDone, int Photos, double L1, double ImagesPerSecond);

/// <summary>
/// Where <see cref="TrainingRun.Train"/> reports how far it is. Kept apart from the run's log so that redirected
/// output stays plain lines and a terminal can show live bars, and so tests can record what the loop reports.
/// </summary>
internal interface ITrainingProgress
{
    /// <summary>Runs the whole training loop; a live display stays up for exactly as long as <paramref name="training"/> runs.</summary>
    T Run<T>(Func<T> training);

    /// <summary>An epoch starts (or continues after a resume).</summary>
    void EpochStarted(EpochStart epoch);

    /// <summary>A batch of the current epoch has been trained.</summary>
    void BatchDone(BatchDone batch);

    /// <summary>The epoch has been trained, validated, logged and checkpointed.</summary>
    void EpochFinished(int epoch);
}

/// <summary>Reports nothing: for redirected output, where the per-epoch log lines are the whole story.</summary>
internal sealed class NoTrainingProgress : ITrainingProgress
{
    public static readonly NoTrainingProgress Instance = new();

    private NoTrainingProgress()
    {
    }

    public T Run<T>(Func<T> training) => training();

    public void EpochStarted(EpochStart epoch)
    {
    }

    public void BatchDone(BatchDone batch)
    {
    }

    public void EpochFinished(int epoch)
    {
    }
}

/// <summary>
/// Spectre.Console bars on a terminal: one for the current epoch (photos, with phase, last L1 and images per second
/// in its description) and one for the run (epochs of the schedule, whose remaining time is the run's ETA).
/// </summary>
/// <remarks>
/// A new epoch gets a new task rather than resetting the old one: Spectre estimates speed from the task's value
/// changes, and a reset would count as a large negative step and make the remaining time nonsense for a while.
/// Completed tasks are hidden (Spectre 0.49 cannot remove or hide single tasks), so the display stays at most two
/// lines high: while an epoch validates only the run bar shows, a completed run leaves only its log lines, and a
/// run stopped early (CPU budget) leaves the run bar showing how far it got.
/// </remarks>
internal sealed class SpectreTrainingProgress : ITrainingProgress
{
    private readonly IAnsiConsole _console;
    private ProgressContext? _context;
    private ProgressTask? _run;
    private ProgressTask? _epoch;
    private EpochStart _current;

    public SpectreTrainingProgress(IAnsiConsole console) => _console = console;

    /// <summary>
    /// Whether stdout can host live bars: a terminal (not redirected) that understands cursor movement. NO_COLOR
    /// only takes the colours away (Spectre honours it itself); TERM=dumb cannot redraw lines, so it gets plain lines.
    /// </summary>
    public static bool CanShowLiveBars(bool outputRedirected, string? term) =>
        !outputRedirected && !string.Equals(term, "dumb", StringComparison.Ordinal);

    /// <summary>
    /// The progress and the log writer for the trainer's stdout: bars and a line writer through Spectre on a
    /// capable terminal, otherwise no progress and <paramref name="stdout"/> itself.
    /// </summary>
    public static (ITrainingProgress Progress, TextWriter Log) ForStdout(TextWriter stdout)
    {
        if (!ReferenceEquals(stdout, Console.Out) || !CanShowLiveBars(Console.IsOutputRedirected, Environment.GetEnvironmentVariable("TERM")))
        {
            return (NoTrainingProgress.Instance, stdout);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (!console.Profile.Capabilities.Ansi || !console.Profile.Capabilities.Interactive)
        {
            return (NoTrainingProgress.Instance, stdout);
        }

        return (new SpectreTrainingProgress(console), new ConsoleLineWriter(console));
    }

    public T Run<T>(Func<T> training)
    {
        T result = default!;
        _console.Progress()
            .AutoClear(false)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                _context = context;
                try
                {
                    result = training();
                }
                finally
                {
                    _context = null;
                }
            });
        return result;
    }

    public void EpochStarted(EpochStart epoch)
    {
        if (_context is null)
        {
            return;
        }

        _current = epoch;
        double runValue = epoch.Epoch - 1 + Fraction(epoch.PhotosDone, epoch.Photos);
        if (_run is null)
        {
            _run = _context.AddTask(RunDescription(epoch.Epoch - 1, epoch.TotalEpochs), maxValue: epoch.TotalEpochs);
            _run.Value = runValue;
        }

        _epoch?.StopTask();
        _epoch = _context.AddTask(EpochDescription(epoch, null), maxValue: Math.Max(1, epoch.Photos));
        _epoch.Value = epoch.PhotosDone;
        _context.Refresh();
    }

    public void BatchDone(BatchDone batch)
    {
        if (_epoch is null || _run is null)
        {
            return;
        }

        _epoch.Description = EpochDescription(_current, batch);
        if (batch.PhotosDone >= batch.Photos)
        {
            // Draw the epoch's final figures before its task completes and is hidden: an epoch shorter than
            // Spectre's refresh interval would otherwise never show them.
            _context?.Refresh();
        }

        _epoch.Value = batch.PhotosDone;
        _run.Value = batch.Epoch - 1 + Fraction(batch.PhotosDone, batch.Photos);
    }

    public void EpochFinished(int epoch)
    {
        if (_run is null)
        {
            return;
        }

        _epoch?.StopTask();
        _epoch = null;
        _run.Description = RunDescription(epoch, (int)_run.MaxValue);
        _run.Value = epoch;
    }

    private static double Fraction(int done, int total) => total <= 0 ? 0 : Math.Clamp((double)done / total, 0, 1);

    private static string RunDescription(int epochsDone, int totalEpochs) =>
        string.Create(CultureInfo.InvariantCulture, $"run: {epochsDone}/{totalEpochs} epochs");

    // Descriptions are markup; the phase name comes from the configuration and is escaped.
    private static string EpochDescription(EpochStart epoch, BatchDone? batch) => Markup.Escape(
        string.Create(CultureInfo.InvariantCulture, $"epoch {epoch.Epoch}/{epoch.TotalEpochs} ({epoch.Phase})")
        + (batch is { } b ? string.Create(CultureInfo.InvariantCulture, $"  L1 {b.L1:F4}  {b.ImagesPerSecond:F1} img/s") : ""));
}

/// <summary>
/// A <see cref="TextWriter"/> whose complete lines go to the console's WriteLine as plain text (never
/// markup, so a '[' in a message is printed as is), which puts them above Spectre's live bars while those run.
/// </summary>
internal sealed class ConsoleLineWriter : TextWriter
{
    private readonly IAnsiConsole _console;
    private readonly StringBuilder _line = new();
    private readonly Lock _lock = new();

    public ConsoleLineWriter(IAnsiConsole console) : base(CultureInfo.InvariantCulture) => _console = console;

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_lock)
        {
            if (value == '\n')
            {
                EmitLine();
            }
            else if (value != '\r')
            {
                _line.Append(value);
            }
        }
    }

    public override void Write(string? value)
    {
        foreach (char c in value ?? "")
        {
            Write(c);
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Write(buffer[index + i]);
        }
    }

    public override void WriteLine(string? value)
    {
        Write(value);
        Write('\n');
    }

    /// <summary>Writes an unterminated last line too: flushing is the end of a message, not the middle of one.</summary>
    public override void Flush()
    {
        lock (_lock)
        {
            if (_line.Length > 0)
            {
                EmitLine();
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Flush();
        }

        base.Dispose(disposing);
    }

    private void EmitLine()
    {
        _console.WriteLine(_line.ToString());
        _line.Clear();
    }
}
