namespace Pretrain.Training;

/// <summary>Entry of a training run, called by `pretrain run` once the run folder and logging exist.</summary>
public static class TrainingRun
{
    public static int Execute(RunContext ctx)
    {
        ctx.Log.Error("training loop not built yet");
        return 2;
    }
}
