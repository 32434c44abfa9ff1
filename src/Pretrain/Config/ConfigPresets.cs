namespace Pretrain.Config;

/// <summary>
/// Named settings bundles, expanded into the resolved config so that what is written to the run folder
/// shows the values actually used.
/// </summary>
internal static class ConfigPresets
{
    public static void Apply(RunConfig config, ConfigTree tree)
    {
        config.AppliedDefaults = MethodDefaults.Apply(config, key => tree.Find(key) is { } node && !(node is YamlDotNet.RepresentationModel.YamlScalarNode s && ConfigTree.IsNull(s)));

        // `official`: the SDMP paper's released recipe (ResizeMix only, λ ∈ [0.1, 0.9], probability-mix target).
        // Runs before the value checks, so an unknown preset name is left for them to report.
        if (Choice<SdmpPreset>.IsName(config.Sdmp.Preset) && config.Sdmp.PresetKind == SdmpPreset.Official)
        {
            config.Sdmp.Ops = [Choice<MixOp>.Name(MixOp.ResizeMix)];
            config.Sdmp.LambdaRange = [0.1, 0.9];
            config.Sdmp.Target = Choice<SdmpTarget>.Name(SdmpTarget.ProbMix);
        }
    }
}
