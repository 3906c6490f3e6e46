using System.Text;
using System.Text.RegularExpressions;
using Colorize.Host;

namespace Colorize.Host.Tests;

/// <summary>
/// <c>colorize serve --port 0 ...</c> run through the real entry point (<see cref="ColorizeCli.Run"/>) on a
/// background thread against a <see cref="HostHarness"/> home; the URL is read from what the command prints, and
/// disposing cancels the command's token as Ctrl+C does and checks it stopped cleanly (exit 0).
/// </summary>
internal sealed partial class ServeHarness : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly LineWriter _out = new();
    private readonly LineWriter _error = new();
    private readonly Task<int> _run;

    public ServeHarness(HostHarness host, params string[] extraArgs)
    {
        string[] args = ["serve", "--port", "0", .. extraArgs];
        var context = new CliContext { Out = _out, Error = _error, Home = host.Home, WorkingDirectory = host.Work, Cancellation = _stop.Token };
        _run = Task.Factory.StartNew(() => ColorizeCli.Run(args, context), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (UrlLine().Match(_out.Text) is not { Success: true } match)
        {
            if (_run.IsCompleted)
            {
                throw new InvalidOperationException($"serve exited with {_run.Result} before listening:\n{_out.Text}\n{_error.Text}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"serve printed no URL within 30 s:\n{_out.Text}\n{_error.Text}");
            }

            Thread.Sleep(20);
        }

        Url = new Uri(UrlLine().Match(_out.Text).Groups[1].Value);
        Client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri Url { get; }

    public HttpClient Client { get; }

    public string Out => _out.Text;

    public string Error => _error.Text;

    /// <summary>Stops the server as Ctrl+C does and returns the command's exit code.</summary>
    public int Stop()
    {
        _stop.Cancel();
        Assert.True(_run.Wait(TimeSpan.FromSeconds(30)), "serve did not stop within 30 s of cancellation");
        return _run.Result;
    }

    public void Dispose()
    {
        Client.Dispose();
        if (!_run.IsCompleted)
        {
            Stop();
        }

        _stop.Dispose();
    }

    [GeneratedRegex(@"listening on (http://\S+)")]
    private static partial Regex UrlLine();

    /// <summary>A writer the server thread and the test thread can share.</summary>
    private sealed class LineWriter : TextWriter
    {
        private readonly StringBuilder _text = new();

        public override Encoding Encoding => Encoding.UTF8;

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public override void Write(char value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }
    }
}
