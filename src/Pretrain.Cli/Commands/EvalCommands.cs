using System.CommandLine;

namespace Pretrain.Cli.Commands;

/// <summary>`pretrain linear-eval` and `pretrain knn-eval`: registered so they show in help, not built yet.</summary>
internal static class EvalCommands
{
    public static Command LinearEval(CliSession session) =>
        NotBuilt(session, "linear-eval", "Train a linear classifier on frozen features of a pretrained checkpoint");

    public static Command KnnEval(CliSession session) =>
        NotBuilt(session, "knn-eval", "k-nearest-neighbour classification with frozen features of a pretrained checkpoint");

    static Command NotBuilt(CliSession session, string name, string description)
    {
        // Any arguments are accepted so a user trying it sees "not built yet", not an option error.
        var command = new Command(name, $"{description} (not built yet)") { TreatUnmatchedTokensAsErrors = false };
        command.SetAction(_ =>
        {
            session.Err.WriteLine($"pretrain {name}: not built yet");
            return ExitCodes.UsageError;
        });
        return command;
    }
}
