using System.Runtime.InteropServices;
using Colorize.Host;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops the batch after the current image (no partial file is left); a second one kills.
    e.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
};

// SIGTERM (a service manager, `kill`) stops the same way: serve shuts down cleanly, a batch after the current image.
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
{
    signal.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
});

return ColorizeCli.Run(args, CliContext.FromConsole(cancel.Token));
