namespace Pretrain.Config;

/// <summary>
/// Named settings bundles, expanded into the resolved config so that what is written to the run folder
/// shows the values actually used.
/// </summary>
internal static class ConfigPresets
{
    public static void Apply(RunConfig config)
    {
        // `official`: the SDMP paper's released recipe (ResizeMix only, λ ∈ [0.1, 0.9], probability-mix target).
        if (config.Sdmp.Preset == "official")
        {
            config.Sdmp.Ops = ["resizemix"];
            config.Sdmp.LambdaRange = [0.1, 0.9];
            config.Sdmp.Target = "prob_mix";
        }
    }
}
