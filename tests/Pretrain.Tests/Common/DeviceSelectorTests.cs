using Pretrain.Common;
using Pretrain.Config;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Common;

public class DeviceSelectorTests
{
    [Fact]
    public void CpuAndAutoResolveOnACpuMachineAndBadSpecsAreInputErrors()
    {
        Assert.Equal(DeviceType.CPU, DeviceSelector.Resolve("cpu").type);
        Assert.Equal(DeviceType.CPU, DeviceSelector.Resolve(" CPU ").type);
        if (!cuda.is_available())
        {
            Assert.Equal(DeviceType.CPU, DeviceSelector.Resolve("auto").type);
            var e = Assert.Throws<UserInputException>(() => DeviceSelector.Resolve("cuda:1"));
            Assert.Contains("CUDA is not available", e.Message);
        }
        var bad = Assert.Throws<UserInputException>(() => DeviceSelector.Resolve("tpu"));
        Assert.Contains("expected auto, cpu, cuda or cuda:N", bad.Message);
    }
}
