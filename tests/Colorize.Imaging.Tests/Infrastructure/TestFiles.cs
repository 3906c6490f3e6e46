namespace Colorize.Imaging.Tests.Infrastructure;

/// <summary>Locates the conformance corpus copied next to the test assembly.</summary>
internal static class TestFiles
{
    public static string Root { get; } = Path.Combine(AppContext.BaseDirectory, "TestData");

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Every corpus file that has a reference (&lt;file&gt;.ref.gz) in <paramref name="folder"/>, relative to the root.</summary>
    public static TheoryData<string> WithReference(string folder)
    {
        var data = new TheoryData<string>();
        string directory = PathOf(folder);
        foreach (string reference in Directory.EnumerateFiles(directory, "*.ref.gz").Order(StringComparer.Ordinal))
        {
            string file = reference[..^".ref.gz".Length];
            data.Add(Path.GetRelativePath(Root, file).Replace(Path.DirectorySeparatorChar, '/'));
        }

        return data;
    }
}
