using Pretrain.Config;
using Pretrain.Training;
using static TorchSharp.torch;

namespace Pretrain.Methods;

public static class MethodFactory
{
    public static ISslMethod Create(RunConfig cfg, TrainingPlan plan, Device device) => cfg.Method.Name switch
    {
        "mocov3" => new MocoV3(cfg, plan, device),
        "dino" => new Dino(cfg, plan, device),
        _ => throw new UserInputException($"method.name: '{cfg.Method.Name}' is not available (mocov3, dino)"),
    };
}
