using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Colorize.Abstractions;
using Colorize.Host.Web;
using Colorize.Imaging;
using Microsoft.Extensions.DependencyInjection;

namespace Colorize.Host.Tests;

/// <summary>
/// Memory of <c>colorize serve</c> and of the command (issue 15 §3): the work in flight is bounded (a request beyond the
/// budget gets 503 and Retry-After before its body is read), finished jobs let go of their uploads, the limits are
/// published, and a photo is colorized in place when its format stays.
/// </summary>
public sealed class ServeMemoryTests : IDisposable
{
    private readonly HostHarness _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public void Budget_AdmitsALoneRequestWhateverItsSize()
    {
        var budget = new WorkBudget(maxJobs: 2, maxPixels: 100, maxBytes: 1000);
        using var ticket = budget.Reserve(5000);
        ticket.Admit(500);
        Assert.Equal((5000L, 1, 500L), budget.Held);
    }

    [Fact]
    public void Budget_RefusesBytesBeyondIt_With503_UntilTheyAreGivenBack()
    {
        var budget = new WorkBudget(maxJobs: 10, maxPixels: 1000, maxBytes: 1000);
        var first = budget.Reserve(600);
        var refused = Assert.Throws<ApiException>(() => budget.Reserve(500));
        Assert.Equal(503, refused.Status);
        Assert.Equal(WorkBudget.RetryAfterSeconds, refused.RetryAfterSeconds);
        Assert.Contains("busy", refused.Message, StringComparison.Ordinal);

        // Once read, the body holds less than its declared length (the multipart framing is gone).
        first.Settle(400);
        using var second = budget.Reserve(500);
        first.Dispose();
        first.Dispose();
        Assert.Equal((500L, 0, 0L), budget.Held);
    }

    [Fact]
    public void Budget_RefusesJobsAndPixelsBeyondIt_With503()
    {
        var budget = new WorkBudget(maxJobs: 2, maxPixels: 1000, maxBytes: 1 << 20);
        using var a = budget.Reserve(1);
        a.Admit(700);
        using var b = budget.Reserve(1);
        Assert.Equal(503, Assert.Throws<ApiException>(() => b.Admit(400)).Status);
        b.Admit(300);
        using var c = budget.Reserve(1);
        Assert.Equal(503, Assert.Throws<ApiException>(() => c.Admit(1)).Status);
        a.Dispose();
        c.Admit(1);
        Assert.Equal((2L, 2, 301L), budget.Held);
    }

    [Fact]
    public async Task Uploads_BeyondTheBudget_Get503AndRetryAfter_BeforeTheirBodyIsRead_AndTheServerGoesOn()
    {
        _host.InstallTinyPack();
        byte[] png = File.ReadAllBytes(_host.WriteGray("photo.png", 40, 30));

        // --max-upload-mb 1: uploads may hold 4 MB at once; a chunked body (no declared length) reserves the whole 1 MB.
        using var server = new ServeHarness(_host, "--max-upload-mb", "1");
        var open = new List<(StalledBody Body, Task<HttpResponseMessage> Response)>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                var body = new StalledBody();
                var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = body };
                open.Add((body, server.Client.SendAsync(request)));
            }

            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Queue(await server.Client.GetStringAsync("api/info")).GetProperty("uploadBytes").GetInt64() < 4L << 20)
            {
                Assert.True(DateTime.UtcNow < deadline, "the four stalled uploads were not reserved within 30 s");
                await Task.Delay(50);
            }

            using (var refused = await server.Client.PostAsync("api/jobs", Form(png)))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.Equal(TimeSpan.FromSeconds(WorkBudget.RetryAfterSeconds), refused.Headers.RetryAfter?.Delta);
                string error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;
                Assert.StartsWith("the server is busy", error, StringComparison.Ordinal);
            }
        }
        finally
        {
            foreach (var (body, _) in open)
            {
                body.Fail();
            }

            foreach (var (_, response) in open)
            {
                try
                {
                    (await response).Dispose();
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }
            }
        }

        // The abandoned bodies gave their share back: the next upload goes through.
        var until = DateTime.UtcNow.AddSeconds(30);
        while (Queue(await server.Client.GetStringAsync("api/info")).GetProperty("uploadBytes").GetInt64() != 0)
        {
            Assert.True(DateTime.UtcNow < until, "the abandoned uploads still hold the budget after 30 s");
            await Task.Delay(50);
        }

        using var accepted = await server.Client.PostAsync("api/colorize", Form(png));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Info_PublishesTheLimits()
    {
        _host.InstallTinyPack();
        using var server = new ServeHarness(_host, "--max-upload-mb", "10", "--max-megapixels", "20");
        var limits = JsonDocument.Parse(await server.Client.GetStringAsync("api/info")).RootElement.GetProperty("limits");
        Assert.Equal(1, limits.GetProperty("workers").GetInt32());
        Assert.Equal(10L << 20, limits.GetProperty("maxUploadBytes").GetInt64());
        Assert.Equal(20_000_000, limits.GetProperty("maxPixels").GetInt64());
        Assert.Equal(16, limits.GetProperty("maxQueuedJobs").GetInt32());
        Assert.Equal(160_000_000, limits.GetProperty("maxQueuedPixels").GetInt64());
        Assert.Equal(40L << 20, limits.GetProperty("maxHeldUploadBytes").GetInt64());
        Assert.Equal(40L << 20, limits.GetProperty("maxRetainedBytes").GetInt64());
        Assert.Equal(100, limits.GetProperty("maxFinishedJobs").GetInt32());
        Assert.Equal(1800, limits.GetProperty("finishedJobSeconds").GetInt32());
        Assert.Equal(WorkBudget.RetryAfterSeconds, limits.GetProperty("retryAfterSeconds").GetInt32());
    }

    [Fact]
    public void FinishedJob_LetsGoOfItsUpload_AndCountsWhatItKeeps()
    {
        byte[] tiff = new byte[1000];
        var upload = new UploadedImage(tiff, ImageFormat.Tiff, 10, 10, PixelFormat.Gray8, "scan");
        var budget = new WorkBudget(4, 1000, 10_000);
        var ticket = budget.Reserve(tiff.Length);
        ticket.Admit(100);
        using var job = new ColorizeJob(1, upload, "p@1.0.0", new ColorizeOptions(), ticket: ticket);
        Assert.Equal(0, job.RetainedBytes);
        job.SetPreview(new byte[300], "image/png");
        job.Succeed(new byte[200], "image/png", "scan-colorized.png", 0.1);

        Assert.Empty(job.Upload.Data);
        Assert.Equal(500, job.RetainedBytes);
        Assert.Equal((1000L, 1, 100L), budget.Held);
        job.ReleaseBudget();
        Assert.Equal((0L, 0, 0L), budget.Held);
    }

    [Theory]
    [InlineData(PixelFormat.Rgb24, true)]
    [InlineData(PixelFormat.Rgba32, true)]
    [InlineData(PixelFormat.Gray8, false)]
    public void Colorize_WorksInPlace_WhenTheFormatStays(PixelFormat format, bool inPlace)
    {
        _host.InstallTinyPack();
        using var services = ColorizeCli.CreateServices(new CliContext { Out = TextWriter.Null, Error = TextWriter.Null, Home = _host.Home, WorkingDirectory = _host.Work });
        Assert.True(HostColorizer.TryLoad(services, "tiny-unet", out var loaded, out var failure), failure?.Reason);
        using (loaded)
        {
            var gray = Image.Load(_host.WriteGray("photo.png", 40, 30));
            var source = gray.ConvertTo(format);
            var original = source.Clone();
            var expected = new Image(40, 30, HostColorizer.OutputFormat(format));
            loaded.Colorizer.Colorize(original.Buffer, expected.Buffer);

            var result = HostColorizer.Colorize(loaded.Colorizer, source, new ColorizeOptions(), null, CancellationToken.None);

            Assert.Equal(inPlace, ReferenceEquals(source, result));
            Assert.Equal(expected.Buffer.Memory.ToArray(), result.Buffer.Memory.ToArray());
            if (!inPlace)
            {
                Assert.Equal(original.Buffer.Memory.ToArray(), source.Buffer.Memory.ToArray());
            }
        }
    }

    [Fact]
    public void ChunkedOutput_GivesBackExactlyWhatWasWritten_AcrossChunks()
    {
        byte[] data = new byte[(3 << 20) + 12345];
        new Random(5).NextBytes(data);
        using var output = new ChunkedOutput();
        int offset = 0;
        foreach (int size in new[] { 1, 65536, 1 << 20, 7, (2 << 20) - 65544 + 12345 })
        {
            output.Write(data, offset, size);
            offset += size;
        }

        output.WriteByte(42);
        Assert.Equal(data.Length + 1, output.Length);
        byte[] result = output.ToArray();
        Assert.Equal([.. data, 42], result);
        NativeHeap.Trim();
    }

    private static JsonElement Queue(string info) => JsonDocument.Parse(info).RootElement.GetProperty("queue");

    private static MultipartFormDataContent Form(byte[] png)
    {
        var content = new ByteArrayContent(png);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("image/png");
        return new MultipartFormDataContent { { new StringContent("tiny-unet"), "pack" }, { content, "file", "photo.png" } };
    }

    /// <summary>A chunked request body that sends a few bytes and then waits until the test fails it.</summary>
    private sealed class StalledBody : HttpContent
    {
        private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public StalledBody() => Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=stalled");

        public void Fail() => _failed.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync("--stalled\r\n"u8.ToArray());
            await stream.FlushAsync();
            await _failed.Task;
            throw new IOException("the test abandons this upload");
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
