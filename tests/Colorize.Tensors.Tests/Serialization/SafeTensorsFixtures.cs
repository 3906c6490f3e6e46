using Colorize.Tensors.Serialization;

namespace Colorize.Tensors.Tests.Serialization;

/// <summary>Finds the fixtures written by Fixtures/generate_fixtures.py (PyTorch) and small helpers shared by the tests.</summary>
internal static class SafeTensorsFixtures
{
    private static readonly string[] RelativeFixtureDirectory = ["tests", "Colorize.Tensors.Tests", "Serialization", "Fixtures"];

    /// <summary>
    /// The path of a fixture: copied next to the test assembly (the project copies Serialization/Fixtures), or found
    /// by walking up from the output or working directory to the repository's tests folder.
    /// </summary>
    public static string PathOf(string fileName)
    {
        string copied = Path.Combine(AppContext.BaseDirectory, "Serialization", "Fixtures", fileName);
        if (File.Exists(copied))
        {
            return copied;
        }

        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (DirectoryInfo? directory = new(start); directory is not null; directory = directory.Parent)
            {
                string candidate = Path.Combine([directory.FullName, .. RelativeFixtureDirectory, fileName]);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException(
            $"Fixture {fileName} not found. Copy tests/Colorize.Tensors.Tests/Serialization/Fixtures/*.safetensors to the output " +
            "(<None Include=\"Serialization/Fixtures/*.safetensors\" CopyToOutputDirectory=\"PreserveNewest\" />).");
    }

    public static SafeTensorsFile Open(string fileName) => SafeTensorsFile.Open(PathOf(fileName));

    public static uint[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToUInt32Bits);

    public static ushort[] UInt16s(byte[] littleEndian)
    {
        var values = new ushort[littleEndian.Length / 2];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (ushort)(littleEndian[2 * i] | (littleEndian[(2 * i) + 1] << 8));
        }

        return values;
    }

    /// <summary>Asserts two float arrays are identical bit for bit, naming the first difference.</summary>
    public static void AssertBitwiseEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            uint e = BitConverter.SingleToUInt32Bits(expected[i]);
            uint a = BitConverter.SingleToUInt32Bits(actual[i]);
            if (e != a)
            {
                // The message is built only on failure: formatting millions of them would dominate the run time.
                Assert.Fail($"{what}[{i}]: expected 0x{e:X8} ({expected[i]:R}) but got 0x{a:X8} ({actual[i]:R}).");
            }
        }
    }

    /// <summary>A stream that hides its length and cannot seek, like a network or zip-entry stream.</summary>
    public sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes, writable: false);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) =>
            _inner.Read(buffer, offset, Math.Min(count, 7)); // short reads on purpose

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
