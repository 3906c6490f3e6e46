using System.Net;
using Colorize.Imaging;

namespace Colorize.Host.Web;

/// <summary>How the web UI listens and what it accepts.</summary>
internal sealed record WebSettings
{
    public required IPAddress Address { get; init; }

    /// <summary>The port; 0 lets the system pick a free one (<see cref="WebServer.Url"/> tells which).</summary>
    public required int Port { get; init; }

    /// <summary>Requests with a larger body are refused with 413 before anything is decoded.</summary>
    public required long MaxUploadBytes { get; init; }

    /// <summary>Images with more pixels are refused with 413 from their header, before pixel memory is allocated.</summary>
    public required long MaxPixels { get; init; }

    /// <summary>Inference threads; null uses every core.</summary>
    public int? Threads { get; init; }

    /// <summary>Jobs waiting or running at once; more are refused with 503 (each holds its upload in memory).</summary>
    public int MaxPendingJobs { get; init; } = 16;

    /// <summary>Pixels of the jobs waiting or running at once (default 8 photos at <see cref="MaxPixels"/>); more: 503.</summary>
    public long MaxQueuedPixels
    {
        get => _maxQueuedPixels ?? 8 * MaxPixels;
        init => _maxQueuedPixels = value;
    }

    /// <summary>
    /// Upload bytes held at once, by bodies being read and by jobs waiting or running (default 4 uploads at
    /// <see cref="MaxUploadBytes"/>); a request that would pass it gets 503 before its body is read.
    /// </summary>
    public long MaxHeldUploadBytes
    {
        get => _maxHeldUploadBytes ?? 4 * MaxUploadBytes;
        init => _maxHeldUploadBytes = value;
    }

    /// <summary>Finished jobs kept for their results; the oldest go first.</summary>
    public int MaxFinishedJobs { get; init; } = 100;

    /// <summary>
    /// Bytes the finished jobs keep (results and "before" pictures; default 4 × <see cref="MaxUploadBytes"/>); the oldest
    /// finished jobs are forgotten first when they pass it.
    /// </summary>
    public long MaxRetainedBytes
    {
        get => _maxRetainedBytes ?? 4 * MaxUploadBytes;
        init => _maxRetainedBytes = value;
    }

    /// <summary>How long a finished job's result stays available.</summary>
    public TimeSpan FinishedJobLifetime { get; init; } = TimeSpan.FromMinutes(30);

    public DecoderOptions DecoderOptions => new() { MaxPixels = MaxPixels };

    private readonly long? _maxQueuedPixels;
    private readonly long? _maxHeldUploadBytes;
    private readonly long? _maxRetainedBytes;
}
