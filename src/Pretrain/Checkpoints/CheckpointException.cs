namespace Pretrain.Checkpoints;

/// <summary>A checkpoint that cannot be used: damaged, truncated, not a checkpoint, or not matching the model.
/// A user-input error (exit 2): the message names the file.</summary>
public sealed class CheckpointException : Pretrain.Config.UserInputException
{
    public CheckpointException(string message) : base(message) { }
    public CheckpointException(string message, Exception inner) : base(message, inner) { }
}
