using System.Net;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Colorize.Abstractions.Packs;
using Colorize.Imaging;
using Colorize.Plugins;
using Colorize.Plugins.Packs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Colorize.Host.Web;

/// <summary>
/// The local web UI: Kestrel on one address, the page (embedded in this assembly, no CDN) and the JSON/image API
/// documented in README.md. Every colorization goes through <see cref="JobQueue"/>, one at a time.
/// </summary>
internal sealed class WebServer : IAsyncDisposable
{
    /// <summary>The page may load only what this server serves: no CDN, no inline script, no framing.</summary>
    public const string ContentSecurityPolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly Dictionary<string, (string Resource, string ContentType)> Assets = new(StringComparer.Ordinal)
    {
        ["/"] = ("index.html", "text/html; charset=utf-8"),
        ["/app.js"] = ("app.js", "text/javascript; charset=utf-8"),
        ["/hints.js"] = ("hints.js", "text/javascript; charset=utf-8"),
        ["/app.css"] = ("app.css", "text/css; charset=utf-8"),
        ["/favicon.svg"] = ("favicon.svg", "image/svg+xml"),
    };

    private readonly WebApplication _app;
    private readonly JobQueue _jobs;
    private readonly WebSettings _settings;
    private readonly PackStore _store;
    private readonly ColorizerFactory _factory;
    private readonly CliContext _context;
    private readonly bool _loopbackOnly;

    private WebServer(WebApplication app, JobQueue jobs, WebSettings settings, ServiceProvider services, CliContext context)
    {
        _app = app;
        _jobs = jobs;
        _settings = settings;
        _context = context;
        _store = services.GetRequiredService<PackStore>();
        _factory = services.GetRequiredService<ColorizerFactory>();
        _loopbackOnly = IPAddress.IsLoopback(settings.Address);
        Url = new Uri("http://127.0.0.1/");
    }

    /// <summary>Where the UI is, with the real port (also when 0 was asked for).</summary>
    public Uri Url { get; private set; }

    /// <summary>Fires when the server stops by itself.</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    /// <summary>Starts listening; throws <see cref="IOException"/> when the address cannot be bound.</summary>
    public static async Task<WebServer> StartAsync(ServiceProvider services, WebSettings settings, CliContext context, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(WebServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();

        // Ctrl+C belongs to the command (its cancellation token), not to the host: in-process tests run several.
        builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // The uploads' own checks enforce MaxUploadBytes (413 from the declared length before reading, and while
            // reading). Kestrel's limit sits above it so that after such a 413 Kestrel can still drain the rest of a
            // moderately oversized body: at exactly the limit it closes the connection instead, and a client that is
            // still sending sees a reset rather than the 413.
            kestrel.Limits.MaxRequestBodySize = (2 * settings.MaxUploadBytes) + (1 << 20);
            kestrel.Listen(settings.Address, settings.Port);
        });
        var app = builder.Build();
        var jobs = new JobQueue(services, settings, context);
        var server = new WebServer(app, jobs, settings, services, context);
        server.Map();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            await jobs.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.Url = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        // Cancel running work first so that stopping does not wait for a long colorization.
        await _jobs.DisposeAsync().ConfigureAwait(false);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private void Map()
    {
        _app.Use(Guard);
        foreach (var (path, asset) in Assets)
        {
            _app.MapGet(path, context => ServeAsset(context, asset.Resource, asset.ContentType));
        }

        _app.MapGet("/api/info", Info);
        _app.MapGet("/api/packs", Packs);
        _app.MapPost("/api/colorize", ColorizeNow);
        _app.MapPost("/api/jobs", SubmitJob);
        _app.MapGet("/api/jobs/{id}", JobStatus);
        _app.MapGet("/api/jobs/{id}/result", JobResult);
        _app.MapGet("/api/jobs/{id}/source", JobSource);
        _app.MapDelete("/api/jobs/{id}", DeleteJob);
        _app.MapFallback(context => throw new ApiException(StatusCodes.Status404NotFound, $"no such endpoint: {context.Request.Method} {Uploads.Clip(context.Request.Path.Value ?? "")}"));
    }

    /// <summary>
    /// Runs first on every request: security headers; on loopback, only loopback Host names (a web page that
    /// rebinds its own name to 127.0.0.1 gets nothing); no cross-origin writes; and every failure becomes a
    /// one-line JSON error instead of a dropped connection.
    /// </summary>
    private async Task Guard(HttpContext context, RequestDelegate next)
    {
        SetSecurityHeaders(context.Response.Headers);
        try
        {
            if (_loopbackOnly && !IsLoopbackHost(context.Request.Host.Host))
            {
                throw new ApiException(StatusCodes.Status400BadRequest, $"this server answers only to loopback names (127.0.0.1, localhost), not '{Uploads.Clip(context.Request.Host.Host)}'");
            }

            if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
                && context.Request.Headers.Origin is [{ } origin] && !IsSameOrigin(origin, context.Request))
            {
                throw new ApiException(StatusCodes.Status403Forbidden, "cross-origin requests are refused");
            }

            await next(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e)
        {
            var (status, message) = e switch
            {
                ApiException api => (api.Status, api.Message),
                BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
                    (bad.StatusCode, $"the upload is larger than this server's limit of {ServeCommand.Megabytes(_settings.MaxUploadBytes)} MB"),
                BadHttpRequestException bad => (bad.StatusCode, bad.Message),
                _ => (StatusCodes.Status500InternalServerError, $"{e.GetType().Name}: {e.Message}"),
            };
            if (status >= 500)
            {
                _context.ReportError(context.Request.Path.Value ?? "/", message);
            }

            if (!context.Response.HasStarted)
            {
                await WriteError(context, status, message, (e as ApiException)?.RetryAfterSeconds).ConfigureAwait(false);
            }
        }
    }

    private static void SetSecurityHeaders(IHeaderDictionary headers)
    {
        headers[HeaderNames.ContentSecurityPolicy] = ContentSecurityPolicy;
        headers[HeaderNames.XContentTypeOptions] = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers[HeaderNames.XFrameOptions] = "DENY";
        headers[HeaderNames.CacheControl] = "no-store";
    }

    private static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private static bool IsSameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && uri.Scheme == request.Scheme
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);

    private static Task WriteError(HttpContext context, int status, string message, int? retryAfterSeconds = null)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        SetSecurityHeaders(context.Response.Headers);
        if (retryAfterSeconds is { } seconds)
        {
            // Only a busy server says when to try again; "no engine" or "stopping" would not change by retrying.
            context.Response.Headers[HeaderNames.RetryAfter] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (status == StatusCodes.Status413PayloadTooLarge)
        {
            // The rest of an oversized body is not read; closing tells the client not to send more on this connection.
            context.Response.Headers[HeaderNames.Connection] = "close";
        }

        return WriteJson(context, new JsonObject { ["error"] = message.ReplaceLineEndings(" ").Trim() });
    }

    private static Task WriteJson(HttpContext context, JsonNode node)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(node.ToJsonString(JsonOptions), context.RequestAborted);
    }

    // Relaxed escaping keeps quotes and '+' readable; the JSON is served as application/json, never inlined in HTML.
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static async Task ServeAsset(HttpContext context, string resource, string contentType)
    {
        using var stream = typeof(WebServer).Assembly.GetManifestResourceStream("Colorize.Host.Web.wwwroot." + resource)
            ?? throw new ApiException(StatusCodes.Status500InternalServerError, $"the page asset {resource} is missing from the build");
        context.Response.ContentType = contentType;
        context.Response.Headers[HeaderNames.CacheControl] = "no-cache";
        context.Response.ContentLength = stream.Length;
        await stream.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/info</c>: the version, formats and engines, and the limits the README documents.</summary>
    private Task Info(HttpContext context)
    {
        var (heldBytes, jobs, pixels) = _jobs.Budget.Held;
        return WriteJson(context, new JsonObject
        {
            ["version"] = typeof(WebServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
            ["maxUploadBytes"] = _settings.MaxUploadBytes,
            ["maxPixels"] = _settings.MaxPixels,
            ["maxHints"] = Abstractions.ColorizeOptions.MaxHints,
            ["formats"] = new JsonArray([.. ImageFormatRegistry.Default.Decoders.Select(d => (JsonNode)JsonValue.Create(d.Format.Name))]),
            ["engines"] = new JsonArray([.. _factory.Engines.Select(e => (JsonNode)JsonValue.Create($"{e.Id} {e.Version}"))]),
            ["pending"] = jobs,
            ["limits"] = new JsonObject
            {
                ["workers"] = 1,
                ["maxUploadBytes"] = _settings.MaxUploadBytes,
                ["maxPixels"] = _settings.MaxPixels,
                ["maxQueuedJobs"] = _jobs.Budget.MaxJobs,
                ["maxQueuedPixels"] = _jobs.Budget.MaxPixels,
                ["maxHeldUploadBytes"] = _jobs.Budget.MaxBytes,
                ["maxFinishedJobs"] = _settings.MaxFinishedJobs,
                ["maxRetainedBytes"] = _settings.MaxRetainedBytes,
                ["finishedJobSeconds"] = (long)_settings.FinishedJobLifetime.TotalSeconds,
                ["retryAfterSeconds"] = WorkBudget.RetryAfterSeconds,
            },
            ["queue"] = new JsonObject { ["jobs"] = jobs, ["pixels"] = pixels, ["uploadBytes"] = heldBytes },
        });
    }

    /// <summary>Installed and bundled packs, newest first per id; the one an empty choice resolves to is marked default.</summary>
    private Task Packs(HttpContext context)
    {
        var packs = _store.List();
        string? defaultReference = _store.TryResolve(null, out var resolved) ? resolved.Reference : null;
        return WriteJson(context, new JsonObject
        {
            ["defaultId"] = _store.DefaultPackId,
            ["default"] = defaultReference,
            ["packs"] = new JsonArray([.. packs.Select(p => (JsonNode)new JsonObject
            {
                ["id"] = p.Id,
                ["version"] = p.Version.ToString(),
                ["reference"] = p.Reference,
                ["name"] = p.Manifest.Name,
                ["description"] = p.Manifest.Description,
                ["architecture"] = p.Manifest.Architecture.Name,
                ["defaultRenderSize"] = p.Manifest.Input.DefaultRenderSize,
                ["hints"] = p.Manifest.Input.Hints,
                ["source"] = p.Source.ToString().ToLowerInvariant(),
                ["default"] = p.Reference == defaultReference && p.Directory == resolved?.Directory,
            })]),
        });
    }

    /// <summary>Reads and checks an upload, resolves its pack to an exact version and queues it.</summary>
    /// <remarks>
    /// The body's share of the <see cref="WorkBudget"/> is reserved before it is read (its declared length, or the
    /// upload limit when chunked), so a burst of uploads is refused with 503 instead of all being held in memory.
    /// </remarks>
    private async Task<ColorizeJob> Accept(HttpContext context)
    {
        Uploads.CheckDeclaredLength(context.Request, _settings.MaxUploadBytes);
        var ticket = _jobs.Budget.Reserve(context.Request.ContentLength ?? _settings.MaxUploadBytes);
        try
        {
            var form = await Uploads.ReadFormAsync(context.Request, _settings.MaxUploadBytes, context.RequestAborted).ConfigureAwait(false);
            ticket.Settle(form.Data.Length);
            var (packSpec, options) = Uploads.ReadOptions(form.Fields, _settings.Threads);
            bool allowTruncated = Uploads.ReadAllowTruncated(form.Fields);
            var upload = Uploads.Inspect(form, _settings.DecoderOptions);
            if (_factory.Engines.Count == 0)
            {
                throw new ApiException(StatusCodes.Status503ServiceUnavailable, HostColorizer.NoEngineMessage(_store));
            }

            InstalledPack pack;
            try
            {
                pack = _store.Resolve(packSpec);
            }
            catch (ModelPackException e)
            {
                throw new ApiException(StatusCodes.Status400BadRequest, e.Message);
            }

            var hints = Uploads.ReadHints(form.Fields, upload.Width, upload.Height);
            if (hints.Count > 0)
            {
                // The manifest says whether the model takes hints (contract 1.2); the worker checks the colorizer again.
                if (!pack.Manifest.Input.Hints)
                {
                    throw new ApiException(StatusCodes.Status422UnprocessableEntity, HostColorizer.NoHintsMessage(pack.Reference));
                }

                options = options with { Hints = hints };
            }

            return _jobs.Submit(upload, pack.Reference, options, allowTruncated, ticket);
        }
        catch
        {
            ticket.Dispose();
            throw;
        }
    }

    /// <summary><c>POST /api/colorize</c>: waits for its turn and answers with the image itself.</summary>
    private async Task ColorizeNow(HttpContext context)
    {
        var job = await Accept(context).ConfigureAwait(false);
        try
        {
            await job.Completion.WaitAsync(context.RequestAborted).ConfigureAwait(false);
            switch (job.State)
            {
                case JobState.Done when job.Result is { } result:
                    context.Response.Headers["X-Colorize-Pack"] = job.PackReference;
                    if (job.Warning is { } warning)
                    {
                        // Header values must be ASCII; the decoders' messages are, but be sure.
                        context.Response.Headers["X-Colorize-Warning"] = string.Concat(warning.Where(char.IsAscii));
                    }

                    await SendImage(context, result.Data, result.MimeType, result.FileName, attachment: true).ConfigureAwait(false);
                    break;
                case JobState.Failed:
                    throw new ApiException(job.ErrorStatus ?? StatusCodes.Status500InternalServerError, job.Error ?? "failed");
                default:
                    throw new ApiException(StatusCodes.Status503ServiceUnavailable, "the colorization was cancelled (the server is stopping)");
            }
        }
        finally
        {
            // Cancels it when the client went away; the result was sent or is no longer wanted.
            _jobs.Remove(job.Id);
        }
    }

    /// <summary><c>POST /api/jobs</c>: queues the image and answers 202 with the job; poll it for progress.</summary>
    private async Task SubmitJob(HttpContext context)
    {
        var job = await Accept(context).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.Headers.Location = $"/api/jobs/{job.Id}";
        await WriteJson(context, JobJson(job)).ConfigureAwait(false);
    }

    private Task JobStatus(HttpContext context) => WriteJson(context, JobJson(FindJob(context)));

    private Task JobResult(HttpContext context)
    {
        var job = FindJob(context);
        if (job.State == JobState.Failed)
        {
            throw new ApiException(job.ErrorStatus ?? StatusCodes.Status500InternalServerError, job.Error ?? "failed");
        }

        if (job.Result is not { } result)
        {
            throw new ApiException(StatusCodes.Status409Conflict, $"the job is {job.State.ToString().ToLowerInvariant()}, it has no result");
        }

        bool download = context.Request.Query.ContainsKey("download");
        return SendImage(context, result.Data, result.MimeType, result.FileName, download);
    }

    private Task JobSource(HttpContext context)
    {
        var job = FindJob(context);
        if (job.Preview is not { } preview)
        {
            throw new ApiException(StatusCodes.Status409Conflict, "the preview of this image is made when its turn comes");
        }

        return SendImage(context, preview.Data, preview.MimeType, null, attachment: false);
    }

    private Task DeleteJob(HttpContext context)
    {
        if (!_jobs.Remove(RouteId(context)))
        {
            throw new ApiException(StatusCodes.Status404NotFound, "no such job (finished jobs are kept for 30 minutes)");
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private ColorizeJob FindJob(HttpContext context) =>
        _jobs.Find(RouteId(context)) ?? throw new ApiException(StatusCodes.Status404NotFound, "no such job (finished jobs are kept for 30 minutes)");

    private static string RouteId(HttpContext context) => context.GetRouteValue("id") as string ?? "";

    private JsonObject JobJson(ColorizeJob job)
    {
        var s = job.Snapshot(_jobs.QueuePosition(job));
        string url = $"/api/jobs/{s.Id}";
        return new JsonObject
        {
            ["id"] = s.Id,
            ["name"] = s.Name,
            ["status"] = s.State.ToString().ToLowerInvariant(),
            ["progress"] = Math.Round(s.Progress, 4),
            ["stage"] = s.Stage,
            ["queuePosition"] = s.QueuePosition,
            ["pack"] = s.Pack,
            ["width"] = s.Width,
            ["height"] = s.Height,
            ["seconds"] = Math.Round(s.Seconds, 3),
            ["error"] = s.Error,
            ["errorStatus"] = s.ErrorStatus,
            ["warning"] = s.Warning,
            ["hints"] = job.Options.Hints?.Count ?? 0,
            ["url"] = url,
            ["resultUrl"] = s.State == JobState.Done ? url + "/result" : null,
            ["downloadUrl"] = s.State == JobState.Done ? url + "/result?download=1" : null,
            ["downloadName"] = s.DownloadName,
            ["sourceUrl"] = s.HasPreview ? url + "/source" : null,
        };
    }

    private static async Task SendImage(HttpContext context, byte[] data, string mimeType, string? fileName, bool attachment)
    {
        context.Response.ContentType = mimeType;
        context.Response.ContentLength = data.Length;
        if (fileName is not null)
        {
            // Only the sanitized stem of the client's name ever appears here (Uploads.SafeStem); filename* keeps non-ASCII letters.
            var disposition = new ContentDispositionHeaderValue(attachment ? "attachment" : "inline");
            disposition.SetHttpFileName(fileName);
            context.Response.Headers[HeaderNames.ContentDisposition] = disposition.ToString();
        }

        // In slices: one write of a whole result copies all of it into Kestrel's pinned buffer pool, which keeps
        // those blocks afterwards (14 MB of pinned heap after a few 49 MP results); a slice at a time, the pool
        // never holds more than a slice of it.
        for (int offset = 0; offset < data.Length; offset += ResponseSlice)
        {
            int count = Math.Min(ResponseSlice, data.Length - offset);
            await context.Response.Body.WriteAsync(data.AsMemory(offset, count), context.RequestAborted).ConfigureAwait(false);
        }
    }

    private const int ResponseSlice = 64 * 1024;

    /// <summary>A host lifetime that leaves signals alone: the command decides when the server stops.</summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
