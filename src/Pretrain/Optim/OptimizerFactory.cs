using Pretrain.Config;

namespace Pretrain.Optim;

/// <summary>Builds the optimizer named by the run config.</summary>
public static class OptimizerFactory
{
    public static IOptimizer Create(OptimizerConfig cfg, IReadOnlyList<ParamGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        switch (cfg.Kind)
        {
            case OptimizerKind.Adamw:
                if (cfg.Betas is not { Length: 2 })
                    throw new ArgumentException($"optimizer.betas must have 2 values, got {cfg.Betas?.Length ?? 0}.");
                return new AdamW(groups, cfg.Betas[0], cfg.Betas[1], cfg.Eps);
            case OptimizerKind.Sgd:
                return new Sgd(groups, cfg.Momentum);
            case OptimizerKind.Lars:
                return new Lars(groups, cfg.Momentum, cfg.TrustCoefficient);
            default:
                throw new ArgumentException($"Unknown optimizer.name '{cfg.Name}' (expected adamw, sgd or lars).");
        }
    }
}
