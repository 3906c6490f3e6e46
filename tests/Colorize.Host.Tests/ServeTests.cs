using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Colorize.Abstractions;
using Colorize.Imaging;

namespace Colorize.Host.Tests;

/// <summary><c>colorize serve</c>: the HTTP API against a real server on a free loopback port, driven with HttpClient.</summary>
public sealed class ServeTests : IDisposable
{
    private readonly HostHarness _host = new();

    public void Dispose() => _host.Dispose();

    private static MultipartFormDataContent Form(byte[] file, string fileName, string contentType = "application/octet-stream", params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        var content = new ByteArrayContent(file);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        form.Add(content, "file", fileName);
        return form;
    }

    private static async Task<string> ErrorOf(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        string body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain('\n', body.Trim());
        return JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
    }

    private static bool HasColour(Image image)
    {
        var rgb = image.ConvertTo(PixelFormat.Rgb24);
        for (int y = 0; y < rgb.Height; y++)
        {
            var row = rgb.GetRowBytes(y);
            for (int x = 0; x < rgb.Width; x++)
            {
                if (row[x * 3] != row[(x * 3) + 1] || row[(x * 3) + 1] != row[(x * 3) + 2])
                {
                    return true;
                }
            }
        }

        return false;
    }

    [Fact]
    public async Task Colorize_PngAndJpegUploads_ComeBackAsColourImagesOfTheInputSize_InTheirOwnFormat()
    {
        _host.InstallTinyPack();
        byte[] png = File.ReadAllBytes(_host.WriteGray("photo.png", 48, 36));
        byte[] jpeg = File.ReadAllBytes(_host.WriteGray("photo.jpg", 50, 34));
        using var server = new ServeHarness(_host);

        using var pngResponse = await server.Client.PostAsync("api/colorize", Form(png, "photo.png", "image/png", ("pack", "tiny-unet")));
        Assert.True(pngResponse.StatusCode == HttpStatusCode.OK, await pngResponse.Content.ReadAsStringAsync());
        Assert.Equal("image/png", pngResponse.Content.Headers.ContentType?.MediaType);
        var fromPng = Image.Load(await pngResponse.Content.ReadAsByteArrayAsync());
        Assert.Equal((48, 36), (fromPng.Width, fromPng.Height));
        Assert.True(HasColour(fromPng), "the random network paints colour");

        using var jpegResponse = await server.Client.PostAsync("api/colorize", Form(jpeg, "photo.jpg", "image/jpeg", ("pack", "tiny-unet"), ("strength", "1.5")));
        Assert.True(jpegResponse.StatusCode == HttpStatusCode.OK, await jpegResponse.Content.ReadAsStringAsync());
        byte[] result = await jpegResponse.Content.ReadAsByteArrayAsync();
        Assert.Equal(ImageFormat.Jpeg, Image.DetectFormat(result));
        var fromJpeg = Image.Load(result);
        Assert.Equal((50, 34), (fromJpeg.Width, fromJpeg.Height));
        Assert.Equal("attachment", jpegResponse.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("photo-colorized.jpg", jpegResponse.Content.Headers.ContentDisposition?.FileName?.Trim('"'));

        Assert.Equal(0, server.Stop());
        Assert.Contains("colorize serve: stopped", server.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Colorize_GivesTheSamePixelsAsTheCommandLine_ForTheSameOptions()
    {
        _host.InstallTinyPack();
        string input = _host.WriteGray("photo.png", 45, 31);
        var cli = _host.Run(input, "-o", "cli.png", "--pack", "tiny-unet", "--render-size", "32", "--strength", "1.7", "--keep-luminance", "false");
        Assert.True(cli.ExitCode == 0, cli.ToString());
        using var server = new ServeHarness(_host);

        using var response = await server.Client.PostAsync("api/colorize",
            Form(File.ReadAllBytes(input), "photo.png", "image/png", ("pack", "tiny-unet"), ("renderSize", "32"), ("strength", "1.7"), ("keepLuminance", "false")));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var web = Image.Load(await response.Content.ReadAsByteArrayAsync());
        var expected = Image.Load(_host.InWork("cli.png"));
        Assert.Equal(expected.PixelFormat, web.PixelFormat);
        for (int y = 0; y < expected.Height; y++)
        {
            Assert.True(expected.GetRowBytes(y).SequenceEqual(web.GetRowBytes(y)), $"row {y} differs from the command line's result");
        }
    }

    [Fact]
    public async Task Upload_LargerThanTheLimit_Is413_AndTheServerGoesOn()
    {
        _host.InstallTinyPack();
        using var server = new ServeHarness(_host, "--max-upload-mb", "1");
        byte[] big = new byte[2 * 1024 * 1024];
        File.ReadAllBytes(_host.WriteGray("photo.png")).CopyTo(big, 0);

        using (var response = await server.Client.PostAsync("api/colorize", Form(big, "big.png", "image/png")))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("limit of 1 MB", await ErrorOf(response), StringComparison.Ordinal);
        }

        // Chunked (no Content-Length): the limit holds while the body streams in.
        var chunked = Form(big, "big.png", "image/png");
        chunked.Headers.ContentLength = null;
        using (var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = new StreamContent(await chunked.ReadAsStreamAsync()) })
        {
            request.Content.Headers.ContentType = chunked.Headers.ContentType;
            request.Headers.TransferEncodingChunked = true;
            using var response = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            await ErrorOf(response);
        }

        using var packs = await server.Client.GetAsync("api/packs");
        Assert.Equal(HttpStatusCode.OK, packs.StatusCode);
    }

    [Fact]
    public async Task Upload_ThatIsNotAnImage_Is415_WhateverItsNameAndContentTypeSay()
    {
        _host.InstallTinyPack();
        using var server = new ServeHarness(_host);

        using var response = await server.Client.PostAsync("api/colorize", Form(Encoding.UTF8.GetBytes("<html>not a photo</html>"), "photo.png", "image/png"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("not an image", await ErrorOf(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CorruptJpeg_Is422_WithTheDecodersMessage()
    {
        _host.InstallTinyPack();
        byte[] jpeg = File.ReadAllBytes(_host.WriteGray("photo.jpg", 64, 48));
        // Cut just before the scan (FF DA): the header still passes the upload checks; decoding fails.
        int scan = Enumerable.Range(0, jpeg.Length - 1).First(i => jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA);
        byte[] corrupt = jpeg[..scan];

        string expected = Assert.ThrowsAny<ImageFormatException>(() => Image.Load(corrupt)).Message;
        using var server = new ServeHarness(_host);

        using var response = await server.Client.PostAsync("api/colorize", Form(corrupt, "photo.jpg", "image/jpeg", ("pack", "tiny-unet")));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(expected, await ErrorOf(response));
        Assert.Contains("error: photo: ", server.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImageOverThePixelLimit_Is413_FromItsHeader()
    {
        // A PNG whose header claims 20000 x 20000 pixels (400 MP); it has no pixel data at all.
        _host.InstallTinyPack();
        using var server = new ServeHarness(_host);

        using var response = await server.Client.PostAsync("api/colorize", Form(PngHeader(20000, 20000), "huge.png", "image/png"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("megapixels", await ErrorOf(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientFileName_IsOnlyUsedSanitized_InContentDisposition_AndNeverTouchesTheDisk()
    {
        _host.InstallTinyPack();
        byte[] png = File.ReadAllBytes(_host.WriteGray("photo.png"));
        var before = Directory.GetFiles(_host.Root, "*", SearchOption.AllDirectories).Order().ToList();
        using var server = new ServeHarness(_host);
        (string Parameter, string Expected)[] cases =
        [
            ("filename=\"../../../../etc/passwd.png\"", "passwd-colorized.png"),
            (@"filename=""..\..\Windows\win.ini.png""", "win.ini-colorized.png"),
            ("filename*=UTF-8''..%2Fsecret%0D%0Aname%00.png", "secret_name-colorized.png"),
            ("filename=\"..\"", "image-colorized.png"),
        ];

        foreach (var (parameter, expected) in cases)
        {
            using var form = new MultipartFormDataContent();
            form.Add(new StringContent("tiny-unet"), "pack");
            var file = new ByteArrayContent(png);
            file.Headers.ContentType = MediaTypeHeaderValue.Parse("image/png");
            // Written by hand: HttpClient would quote and escape the name itself.
            file.Headers.TryAddWithoutValidation("Content-Disposition", $"form-data; name=\"file\"; {parameter}");
            form.Add(file);
            using var response = await server.Client.PostAsync("api/colorize", form);

            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{parameter}: {await response.Content.ReadAsStringAsync()}");
            Assert.Equal(expected, response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
            Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), expected)));
        }

        Assert.Equal(before, Directory.GetFiles(_host.Root, "*", SearchOption.AllDirectories).Order().ToList());
    }

    [Fact]
    public async Task Packs_ListsInstalledPacks_WithTheDefaultMarked()
    {
        _host.InstallTinyPack("colorize-base", "1.0.0");
        _host.InstallTinyPack("colorize-base", "1.1.0");
        _host.InstallTinyPack("tiny-unet", "2.0.0");
        using var server = new ServeHarness(_host);

        var list = JsonDocument.Parse(await server.Client.GetStringAsync("api/packs")).RootElement;

        var packs = list.GetProperty("packs").EnumerateArray().ToList();
        Assert.Equal(new[] { "colorize-base@1.1.0", "colorize-base@1.0.0", "tiny-unet@2.0.0" }, packs.Select(p => p.GetProperty("reference").GetString()));
        Assert.Equal(new[] { "colorize-base@1.1.0" }, packs.Where(p => p.GetProperty("default").GetBoolean()).Select(p => p.GetProperty("reference").GetString()));
        Assert.Equal("colorize-base@1.1.0", list.GetProperty("default").GetString());
        Assert.All(packs, p => Assert.Equal("store", p.GetProperty("source").GetString()));
    }

    [Fact]
    public async Task Jobs_ReportProgress_KeepTheResultAndTheSource_AndCanBeDeleted()
    {
        _host.InstallTinyPack();
        byte[] png = File.ReadAllBytes(_host.WriteGray("photo.png", 40, 30));
        using var server = new ServeHarness(_host);

        using var submitted = await server.Client.PostAsync("api/jobs", Form(png, "photo.png", "image/png", ("pack", "tiny-unet")));
        Assert.True(submitted.StatusCode == HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync());
        var job = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()).RootElement;
        string url = job.GetProperty("url").GetString()!;
        Assert.Equal(url, submitted.Headers.Location?.OriginalString);
        Assert.Equal("tiny-unet@1.0.0", job.GetProperty("pack").GetString());

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (job.GetProperty("status").GetString() is "queued" or "running")
        {
            Assert.True(DateTime.UtcNow < deadline, "the job did not finish in 30 s");
            await Task.Delay(50);
            job = JsonDocument.Parse(await server.Client.GetStringAsync(url)).RootElement;
        }

        Assert.Equal("done", job.GetProperty("status").GetString());
        Assert.Equal(1.0, job.GetProperty("progress").GetDouble());
        Assert.Equal("photo-colorized.png", job.GetProperty("downloadName").GetString());
        var result = Image.Load(await server.Client.GetByteArrayAsync(job.GetProperty("resultUrl").GetString()));
        Assert.Equal((40, 30), (result.Width, result.Height));
        Assert.Equal(png, await server.Client.GetByteArrayAsync(job.GetProperty("sourceUrl").GetString()));
        using (var download = await server.Client.GetAsync(job.GetProperty("downloadUrl").GetString()))
        {
            Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        }

        using (var deleted = await server.Client.DeleteAsync(url))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using var gone = await server.Client.GetAsync(url);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        await ErrorOf(gone);
    }

    [Fact]
    public async Task Page_IsServedWithItsAssets_AndAStrictContentSecurityPolicy()
    {
        using var server = new ServeHarness(_host);

        using var page = await server.Client.GetAsync("");
        string html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.StartsWith("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("<script src=\"/app.js\"", html, StringComparison.Ordinal);
        Assert.Contains("<script src=\"/hints.js\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        foreach (string asset in new[] { "app.js", "hints.js", "app.css", "favicon.svg" })
        {
            using var response = await server.Client.GetAsync(asset);
            Assert.True(response.StatusCode == HttpStatusCode.OK, asset);
            Assert.DoesNotContain("https://", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Page_OffersTheDefaultPackBeforeThePackListArrives_AndADamagedPhotosChoice()
    {
        // The pack list comes from /api/packs after the page loads; until then the choice must not be empty, and its
        // empty value is what the API takes as the default pack.
        using var server = new ServeHarness(_host);

        string html = await server.Client.GetStringAsync("");

        Assert.Matches("<select id=\"pack\"><option value=\"\" selected>Default pack[^<]*</option></select>", html);
        Assert.Contains("<input id=\"allowTruncated\" type=\"checkbox\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadRequests_GetOneLineErrors_AndDoNotReachTheEngine()
    {
        _host.InstallTinyPack();
        byte[] png = File.ReadAllBytes(_host.WriteGray("photo.png"));
        using var server = new ServeHarness(_host);

        async Task<(HttpStatusCode, string)> Post(HttpContent content, Action<HttpRequestMessage>? change = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/colorize") { Content = content };
            change?.Invoke(request);
            using var response = await server.Client.SendAsync(request);
            return (response.StatusCode, await ErrorOf(response));
        }

        var (status, error) = await Post(Form(png, "p.png", fields: ("strength", "3")));
        Assert.Equal((HttpStatusCode.BadRequest, "Strength must be between 0 and 2."), (status, error));
        (status, error) = await Post(Form(png, "p.png", fields: ("renderSize", "big")));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, error) = await Post(Form(png, "p.png", fields: ("keepLuminance", "maybe")));
        Assert.Equal((HttpStatusCode.BadRequest, "keepLuminance 'maybe' is neither true nor false"), (status, error));
        (status, error) = await Post(Form(png, "p.png", fields: ("pack", "nope")));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("nope", error, StringComparison.Ordinal);
        (status, _) = await Post(new StringContent("file=x"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _) = await Post(Form(png, "p.png"), r => r.Headers.Add("Origin", "http://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, status);

        using var rebound = new HttpRequestMessage(HttpMethod.Get, "api/packs");
        rebound.Headers.Host = "evil.example";
        using var reboundResponse = await server.Client.SendAsync(rebound);
        Assert.Equal(HttpStatusCode.BadRequest, reboundResponse.StatusCode);
        Assert.DoesNotContain("colorized", server.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("photo.jpg", "photo")]
    [InlineData("C:\\Users\\me\\Desktop\\old photo (1).tif", "old photo (1)")]
    [InlineData("...hidden", "image")]
    [InlineData("a<b>c|d*e?.png", "a_b_c_d_e")]
    [InlineData("Großmutter 1932.jpeg", "Großmutter 1932")]
    [InlineData("", "image")]
    [InlineData(null, "image")]
    public void SafeStem_KeepsOnlyAHarmlessLastSegment(string? clientName, string expected) =>
        Assert.Equal(expected, Web.Uploads.SafeStem(clientName));

    [Theory]
    [InlineData("--host", "example.com")]
    [InlineData("--port", "70000")]
    [InlineData("--max-upload-mb", "0")]
    [InlineData("--urls", "https://127.0.0.1:5000")]
    public void Serve_WithABadOption_IsAUsageError(string option, string value)
    {
        var run = _host.Run("serve", option, value);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.StartsWith($"error: {option}: ", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_OnABusyPort_FailsWithOneLine_AndExits1()
    {
        using var first = new ServeHarness(_host);

        var second = _host.Run("serve", "--port", first.Url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(second.ExitCode == 1, second.ToString());
        Assert.StartsWith($"error: 127.0.0.1:{first.Url.Port}: cannot listen: ", Assert.Single(second.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_OnANonLoopbackAddress_WarnsFirst()
    {
        // 192.0.2.1 (TEST-NET-1) is never assigned to a machine, so nothing listens: the warning, then the bind error.
        var run = _host.Run("serve", "--host", "192.0.2.1", "--port", "0");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal(2, run.ErrorLines.Length);
        Assert.StartsWith("warning: serve: listening on 192.0.2.1, not loopback", run.ErrorLines[0], StringComparison.Ordinal);
        Assert.StartsWith("error: 192.0.2.1:0: cannot listen: ", run.ErrorLines[1], StringComparison.Ordinal);
    }

    /// <summary>A PNG of the given size (gray, 8-bit) with its IHDR and IEND chunks and correct CRCs, but no pixels.</summary>
    private static byte[] PngHeader(int width, int height)
    {
        var data = new List<byte>([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        byte[] chunk = new byte[4 + 13];
        "IHDR"u8.CopyTo(chunk);
        BinaryPrimitives.WriteInt32BigEndian(chunk.AsSpan(4), width);
        BinaryPrimitives.WriteInt32BigEndian(chunk.AsSpan(8), height);
        chunk[12] = 8;
        byte[] length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, 13);
        byte[] crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(chunk));
        data.AddRange(length);
        data.AddRange(chunk);
        data.AddRange(crc);
        data.AddRange(new byte[4]);
        data.AddRange("IEND"u8.ToArray());
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32("IEND"u8));
        data.AddRange(crc);
        return [.. data];
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309), bit by bit: no table, no package.</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}
