using Colorize.Imaging.Tests.Infrastructure;

namespace Colorize.Imaging.Tests.Tiff;

public sealed class TiffConformanceTests
{
    public static TheoryData<string> Files => TestFiles.WithReference("tiff");

    [Theory]
    [MemberData(nameof(Files))]
    public void Decode_MatchesReference(string file)
    {
        string path = TestFiles.PathOf(file);
        var reference = ReferenceImage.Load(path + ".ref.gz");

        Image image = Image.Load(path);

        reference.AssertMatches(image, file);
        ImageInfo info = Image.Identify(path);
        Assert.Equal((ImageFormat.Tiff, reference.ExpectedFormat), (info.Format, info.PixelFormat));
    }
}
