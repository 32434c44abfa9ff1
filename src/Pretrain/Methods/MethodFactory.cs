using Pretrain.Config;
using Pretrain.Distributed;
using Pretrain.Schedules;
using static TorchSharp.torch;

namespace Pretrain.Methods;

/// <summary>The method a config names, built for a plan on a device. The only place that names the
/// concrete methods: the composition root (training) and the checkpoint reader (evaluation) call it.</summary>
public static class MethodFactory
{
    public static ISslMethod Create(RunConfig cfg, TrainingPlan plan, Device device, DataParallel? dp = null) => cfg.Method.Kind switch
    {
        MethodKind.Mocov3 => new MocoV3(cfg, plan, device, dp),
        MethodKind.Dino => new Dino(cfg, plan, device, dp),
        _ => throw new UserInputException($"method.name: '{cfg.Method.Name}' is not available ({string.Join(", ", Choice<MethodKind>.Names)})"),
    };
}
