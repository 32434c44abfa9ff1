namespace Pretrain.Data;

/// <summary>A dataset problem the user must fix (missing/empty/truncated data, unreadable file in fail mode).
/// The message is one line and names the path; the CLI maps it to exit code 2.</summary>
public sealed class DataException : Pretrain.Config.UserInputException
{
    public DataException(string message) : base(message) { }
    public DataException(string message, Exception inner) : base(message, inner) { }
}
