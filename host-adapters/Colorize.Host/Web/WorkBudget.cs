using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Colorize.Host.Web;

/// <summary>
/// What the web UI lets requests hold at once, so memory stays bounded however many photos arrive together: upload
/// bytes (bodies being read, and jobs waiting or running, which keep their upload), jobs waiting or running, and their
/// pixels. One worker colorizes (<see cref="JobQueue"/>), so a waiting job costs only its upload; the pixel budget
/// bounds how long the queue takes to drain. A request that does not fit is refused at once with 503 and Retry-After
/// instead of waiting, because a waiting request would hold its body in memory, which is what the budget bounds.
/// Whatever the budget, a request is admitted when nothing else is held, so one photo within the upload and pixel
/// limits always goes through.
/// </summary>
internal sealed class WorkBudget(int maxJobs, long maxPixels, long maxBytes)
{
    /// <summary>Seconds a refused client is told to wait (<c>Retry-After</c>).</summary>
    public const int RetryAfterSeconds = 5;

    private readonly Lock _gate = new();
    private long _bytes;
    private int _jobs;
    private long _pixels;

    /// <summary>Jobs waiting or running at most.</summary>
    public int MaxJobs { get; } = maxJobs;

    /// <summary>Pixels of the jobs waiting or running, at most.</summary>
    public long MaxPixels { get; } = maxPixels;

    /// <summary>Upload bytes held at once, at most: bodies being read plus the uploads of jobs waiting or running.</summary>
    public long MaxBytes { get; } = maxBytes;

    /// <summary>Jobs waiting or running.</summary>
    public int Jobs
    {
        get
        {
            lock (_gate)
            {
                return _jobs;
            }
        }
    }

    /// <summary>What is held now: bytes, jobs, pixels.</summary>
    public (long Bytes, int Jobs, long Pixels) Held
    {
        get
        {
            lock (_gate)
            {
                return (_bytes, _jobs, _pixels);
            }
        }
    }

    /// <summary>
    /// Reserves room for a request body of at most <paramref name="bytes"/> before it is read; throws an
    /// <see cref="ApiException"/> (503) when it does not fit.
    /// </summary>
    public Ticket Reserve(long bytes)
    {
        lock (_gate)
        {
            if (_bytes > 0 && _bytes + bytes > MaxBytes)
            {
                throw Busy(ColorizeCli.Invariant($"{Mb(_bytes)} MB of uploads are being read or waiting, and this one would pass the server's {Mb(MaxBytes)} MB"));
            }

            _bytes += bytes;
        }

        return new Ticket(this, bytes);
    }

    private static ApiException Busy(string why) => new(
        StatusCodes.Status503ServiceUnavailable,
        ColorizeCli.Invariant($"the server is busy ({why}); try again in {RetryAfterSeconds} s"),
        RetryAfterSeconds);

    private static string Mb(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>
    /// A request's share of the budget: its upload bytes from before the body is read, then (once admitted) a job and
    /// its pixels, until the job is finished with. Disposing it gives everything back; it is safe to dispose twice.
    /// </summary>
    internal sealed class Ticket(WorkBudget budget, long bytes) : IDisposable
    {
        private long _bytes = bytes;
        private long _pixels;
        private bool _admitted;
        private bool _released;

        /// <summary>Shrinks the reservation to the bytes the upload really holds, once it is read.</summary>
        public void Settle(long bytes)
        {
            lock (budget._gate)
            {
                if (_released || bytes >= _bytes)
                {
                    return;
                }

                budget._bytes -= _bytes - bytes;
                _bytes = bytes;
            }
        }

        /// <summary>Counts the request as a job of <paramref name="pixels"/> pixels; throws 503 when the queue is full.</summary>
        public void Admit(long pixels)
        {
            lock (budget._gate)
            {
                ObjectDisposedException.ThrowIf(_released, this);
                if (_admitted)
                {
                    return;
                }

                if (budget._jobs >= budget.MaxJobs)
                {
                    throw Busy(ColorizeCli.Invariant($"{budget._jobs} photos are waiting or running, the most it queues"));
                }

                if (budget._jobs > 0 && budget._pixels + pixels > budget.MaxPixels)
                {
                    throw Busy(ColorizeCli.Invariant($"{budget._pixels / 1e6:0.#} megapixels are waiting or running, and this photo would pass the server's {budget.MaxPixels / 1e6:0.#}"));
                }

                budget._jobs++;
                budget._pixels += pixels;
                _pixels = pixels;
                _admitted = true;
            }
        }

        public void Dispose()
        {
            lock (budget._gate)
            {
                if (_released)
                {
                    return;
                }

                _released = true;
                budget._bytes -= _bytes;
                if (_admitted)
                {
                    budget._jobs--;
                    budget._pixels -= _pixels;
                }
            }
        }
    }
}
