using Pretrain.Cli;

// Before TorchSharp's first native call: keeps the Scalars a concurrent GC finalizes alive for the
// native op that still reads them (Common/ScalarGuard.cs).
Pretrain.Common.ScalarGuard.Install();

// Must run before anything loads libtorch: its OpenMP runtime reads the variable once, at load time.
NativeEnvironment.SetIfUnset("OMP_WAIT_POLICY", "PASSIVE");
// PASSIVE alone puts libgomp's threads to sleep the moment a parallel region ends, and a training step
// is thousands of small regions back to back: every one then pays a futex wake-up. A bounded spin
// (~0.1 ms) first keeps them awake between the ops of a step and still sleeps when idle (README,
// "CPU step"; measured: MoCo v3 + SDMP bench step 1990 -> 1575 ms, DINO + SDMP 3045 -> 2690 ms).
NativeEnvironment.SetIfUnset("GOMP_SPINCOUNT", "200000");
NativeAllocator.KeepLargeBuffers();
MklCpuDispatch.UseAvx512KernelsOnAmd();   // before libtorch loads: MKL reads the vendor on its first GEMM
return CliApp.Run(args, Console.Out, Console.Error);
