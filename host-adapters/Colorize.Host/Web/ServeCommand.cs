using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Colorize.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace Colorize.Host.Web;

/// <summary>What <c>colorize serve [options]</c> was asked to do.</summary>
internal sealed record ServeRequest
{
    public string? Host { get; init; }

    public int? Port { get; init; }

    /// <summary>docs/DESIGN.md's <c>--urls http://host:port</c>, an alternative spelling of <c>--host</c> and <c>--port</c>.</summary>
    public string? Urls { get; init; }

    public int? MaxUploadMb { get; init; }

    public double? MaxMegapixels { get; init; }

    public int? Threads { get; init; }
}

/// <summary>
/// <c>colorize serve</c>: checks the options, starts the web UI (<see cref="WebServer"/>), prints its URL and serves
/// until the command's cancellation (Ctrl+C) fires, then stops cleanly (running colorizations are cancelled).
/// </summary>
internal static class ServeCommand
{
    public const int DefaultPort = 5000;
    public const int DefaultMaxUploadMb = 64;
    public const double DefaultMaxMegapixels = 50;

    public static int Run(CliContext context, ServeRequest request)
    {
        if (!TryGetEndpoint(request, out var address, out int port, out var usage))
        {
            context.ReportError(usage.Option, usage.Reason);
            return ExitCodes.Usage;
        }

        int maxUploadMb = request.MaxUploadMb ?? DefaultMaxUploadMb;
        if (maxUploadMb is < 1 or > 4096)
        {
            context.ReportError("--max-upload-mb", "must be between 1 and 4096");
            return ExitCodes.Usage;
        }

        double maxMegapixels = request.MaxMegapixels ?? DefaultMaxMegapixels;
        if (!(maxMegapixels > 0 && maxMegapixels <= 268))
        {
            // 268 MP is the decoders' own ceiling (16384 x 16384).
            context.ReportError("--max-megapixels", "must be more than 0 and at most 268");
            return ExitCodes.Usage;
        }

        if (request.Threads is < 1)
        {
            context.ReportError("--threads", "must be at least 1");
            return ExitCodes.Usage;
        }

        using var services = ColorizeCli.CreateServices(context);
        var factory = services.GetRequiredService<ColorizerFactory>();
        if (factory.Engines.Count == 0)
        {
            context.ReportError(Path.Combine(AppContext.BaseDirectory, "plugins"), HostColorizer.NoEngineMessage(services.GetRequiredService<Plugins.Packs.PackStore>()));
            return ExitCodes.NoPackOrPlugin;
        }

        if (!IPAddress.IsLoopback(address))
        {
            context.Error.WriteLine($"warning: serve: listening on {address}, not loopback: other machines on the network can use this server, and it has no authentication");
        }

        var settings = new WebSettings
        {
            Address = address,
            Port = port,
            MaxUploadBytes = maxUploadMb * 1024L * 1024L,
            MaxPixels = (long)(maxMegapixels * 1_000_000),
            Threads = request.Threads,
        };

        WebServer server;
        try
        {
            server = WebServer.StartAsync(services, settings, context, context.Cancellation).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
        {
            string where = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
            context.ReportError(where, $"cannot listen: {(e.InnerException ?? e).Message}");
            return ExitCodes.SomeFailed;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Success;
        }

        try
        {
            context.Out.WriteLine($"colorize serve: listening on {server.Url} (Ctrl+C stops)");
            context.Out.Flush();
            WaitHandle.WaitAny([context.Cancellation.WaitHandle, server.Stopping.WaitHandle]);
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        context.Out.WriteLine("colorize serve: stopped");
        return ExitCodes.Success;
    }

    /// <summary>
    /// Where to listen: <c>--host</c> (an IP address or <c>localhost</c>, default 127.0.0.1) and <c>--port</c>
    /// (0 picks a free one), or <c>--urls http://host:port</c>. Names other than localhost are refused: binding to
    /// whatever a name resolves to is how a server ends up reachable by accident.
    /// </summary>
    private static bool TryGetEndpoint(ServeRequest request, out IPAddress address, out int port, out (string Option, string Reason) usage)
    {
        address = IPAddress.Loopback;
        port = DefaultPort;
        usage = ("", "");
        string? host = request.Host;
        int? requestedPort = request.Port;
        if (request.Urls is { } urls)
        {
            if (host is not null || requestedPort is not null)
            {
                usage = ("--urls", "give either --urls or --host/--port, not both");
                return false;
            }

            if (urls.Contains(';', StringComparison.Ordinal) || !Uri.TryCreate(urls, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.AbsolutePath != "/")
            {
                usage = ("--urls", $"'{urls}' is not one http://<address>:<port> URL (https and paths are not supported)");
                return false;
            }

            host = uri.Host.Trim('[', ']');
            requestedPort = uri.Port;
        }

        if (requestedPort is { } p)
        {
            if (p is < 0 or > 65535)
            {
                usage = ("--port", "must be between 0 (any free port) and 65535");
                return false;
            }

            port = p;
        }

        if (host is null || host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!IPAddress.TryParse(host, out var parsed))
        {
            usage = ("--host", $"'{host}' is not an IP address; give one such as 127.0.0.1, ::1 or 0.0.0.0 (or localhost)");
            return false;
        }

        address = parsed;
        return true;
    }

    internal static string Megabytes(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.#", CultureInfo.InvariantCulture);
}
