namespace Pretrain.Config;

/// <summary>
/// The settings whose right value depends on the method (and optimizer), as the official code has them:
/// MoCo v3 uses a fixed sin-cos position table and a frozen patch projection, zero-inits the last BN of
/// each ResNet block and decays every parameter with AdamW (`main_moco.py` passes model.parameters());
/// DINO learns its position embedding and patch projection, builds torchvision's ResNet without
/// zero-init, and never decays biases or norms (get_params_groups). LARS keeps its ndim &gt; 1 rule for any
/// method. A key the config (or a --set) gives explicitly is left alone.
/// </summary>
public static class MethodDefaults
{
    /// <summary>
    /// Fills `model.pos_embed`, `model.stop_grad_patch_embed` and `model.zero_init_residual` where
    /// <paramref name="isSet"/> says the config left them out, and `optimizer.no_decay` where it is `auto`,
    /// with the method's values; returns "key=value" for each one filled, for `config show` and the run log.
    /// </summary>
    public static IReadOnlyList<string> Apply(RunConfig config, Func<string, bool> isSet)
    {
        var applied = new List<string>();
        if (!Choice<MethodKind>.IsName(config.Method.Name) || !Choice<OptimizerKind>.IsName(config.Optimizer.Name)) return applied;
        var dino = config.Method.Kind == MethodKind.Dino;
        var m = config.Model;
        if (!isSet("model.pos_embed"))
        {
            m.PosEmbed = Choice<PositionEmbeddingKind>.Name(dino ? PositionEmbeddingKind.Learned : PositionEmbeddingKind.SinCos);
            applied.Add($"model.pos_embed={m.PosEmbed}");
        }
        if (!isSet("model.stop_grad_patch_embed"))
        {
            m.StopGradPatchEmbed = !dino;
            applied.Add($"model.stop_grad_patch_embed={Bool(m.StopGradPatchEmbed)}");
        }
        if (!isSet("model.zero_init_residual"))
        {
            m.ZeroInitResidual = !dino;
            applied.Add($"model.zero_init_residual={Bool(m.ZeroInitResidual)}");
        }
        // Left out, the key is `auto` already; given as `auto`, it is resolved the same way.
        if (config.Optimizer.NoDecay == Choice<NoDecayRule>.Name(NoDecayRule.Auto))
        {
            config.Optimizer.NoDecay = Choice<NoDecayRule>.Name(NoDecay(config.Method.Kind, config.Optimizer.Kind));
            applied.Add($"optimizer.no_decay={config.Optimizer.NoDecay}");
        }
        return applied;
    }

    /// <summary>
    /// What `optimizer.no_decay: auto` means: LARS excludes 1-D parameters (MoCo v3's and DINO's LARS);
    /// DINO excludes biases and norms with every optimizer; MoCo v3 with AdamW or SGD decays everything.
    /// </summary>
    public static NoDecayRule NoDecay(MethodKind method, OptimizerKind optimizer) =>
        optimizer == OptimizerKind.Lars || method == MethodKind.Dino ? NoDecayRule.BiasAndNorm : NoDecayRule.None;

    /// <summary>The rule a config asks for, with `auto` resolved (configs built in code skip the loader).</summary>
    public static NoDecayRule NoDecay(RunConfig config) =>
        config.Optimizer.NoDecayRule == NoDecayRule.Auto ? NoDecay(config.Method.Kind, config.Optimizer.Kind) : config.Optimizer.NoDecayRule;

    static string Bool(bool b) => b ? "true" : "false";
}
