using Colorize.Tensors;
using Colorize.Tensors.NN;
using Colorize.Tensors.Serialization;

namespace Colorize.Tensors.Tests.Serialization;

public sealed class StateDictIOTests
{
    [Fact]
    public void ModuleSaveAndLoad_RoundTripsEveryTensor_AndStoresTheBatchCounterAsInt64()
    {
        var gen = new Generator(3);
        var a = new Sequential(new Conv2d(2, 4, 3, generator: gen), new BatchNorm2d(4));
        a.Call(Tensor.Randn(gen, 2, 2, 5, 5));
        string path = Path.Combine(Path.GetTempPath(), $"colorize-sd-{Guid.NewGuid():N}.safetensors");
        try
        {
            a.Save(path, metadata: new Dictionary<string, string> { ["format"] = "pt" });
            using (var file = SafeTensorsFile.Open(path))
            {
                Assert.Equal(SafeTensorsDType.I64, file.GetEntry("1.num_batches_tracked").DType);
                Assert.Equal(SafeTensorsDType.F32, file.GetEntry("0.weight").DType);
                Assert.Equal("pt", file.Metadata["format"]);
            }

            var b = new Sequential(new Conv2d(2, 4, 3, generator: new Generator(9)), new BatchNorm2d(4));
            var result = b.Load(path);
            Assert.Empty(result.MissingKeys);
            foreach (var (key, value) in a.StateDict())
            {
                Assert.Equal(value.ToArray(), b.StateDict()[key].ToArray());
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Float16Storage_RoundsToHalfPrecision()
    {
        var t = Tensor.FromArray([1f / 3f, 1000.06f, -2.5e-5f], 3);
        var loaded = StateDictIO.Load(StateDictIO.ToBytes(new Dictionary<string, Tensor> { ["t"] = t }, SafeTensorsDType.F16))["t"];
        Assert.Equal(new[] { (float)(Half)(1f / 3f), (float)(Half)1000.06f, (float)(Half)(-2.5e-5f) }, loaded.ToArray());
    }

    [Fact]
    public void TruncatedFile_IsAFormatError()
    {
        var bytes = StateDictIO.ToBytes(new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(4, 4) });
        Assert.Throws<SafeTensorsFormatException>(() => StateDictIO.Load(bytes.AsMemory(0, bytes.Length - 3)));
    }
}
