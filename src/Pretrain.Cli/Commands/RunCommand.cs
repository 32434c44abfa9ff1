using System.CommandLine;
using Pretrain.Cli.Logging;
using Pretrain.Common;
using Pretrain.Composition;
using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Training;

namespace Pretrain.Cli.Commands;

/// <summary>
/// `pretrain run`: validates the config before anything else, prepares the run folder and logging,
/// arms the Ctrl-C / SIGTERM handler, then hands over to the trainer.
/// </summary>
internal static class RunCommand
{
    public static Command Create(CliSession session)
    {
        var config = new ConfigOptions();
        var output = new Option<string?>("--output", "-o")
        {
            Description = "Run folder (default: experiment.output/experiment.name)",
            HelpName = "DIR",
        };
        var resume = new Option<string?>("--resume")
        {
            Description = "Continue from a checkpoint file or run folder, or 'auto' for the latest checkpoint in the run folder",
            HelpName = "PATH|auto",
        };
        var device = DeviceOption.Create();

        var command = new Command("run", "Pretrain a backbone with the method, data and schedule of a config");
        config.AddTo(command);
        command.Options.Add(output);
        command.Options.Add(resume);
        command.Options.Add(device);
        command.SetAction(parse => Execute(session, parse, config, parse.GetValue(output), parse.GetValue(resume), parse.GetValue(device)));
        return command;
    }

    static int Execute(CliSession session, ParseResult parse, ConfigOptions configOptions, string? output, string? resume, string? device)
    {
        var configPath = parse.GetRequiredValue(configOptions.Config);
        var config = configOptions.Load(parse);
        ResumeTarget.Validate(resume);

        // A device this machine cannot give, or data that is missing, empty or smaller than one batch,
        // is an error before any folder exists (a retry must not find a half-made run folder).
        RunBuilder.Device(config, device);
        var data = RunBuilder.TrainingData(config);
        var runDir = RunFolder.Resolve(config, output);
        var folderNote = RunFolder.Prepare(runDir, config, resuming: resume is not null);
        var level = RunLog.ParseLevel(parse.GetValue(session.LogLevel) ?? config.Logging.Level);

        using var log = RunLog.Create(runDir, level, session.Out, session.Err);
        using var shutdown = ShutdownSignal.ListenToProcess(signal => log.Logger.Warning(
            "{Signal:l} received: stopping after the current step and saving a checkpoint (send it again to quit at once)", signal.ToString()));
        var previousGlobal = Serilog.Log.Logger;
        Serilog.Log.Logger = log.Logger;
        try
        {
            log.Logger.Information("pretrain {Version:l}: config {ConfigPath:l}, run folder {RunDir:l} ({FolderNote:l})",
                CliApp.Version, ConfigPaths.Display(configPath), runDir, folderNote);
            var context = new RunContext(config, Path.GetFullPath(configPath), runDir, resume, device, log.Logger, shutdown, data);
            int code = session.Train(context);
            return shutdown.IsRequested ? shutdown.ExitCode : code;
        }
        catch (Exception e)
        {
            return FailureReport.Report(e, session.Err, log, shutdown);
        }
        finally
        {
            Serilog.Log.Logger = previousGlobal;
        }
    }
}
