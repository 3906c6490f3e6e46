using System.Security.Cryptography;
using Colorize.Abstractions;
using Colorize.Imaging;

namespace Colorize.Host.Web;

/// <summary>Where a job is in its life.</summary>
internal enum JobState
{
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

/// <summary>
/// One uploaded image to colorize: its bytes (in memory only; nothing the client sends is written to disk), the
/// resolved pack and options, progress, and then the encoded result or an error with its HTTP status.
/// </summary>
internal sealed class ColorizeJob : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _cancel = new();

    private WorkBudget.Ticket? _ticket;

    public ColorizeJob(long sequence, UploadedImage upload, string packReference, ColorizeOptions options, bool allowTruncated = false, WorkBudget.Ticket? ticket = null)
    {
        _ticket = ticket;
        Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Sequence = sequence;
        Upload = upload;
        PackReference = packReference;
        Options = options;
        AllowTruncated = allowTruncated;
        Created = DateTime.UtcNow;

        // Browsers show PNG, JPEG and BMP themselves; a TIFF gets a PNG preview once the worker has decoded it.
        if (upload.Format == ImageFormat.Png || upload.Format == ImageFormat.Jpeg || upload.Format == ImageFormat.Bmp)
        {
            Preview = (upload.Data, upload.Format.MimeType);
        }
    }

    /// <summary>128 random bits: results are private to whoever uploaded them.</summary>
    public string Id { get; }

    /// <summary>Submission order, for the queue position.</summary>
    public long Sequence { get; }

    /// <summary>The upload; its bytes are let go when the job finishes (the "before" picture keeps its own reference when it is the upload).</summary>
    public UploadedImage Upload { get; private set; }

    public string PackReference { get; }

    public ColorizeOptions Options { get; }

    /// <summary>Whether a truncated or damaged upload is colorized as far as it decodes instead of refused.</summary>
    public bool AllowTruncated { get; }

    /// <summary>What was wrong with an upload that was still colorized ("truncated JPEG: 412 of 825 rows decoded").</summary>
    public string? Warning { get; private set; }

    public DateTime Created { get; }

    public DateTime? Finished { get; private set; }

    public JobState State { get; private set; } = JobState.Queued;

    public double Progress { get; private set; }

    public string Stage { get; private set; } = "queued";

    public double Seconds { get; private set; }

    public int? ErrorStatus { get; private set; }

    public string? Error { get; private set; }

    /// <summary>The encoded result, its MIME type and the name it downloads as.</summary>
    public (byte[] Data, string MimeType, string FileName)? Result { get; private set; }

    /// <summary>What the browser shows as "before": the upload itself, or a PNG of it.</summary>
    public (byte[] Data, string MimeType)? Preview { get; private set; }

    public Task Completion => _completion.Task;

    public CancellationToken Cancellation => _cancel.Token;

    public bool IsFinished => State is JobState.Done or JobState.Failed or JobState.Cancelled;

    /// <summary>Bytes a finished job keeps: its result and its "before" picture.</summary>
    public long RetainedBytes
    {
        get
        {
            lock (_gate)
            {
                return (Result?.Data.Length ?? 0) + (Preview?.Data.Length ?? 0);
            }
        }
    }

    /// <summary>Gives the job's share of the server's <see cref="WorkBudget"/> back (once the worker is done with it).</summary>
    public void ReleaseBudget() => Interlocked.Exchange(ref _ticket, null)?.Dispose();

    public void Report(ColorizeProgress progress)
    {
        lock (_gate)
        {
            Progress = Math.Clamp(progress.Fraction, 0, 1);
            Stage = progress.Stage;
        }
    }

    /// <summary>Marks the job running unless it was cancelled while it waited.</summary>
    public bool TryStart()
    {
        lock (_gate)
        {
            if (State != JobState.Queued)
            {
                return false;
            }

            State = JobState.Running;
            Stage = "decoding";
            return true;
        }
    }

    public void Warn(string warning)
    {
        lock (_gate)
        {
            Warning = warning.ReplaceLineEndings(" ").Trim();
        }
    }

    public void SetPreview(byte[] data, string mimeType)
    {
        lock (_gate)
        {
            Preview = (data, mimeType);
        }
    }

    public void Succeed(byte[] data, string mimeType, string fileName, double seconds) => Finish(JobState.Done, () =>
    {
        Result = (data, mimeType, fileName);
        Progress = 1;
        Stage = "done";
        Seconds = seconds;
    });

    public void Fail(int status, string error) => Finish(JobState.Failed, () =>
    {
        ErrorStatus = status;
        Error = error.ReplaceLineEndings(" ").Trim();
        Stage = "failed";
    });

    /// <summary>Cancels a queued or running job; the worker notices between network layers.</summary>
    public void Cancel()
    {
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        Finish(JobState.Cancelled, () => Stage = "cancelled");
    }

    /// <summary>A consistent copy for the status endpoint.</summary>
    public JobSnapshot Snapshot(int queuePosition)
    {
        lock (_gate)
        {
            return new JobSnapshot(Id, Upload.SafeName, State, Progress, Stage, queuePosition, PackReference, Upload.Width, Upload.Height,
                Seconds, ErrorStatus, Error, Result?.FileName, Preview is not null, Warning);
        }
    }

    public void Dispose()
    {
        ReleaseBudget();
        _cancel.Dispose();
    }

    private void Finish(JobState state, Action update)
    {
        lock (_gate)
        {
            if (IsFinished)
            {
                return;
            }

            update();
            State = state;
            Finished = DateTime.UtcNow;

            // The upload is needed no more; a finished job may be kept for 30 minutes.
            Upload = Upload with { Data = [] };
        }

        _completion.TrySetResult();
    }
}

/// <summary>A job's state at one moment.</summary>
internal sealed record JobSnapshot(
    string Id,
    string Name,
    JobState State,
    double Progress,
    string Stage,
    int QueuePosition,
    string Pack,
    int Width,
    int Height,
    double Seconds,
    int? ErrorStatus,
    string? Error,
    string? DownloadName,
    bool HasPreview,
    string? Warning);
