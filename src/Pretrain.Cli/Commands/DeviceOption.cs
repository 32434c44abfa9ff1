using System.CommandLine;

namespace Pretrain.Cli.Commands;

/// <summary>`--device auto|cpu|cuda|cuda:N`, validated at parse time (a bad value is a usage error).</summary>
internal static class DeviceOption
{
    public static Option<string?> Create(string description = "auto, cpu, cuda or cuda:N (overrides experiment.device)")
    {
        var device = new Option<string?>("--device") { Description = description, HelpName = "DEVICE" };
        device.Validators.Add(result =>
        {
            var value = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
            if (value is not null && !System.Text.RegularExpressions.Regex.IsMatch(value, @"^(auto|cpu|cuda(:\d+)?)$"))
                result.AddError($"--device must be auto, cpu, cuda or cuda:N, got '{value}'");
        });
        return device;
    }

    /// <summary>NCCL carries the collectives when the run is on GPUs (the CUDA build of libtorch is present
    /// and the device is not the CPU); MPI otherwise.</summary>
    public static bool PrefersNccl(string deviceSpec) =>
        !deviceSpec.Trim().Equals("cpu", StringComparison.OrdinalIgnoreCase) && File.Exists(Path.Combine(AppContext.BaseDirectory, "libtorch_cuda.so"));
}
