namespace Pretrain.Config;

/// <summary>
/// The user asked for something that cannot work (a missing or corrupt data file, a checkpoint that
/// does not fit the model, ...). The CLI prints the message as one line and exits with code 2 instead of
/// reporting a crash, so the message must say what is wrong and where, without a stack trace.
/// </summary>
public class UserInputException : Exception
{
    public UserInputException(string message) : base(message) { }
    public UserInputException(string message, Exception inner) : base(message, inner) { }
}
