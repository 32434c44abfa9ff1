using Pretrain.Config;
using static TorchSharp.torch;

namespace Pretrain.Common;

/// <summary>Turns `auto | cpu | cuda | cuda:N` into a torch device, with a clear error when CUDA is
/// asked for but this build or machine has none.</summary>
public static class DeviceSelector
{
    public static Device Resolve(string spec)
    {
        var s = (spec ?? "auto").Trim().ToLowerInvariant();
        if (s == "auto") return cuda.is_available() ? CUDA : CPU;
        if (s == "cpu") return CPU;
        if (s == "cuda" || s.StartsWith("cuda:"))
        {
            if (!cuda.is_available())
                throw new UserInputException($"device '{spec}': CUDA is not available (build with -p:TorchBackend=cuda on a GPU machine, or use --device cpu)");
            return new Device(s);
        }
        throw new UserInputException($"device '{spec}': expected auto, cpu, cuda or cuda:N");
    }
}
