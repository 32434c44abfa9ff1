/* Interposes MKL's vendor test (libtorch_cpu.so links MKL statically but calls this export through
 * its PLT). Loaded RTLD_GLOBAL before libtorch, it makes MKL take its AVX-512 GEMM kernels on AMD CPUs
 * that have AVX-512 (Zen 4 and later) instead of its AVX2 "zen" kernels. See MklCpuDispatch.cs.
 * Rebuild: gcc -O2 -shared -fPIC -nostdlib -s -o libpretrain_mklcpu.so mkl_cpu_dispatch.c */
int mkl_serv_intel_cpu_true(void) { return 1; }
