using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Colorize.Imaging;

namespace Colorize.Host.Tests;

/// <summary>
/// A truncated or damaged input is refused by the command line (exit 1, one line, nothing written) and by the web
/// UI (422), unless the user asks for the decoded part: <c>--allow-truncated</c> / <c>allowTruncated=true</c>
/// (issue 15: half a JPEG used to be colorized with exit code 0 and HTTP 200, its lower half flat pink-grey).
/// </summary>
public sealed class DamagedInputTests : IDisposable
{
    private const int Width = 128;
    private const int Height = 96;
    private readonly HostHarness _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void TruncatedJpeg_IsRefusedWithOneLine_AndNothingIsWritten()
    {
        _host.InstallTinyPack();
        string input = HalfJpeg("half.jpg");

        var run = _host.Run(input, "-o", "out.png", "--pack", "tiny-unet");

        Assert.True(run.ExitCode == 1, run.ToString());
        string line = Assert.Single(run.ErrorLines);
        Assert.Matches($@"^error: {Regex.Escape(input)}: truncated JPEG: \d+ of {Height} rows decoded \(--allow-truncated colorizes the decoded part\)$", line);
        Assert.False(File.Exists(_host.InWork("out.png")), "a refused input must leave no output");
        Assert.Empty(Directory.GetFiles(_host.Work, ".*.tmp"));
    }

    [Fact]
    public void AllowTruncated_ColorizesTheDecodedRows_AndPrintsOneWarning()
    {
        _host.InstallTinyPack();
        string input = HalfJpeg("half.jpg");
        int rows = Assert.Throws<TruncatedImageException>(() => Image.Load(input)).RowsDecoded;

        var run = _host.Run(input, "-o", "out.png", "--pack", "tiny-unet", "--allow-truncated");

        Assert.True(run.ExitCode == 0, run.ToString());
        string line = Assert.Single(run.ErrorLines);
        Assert.Matches($@"^warning: {Regex.Escape(input)}: truncated JPEG: {rows} of {Height} rows decoded; colorized the decoded part \({Width}x{rows}\)$", line);
        var result = Image.Load(_host.InWork("out.png"));
        Assert.Equal((Width, rows), (result.Width, result.Height));
    }

    [Fact]
    public void AllowTruncated_LeavesWholeInputsAlone()
    {
        _host.InstallTinyPack();
        string input = _host.WriteGray("whole.jpg", Width, Height);

        var run = _host.Run(input, "-o", "out.png", "--pack", "tiny-unet", "--allow-truncated");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Error);
        Assert.Equal(Height, Image.Load(_host.InWork("out.png")).Height);
    }

    [Fact]
    public void Json_ReportsTheRefusal_AndWithAllowTruncatedTheWarning()
    {
        _host.InstallTinyPack();
        string input = HalfJpeg("half.jpg");

        var refused = _host.Run(input, "-o", "refused.png", "--pack", "tiny-unet", "--json");
        var allowed = _host.Run(input, "-o", "allowed.png", "--pack", "tiny-unet", "--json", "--allow-truncated");

        Assert.Equal(1, refused.ExitCode);
        var failed = JsonDocument.Parse(refused.Out).RootElement.GetProperty("results")[0];
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.StartsWith("truncated JPEG: ", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, allowed.ExitCode);
        var ok = JsonDocument.Parse(allowed.Out).RootElement.GetProperty("results")[0];
        Assert.Equal("ok", ok.GetProperty("status").GetString());
        Assert.StartsWith("truncated JPEG: ", ok.GetProperty("warning").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Web_TruncatedJpeg_Is422_WithTheDecodersMessage()
    {
        _host.InstallTinyPack();
        byte[] half = File.ReadAllBytes(HalfJpeg("half.jpg"));
        using var server = new ServeHarness(_host);

        using var response = await server.Client.PostAsync("api/colorize", Form(half, ("pack", "tiny-unet")));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        string error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;
        Assert.Matches($@"^truncated JPEG: \d+ of {Height} rows decoded$", error);
    }

    [Fact]
    public async Task Web_AllowTruncated_ColorizesTheDecodedRows_AndSaysSo()
    {
        _host.InstallTinyPack();
        string path = HalfJpeg("half.jpg");
        int rows = Assert.Throws<TruncatedImageException>(() => Image.Load(path)).RowsDecoded;
        byte[] half = File.ReadAllBytes(path);
        using var server = new ServeHarness(_host);

        using var response = await server.Client.PostAsync("api/colorize", Form(half, ("pack", "tiny-unet"), ("allowTruncated", "true")));
        using var submitted = await server.Client.PostAsync("api/jobs", Form(half, ("pack", "tiny-unet"), ("allowTruncated", "true")));
        using var bad = await server.Client.PostAsync("api/jobs", Form(half, ("pack", "tiny-unet"), ("allowTruncated", "maybe")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = Image.Load(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((Width, rows), (result.Width, result.Height));
        Assert.Equal($"truncated JPEG: {rows} of {Height} rows decoded", Assert.Single(response.Headers.GetValues("X-Colorize-Warning")));

        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        string url = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()).RootElement.GetProperty("url").GetString()!;
        JsonElement job = default;
        for (int i = 0; i < 300; i++)
        {
            job = JsonDocument.Parse(await server.Client.GetStringAsync(url)).RootElement;
            if (job.GetProperty("status").GetString() is "done" or "failed")
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.Equal("done", job.GetProperty("status").GetString());
        Assert.Equal($"truncated JPEG: {rows} of {Height} rows decoded", job.GetProperty("warning").GetString());

        // The "before" picture is the decoded part too, so the two line up under the divider.
        var before = Image.Load(await server.Client.GetByteArrayAsync(job.GetProperty("sourceUrl").GetString()));
        Assert.Equal((Width, rows), (before.Width, before.Height));

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    /// <summary>A gray JPEG cut in the middle of its image data.</summary>
    private string HalfJpeg(string name)
    {
        byte[] whole = File.ReadAllBytes(_host.WriteGray("whole-" + name, Width, Height));
        int scan = Enumerable.Range(0, whole.Length - 1).First(i => whole[i] == 0xFF && whole[i + 1] == 0xDA);
        string path = _host.InWork(name);
        File.WriteAllBytes(path, whole[..(scan + ((whole.Length - scan) / 2))]);
        return path;
    }

    private static MultipartFormDataContent Form(byte[] file, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        var content = new ByteArrayContent(file);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("image/jpeg");
        form.Add(content, "file", "half.jpg");
        return form;
    }
}
