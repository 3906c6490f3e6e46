using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Colorize.Abstractions;
using Colorize.Abstractions.Packs;
using Colorize.Imaging;
using Colorize.Plugins.Packs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Colorize.Host.Web;

/// <summary>
/// The jobs of the web UI and the one worker that runs them, in order, one at a time: the engine already uses
/// every core for one image, and one image at a time bounds the memory to one decoded photo (colorized in place when
/// its format stays). What waits is bounded by <see cref="WorkBudget"/> (jobs, pixels, upload bytes; beyond it: 503),
/// what finished jobs keep by <see cref="WebSettings.MaxRetainedBytes"/>, and when the queue runs dry the memory is
/// handed back to the system. Loaded packs are cached by the worker (only it touches them). Failures become the job's
/// error with an HTTP status; nothing a job does can take the server down.
/// </summary>
internal sealed class JobQueue : IAsyncDisposable
{
    private const int MaxLoadedPacks = 4;

    private readonly ServiceProvider _services;
    private readonly WebSettings _settings;
    private readonly CliContext _context;
    private readonly DecoderOptions _decoderOptions;
    private readonly Channel<ColorizeJob> _queue = Channel.CreateUnbounded<ColorizeJob>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, ColorizeJob> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LoadedColorizer> _loaded = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _worker;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Timer _idleCollection;
    private long _sequence;

    public JobQueue(ServiceProvider services, WebSettings settings, CliContext context)
    {
        _services = services;
        _settings = settings;
        _context = context;
        _decoderOptions = settings.DecoderOptions;
        Budget = new WorkBudget(settings.MaxPendingJobs, settings.MaxQueuedPixels, settings.MaxHeldUploadBytes);
        _idleCollection = new Timer(_ => CollectIfIdle(), null, Timeout.Infinite, Timeout.Infinite);
        _worker = Task.Run(RunAsync);
    }

    /// <summary>How long the queue stays empty before the idle server hands its memory back.</summary>
    public static TimeSpan IdleCollectionDelay { get; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Completes once the worker has loaded the default pack (or found it cannot; a job then says why), so the first
    /// photo does not wait for it and the server's start-up memory already includes the model it keeps loaded.
    /// </summary>
    public Task Ready => _ready.Task;

    /// <summary>What requests and jobs may hold at once; a request reserves its share before its body is read.</summary>
    public WorkBudget Budget { get; }

    /// <summary>Jobs waiting or running.</summary>
    public int Pending => Budget.Jobs;

    /// <summary>
    /// Queues a job for an upload, which takes over <paramref name="ticket"/> (its share of the budget, given back when
    /// the worker is done with the job), or throws an <see cref="ApiException"/> (503) when the queue is full; the
    /// caller still owns the ticket then.
    /// </summary>
    public ColorizeJob Submit(UploadedImage upload, string packReference, ColorizeOptions options, bool allowTruncated, WorkBudget.Ticket ticket)
    {
        ticket.Admit((long)upload.Width * upload.Height);
        Prune();
        var job = new ColorizeJob(Interlocked.Increment(ref _sequence), upload, packReference, options, allowTruncated, ticket);
        _jobs[job.Id] = job;
        if (!_queue.Writer.TryWrite(job))
        {
            _jobs.TryRemove(job.Id, out _);
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, "the server is stopping");
        }

        return job;
    }

    public ColorizeJob? Find(string id) => _jobs.TryGetValue(id, out var job) ? job : null;

    /// <summary>Cancels a job if it still runs and forgets it.</summary>
    public bool Remove(string id)
    {
        if (!_jobs.TryRemove(id, out var job))
        {
            return false;
        }

        job.Cancel();
        return true;
    }

    /// <summary>How many queued jobs were submitted before this one (0 when it runs or is finished).</summary>
    public int QueuePosition(ColorizeJob job) =>
        job.State != JobState.Queued ? 0 : _jobs.Values.Count(j => j.State == JobState.Queued && j.Sequence < job.Sequence);

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var job in _jobs.Values)
        {
            job.Cancel();
        }

        try
        {
            await _worker.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var loaded in _loaded.Values)
        {
            loaded.Dispose();
        }

        _loaded.Clear();
        foreach (var job in _jobs.Values)
        {
            job.Dispose();
        }

        _stopping.Dispose();
        await _idleCollection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        Preload();
        await foreach (var job in _queue.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
        {
            try
            {
                if (job.TryStart())
                {
                    Process(job);
                }
            }
            finally
            {
                job.ReleaseBudget();
            }

            // After a job its photo is garbage: up to a few hundred megabytes of large arrays, which the GC would
            // otherwise keep until its own budget runs out (the idle server held 1.4-1.6 GB). A full blocking
            // collection frees them before the next photo; once the queue has stayed empty for a moment (the last
            // answer sent), an aggressive one also compacts and decommits, so the memory goes back to the system.
            Prune();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            if (Budget.Jobs == 0)
            {
                _idleCollection.Change(IdleCollectionDelay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void CollectIfIdle()
    {
        if (Budget.Jobs == 0)
        {
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            NativeHeap.Trim();
        }
    }

    /// <summary>Loads the default pack before the first job asks for it; a failure is left for that job to report.</summary>
    private void Preload()
    {
        try
        {
            if (_services.GetRequiredService<PackStore>().TryResolve(null, out var pack))
            {
                Colorizer(pack.Reference);
            }
        }
        catch (Exception)
        {
            // Whatever went wrong, the worker must live: the first job that needs the pack loads it again and fails
            // with the reason, as it would have without the preload.
        }
        finally
        {
            // Reading and converting the weights leaves garbage the size of the model a few times over.
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            _ready.TrySetResult();
        }
    }

    private void Process(ColorizeJob job)
    {
        var clock = Stopwatch.StartNew();
        var upload = job.Upload;
        try
        {
            var source = Load(job);
            if (job.Preview is null || job.Warning is not null)
            {
                using var preview = new ChunkedOutput();
                source.Save(preview, new Imaging.Formats.Png.PngEncoder { CompressionLevel = 1 });
                job.SetPreview(preview.ToArray(), ImageFormat.Png.MimeType);
            }

            var colorizer = Colorizer(job.PackReference);
            if (job.Options.Hints is { Count: > 0 } && !colorizer.Colorizer.SupportsHints)
            {
                throw new ApiException(StatusCodes.Status422UnprocessableEntity, HostColorizer.NoHintsMessage(job.PackReference));
            }

            job.Report(new ColorizeProgress(0, "colorizing"));
            var result = HostColorizer.Colorize(colorizer.Colorizer, source, job.Options, new SyncProgress(job.Report), job.Cancellation);
            job.Report(new ColorizeProgress(1, "encoding"));
            var (encoder, extension) = ResultEncoder(upload.Format, result.PixelFormat);
            using var encoded = new ChunkedOutput();
            result.Save(encoded, encoder);
            job.Succeed(encoded.ToArray(), encoder.Format.MimeType, $"{upload.SafeName}-colorized.{extension}", clock.Elapsed.TotalSeconds);
            _context.Out.WriteLine(ColorizeCli.Invariant($"colorized {upload.SafeName} ({upload.Width}x{upload.Height}) with {job.PackReference} in {clock.Elapsed.TotalSeconds:0.00} s"));
        }
        catch (OperationCanceledException)
        {
            job.Cancel();
        }
        catch (ImageLimitException e)
        {
            Fail(job, StatusCodes.Status413PayloadTooLarge, e.Message);
        }
        catch (ImageFormatException e)
        {
            Fail(job, StatusCodes.Status422UnprocessableEntity, e.Message);
        }
        catch (ApiException e)
        {
            Fail(job, e.Status, e.Message);
        }
        catch (ModelPackException e)
        {
            Fail(job, StatusCodes.Status500InternalServerError, e.Message);
        }
        catch (HintsNotSupportedException)
        {
            Fail(job, StatusCodes.Status422UnprocessableEntity, HostColorizer.NoHintsMessage(job.PackReference));
        }
        catch (OutOfMemoryException)
        {
            // The process survives a failed large allocation; the job fails, the server goes on.
            Fail(job, StatusCodes.Status507InsufficientStorage, "not enough memory to colorize this image; try a smaller one or a smaller render size");
        }
        catch (Exception e)
        {
            Fail(job, StatusCodes.Status500InternalServerError, $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// Decodes the upload. A truncated or damaged image is refused (422) unless the job allows it; then only the rows
    /// that decoded in full are colorized, and the "before" picture is made from them too so that the two line up.
    /// </summary>
    private Image Load(ColorizeJob job)
    {
        try
        {
            return Image.Load(job.Upload.Data, _decoderOptions);
        }
        catch (TruncatedImageException e) when (job.AllowTruncated)
        {
            var part = e.CropToDecodedRegion() ?? throw new ImageFormatException($"{e.Message}; nothing decoded in full, so there is nothing to colorize", e);
            job.Warn(e.Message);
            return part;
        }
    }

    private void Fail(ColorizeJob job, int status, string reason)
    {
        job.Fail(status, reason);
        _context.ReportError(job.Upload.SafeName, reason);
    }

    /// <summary>The colorizer for an exact pack reference, loaded once and kept (a few at most).</summary>
    private LoadedColorizer Colorizer(string packReference)
    {
        if (_loaded.TryGetValue(packReference, out var loaded))
        {
            return loaded;
        }

        if (_loaded.Count >= MaxLoadedPacks)
        {
            foreach (var old in _loaded.Values)
            {
                old.Dispose();
            }

            _loaded.Clear();
        }

        if (!HostColorizer.TryLoad(_services, packReference, out loaded, out var failure))
        {
            throw new ApiException(StatusCodes.Status500InternalServerError, $"{failure.Subject}: {failure.Reason}");
        }

        _loaded[packReference] = loaded;
        return loaded;
    }

    /// <summary>
    /// JPEG in, JPEG out (quality 95, 4:2:0 like most cameras: photos stay photo-sized); everything else, and any
    /// result with alpha or 16-bit channels, as PNG, which keeps every bit.
    /// </summary>
    internal static (IImageEncoder Encoder, string Extension) ResultEncoder(ImageFormat input, PixelFormat result) =>
        input == ImageFormat.Jpeg && !result.HasAlpha() && result.BitsPerChannel() == 8
            ? (new Imaging.Formats.Jpeg.JpegEncoder { Quality = 95 }, "jpg")
            : (new Imaging.Formats.Png.PngEncoder(), "png");

    /// <summary>
    /// Forgets finished jobs older than the lifetime, and the oldest beyond the count limit or while the results kept
    /// pass <see cref="WebSettings.MaxRetainedBytes"/>.
    /// </summary>
    private void Prune()
    {
        var now = DateTime.UtcNow;
        var finished = _jobs.Values.Where(j => j.IsFinished).OrderBy(j => j.Finished).ToList();
        int excess = finished.Count - _settings.MaxFinishedJobs;
        long retained = finished.Sum(j => j.RetainedBytes);
        foreach (var job in finished)
        {
            // The newest finished job stays whatever its size: its client is about to fetch the result.
            bool overBudget = retained > _settings.MaxRetainedBytes && job != finished[^1];
            if (excess-- > 0 || overBudget || now - job.Finished > _settings.FinishedJobLifetime)
            {
                retained -= job.RetainedBytes;
                if (_jobs.TryRemove(job.Id, out _))
                {
                    job.Dispose();
                }
            }
        }
    }
}
