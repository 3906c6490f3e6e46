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
    public int MaxPendingJobs { get; init; } = 64;

    /// <summary>Finished jobs kept for their results; the oldest go first.</summary>
    public int MaxFinishedJobs { get; init; } = 100;

    /// <summary>How long a finished job's result stays available.</summary>
    public TimeSpan FinishedJobLifetime { get; init; } = TimeSpan.FromMinutes(30);

    public DecoderOptions DecoderOptions => new() { MaxPixels = MaxPixels };
}
