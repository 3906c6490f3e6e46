using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Colorize.Abstractions;
using Colorize.Imaging;

namespace Colorize.Host.Tests;

/// <summary>
/// Colour hints in <c>colorize serve</c> (issue 16 §4): the <c>hints</c> form field (the hints file's JSON), checked like
/// the command line's, reaching the hint-paint test engine; and the pack list saying which packs take hints.
/// </summary>
public sealed class ServeHintTests : IDisposable
{
    private readonly HostHarness _host = new();

    public ServeHintTests() => _host.InstallHintPacks();

    public void Dispose() => _host.Dispose();

    private static MultipartFormDataContent Form(byte[] png, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        var content = new ByteArrayContent(png);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("image/png");
        form.Add(content, "file", "photo.png");
        return form;
    }

    private static async Task<string> ErrorOf(HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain('\n', body.Trim());
        return JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
    }

    [Fact]
    public async Task HintsInTheForm_ReachTheColorizer_ScaledFromThePhotoTheyWereMadeOn()
    {
        string input = _host.WriteGray("photo.png", 40, 30);
        using var server = new ServeHarness(_host);
        // Made on an 80x60 copy, as the page's preview sends them for the full-size photo (and the other way round).
        const string hints = """{"version":1,"width":80,"height":60,"hints":[{"x":20,"y":16,"color":"#ff8000","radius":6},{"x":79,"y":59,"color":"#0000ff"}]}""";

        using var response = await server.Client.PostAsync("api/colorize", Form(File.ReadAllBytes(input), ("pack", HintSupport.PackId), ("hints", hints)));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var result = Image.Load(await response.Content.ReadAsByteArrayAsync());
        HintSupport.AssertPainted(Image.Load(input), result, [new ColorHint(10, 8, 0xff, 0x80, 0, 3), new ColorHint(39.5, 29.5, 0, 0, 0xff, 2)]);

        // The jobs API says how many hints a job has.
        using var submitted = await server.Client.PostAsync("api/jobs", Form(File.ReadAllBytes(input), ("pack", HintSupport.PackId), ("hints", hints)));
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()).RootElement.GetProperty("hints").GetInt32());
    }

    [Theory]
    [InlineData("""{"version":1,"hints":[{"x":10,"y":8,"color":"#ff80"}]}""", HttpStatusCode.BadRequest, "hints: hint 1: \"color\" '#ff80' is not a colour #rrggbb")]
    [InlineData("""{"version":1,"hints":[{"x":10,"y":8,"color":"#ff8000"}""", HttpStatusCode.BadRequest, "hints: not valid JSON")]
    [InlineData("""{"version":1,"hints":[{"x":40,"y":8,"color":"#ff8000"}]}""", HttpStatusCode.UnprocessableEntity, "hints: hint 1 at (40, 8) is outside the 40x30 image")]
    [InlineData("""{"version":1,"width":30,"height":30,"hints":[]}""", HttpStatusCode.UnprocessableEntity, "another shape")]
    public async Task BadHints_AreRefusedWithAPlainMessage_AndTheServerGoesOn(string hints, HttpStatusCode status, string expected)
    {
        byte[] png = File.ReadAllBytes(_host.WriteGray("photo.png", 40, 30));
        using var server = new ServeHarness(_host);

        using var response = await server.Client.PostAsync("api/colorize", Form(png, ("pack", HintSupport.PackId), ("hints", hints)));

        Assert.Equal(status, response.StatusCode);
        Assert.Contains(expected, await ErrorOf(response), StringComparison.Ordinal);
        using var after = await server.Client.PostAsync("api/colorize", Form(png, ("pack", HintSupport.PackId)));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task HintsForAPackThatTakesNone_Are422_SayingSo()
    {
        byte[] png = File.ReadAllBytes(_host.WriteGray("photo.png", 40, 30));
        using var server = new ServeHarness(_host);

        using var response = await server.Client.PostAsync("api/colorize", Form(png, ("pack", HintSupport.NoHintsPackId), ("hints", """{"version":1,"hints":[{"x":1,"y":1,"color":"#ff0000"}]}""")));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(HostColorizer.NoHintsMessage(HintSupport.NoHintsPackId + "@1.0.0"), await ErrorOf(response));
    }

    [Fact]
    public async Task ThePackList_SaysWhichPacksTakeHints_AndInfoTheMostHints()
    {
        using var server = new ServeHarness(_host);

        var packs = JsonDocument.Parse(await server.Client.GetStringAsync("api/packs")).RootElement.GetProperty("packs").EnumerateArray()
            .ToDictionary(p => p.GetProperty("id").GetString()!, p => p.GetProperty("hints").GetBoolean());
        var info = JsonDocument.Parse(await server.Client.GetStringAsync("api/info")).RootElement;

        Assert.True(packs[HintSupport.PackId]);
        Assert.False(packs[HintSupport.NoHintsPackId]);
        Assert.Equal(ColorizeOptions.MaxHints, info.GetProperty("maxHints").GetInt32());
    }
}
