namespace Pretrain.Training.Checkpoints;

/// <summary>A checkpoint that cannot be used: damaged, truncated, not a checkpoint, or not matching the model.</summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string message) : base(message) { }
    public CheckpointException(string message, Exception inner) : base(message, inner) { }
}
