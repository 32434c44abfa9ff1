using Pretrain.Cli;

// Must run before anything loads libtorch: its OpenMP runtime reads the variable once, at load time.
NativeEnvironment.SetIfUnset("OMP_WAIT_POLICY", "PASSIVE");
NativeAllocator.KeepLargeBuffers();
return CliApp.Run(args, Console.Out, Console.Error);
