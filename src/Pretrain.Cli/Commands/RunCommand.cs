using System.CommandLine;
using Pretrain.Cli.Logging;
using Pretrain.Checkpoints;
using Pretrain.Common;
using Pretrain.Composition;
using Pretrain.Config;
using Pretrain.Distributed;
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
        var allowScheduleChange = new Option<bool>("--allow-schedule-change")
        {
            Description = "With --resume: accept a config whose schedule keys (training.epochs, batch_size, optimizer lr / min_lr / warmup / weight decay) differ from the checkpoint's; logged and noted in config.resume.yaml",
        };
        var device = DeviceOption.Create();

        var command = new Command("run", "Pretrain a backbone with the method, data and schedule of a config");
        config.AddTo(command);
        command.Options.Add(output);
        command.Options.Add(resume);
        command.Options.Add(allowScheduleChange);
        command.Options.Add(device);
        command.SetAction(parse => Execute(session, parse, config, parse.GetValue(output), parse.GetValue(resume), parse.GetValue(device),
            parse.GetValue(allowScheduleChange)));
        return command;
    }

    static int Execute(CliSession session, ParseResult parse, ConfigOptions configOptions, string? output, string? resume, string? device, bool allowScheduleChange)
    {
        var configPath = parse.GetRequiredValue(configOptions.Config);
        var config = configOptions.Load(parse);
        ResumeTarget.Validate(resume);
        if (allowScheduleChange && resume is null)
            throw new UserInputException("--allow-schedule-change applies to --resume only");


        // Launched by mpirun/srun: join the world first (a launcher/MPI mismatch is a one-line error here,
        // and on GPUs each rank's device is chosen before CUDA starts). One process: a world of one.
        var collectives = Collectives.Create(preferNccl: DeviceOption.PrefersNccl(device ?? config.Experiment.Device));
        var dp = new DataParallel(collectives);
        try
        {
            int code = Execute(session, parse, configPath, config, output, resume, device, dp, allowScheduleChange);
            // MPI_Finalize only when every rank finished: after a failure a peer may wait in a collective.
            if (code == ExitCodes.Success || !dp.IsDistributed) collectives.Dispose();
            return code;
        }
        catch when (dp.IsDistributed)
        {
            // No MPI_Finalize after a failure: the other ranks may be waiting in a collective, and a rank
            // that exits without finalising makes the launcher end the whole job at once.
            throw;
        }
        catch
        {
            collectives.Dispose();
            throw;
        }
    }

    /// <summary>A run folder that cannot be written (read-only file system, no permission, disk full) is
    /// the user's to fix: one line naming it, exit 2, before any training.</summary>
    static T Writable<T>(string runDir, Func<T> prepare)
    {
        try
        {
            return prepare();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not PathTooLongException)
        {
            throw new UserInputException($"{ConfigPaths.Display(runDir)}: cannot write the run folder ({e.Message.TrimEnd('.')})", e);
        }
    }

    static int Execute(CliSession session, ParseResult parse, string configPath, RunConfig config, string? output, string? resume, string? device, DataParallel dp,
        bool allowScheduleChange)
    {
        // One writer: rank 0 locks the run folder (RUN_DIR/.lock) and makes it; the others start once it
        // exists. The lock is held until this process ends: a second job on the folder (a requeued one
        // while this one still runs, the same command typed twice) is refused at once, before torch
        // loads when the folder exists already (as it does whenever another process holds it).
        var runDir = RunFolder.Resolve(config, output);
        using var existingFolderLock = dp.Rank == 0 && Directory.Exists(runDir) ? Writable(runDir, () => RunFolderLock.Acquire(runDir)) : null;
        // A device this machine cannot give, or data that is missing, empty or smaller than one batch,
        // is an error before any folder exists (a retry must not find a half-made run folder).
        RunBuilder.Device(config, device, dp);
        var data = RunBuilder.TrainingData(config, dp);
        using var newFolderLock = dp.Rank == 0 && existingFolderLock is null ? Writable(runDir, () => RunFolderLock.Acquire(runDir)) : null;
        var folderNote = dp.Rank == 0 ? Writable(runDir, () => RunFolder.Prepare(runDir, config, resuming: resume is not null, allowScheduleChange)) : "";
        dp.Collectives.Barrier();
        var level = RunLog.ParseLevel(parse.GetValue(session.LogLevel) ?? config.Logging.Level);

        using var log = dp.Rank == 0
            ? RunLog.Create(runDir, level, session.Out, session.Err)
            : RunLog.ConsoleOnly(level > Serilog.Events.LogEventLevel.Warning ? level : Serilog.Events.LogEventLevel.Warning, session.Out, session.Err, $"rank {dp.Rank}");
        using var shutdown = ShutdownSignal.ListenToProcess(signal => log.Logger.Warning(
            "{Signal:l} received: stopping after the current step and saving a checkpoint (send it again to quit at once)", ShutdownSignal.Name(signal)));
        var previousGlobal = Serilog.Log.Logger;
        Serilog.Log.Logger = log.Logger;
        try
        {
            log.Logger.Information("pretrain {Version:l}: config {ConfigPath:l}, run folder {RunDir:l} ({FolderNote:l})",
                CliApp.Version, ConfigPaths.Display(configPath), runDir, folderNote);
            var context = new RunContext(config, Path.GetFullPath(configPath), runDir, resume, device, log.Logger, shutdown, data, dp, allowScheduleChange);
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
