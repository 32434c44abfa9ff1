using Pretrain.Cli;

// Must run before anything loads libtorch: its OpenMP runtime reads the variable once, at load time.
NativeEnvironment.SetIfUnset("OMP_WAIT_POLICY", "PASSIVE");
NativeAllocator.KeepLargeBuffers();
MklCpuDispatch.UseAvx512KernelsOnAmd();   // before libtorch loads: MKL reads the vendor on its first GEMM
return CliApp.Run(args, Console.Out, Console.Error);
