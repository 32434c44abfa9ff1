/* Deferred freeing of TorchSharp Scalars (see src/Pretrain/Common/ScalarGuard.cs).
 *
 * TorchSharp passes Scalar.Handle to its P/Invokes without keeping the managed Scalar alive, so a GC on
 * another thread during the call can finalize the Scalar, whose finalizer calls THSTorch_dispose_scalar,
 * and the op then reads freed memory (seen as "Expected false to be true ... toDouble at Scalar.h" from
 * e.g. clamp_min). ScalarGuard maps TorchSharp's "LibTorchSharp" imports to this library: it depends on
 * libLibTorchSharp.so, so dlsym on its handle finds every THS* export there, except this one
 * THSTorch_dispose_scalar, which holds each Scalar for at least GUARD_MS milliseconds before handing it
 * to the real one. No op takes that long between its P/Invoke and reading its scalar arguments.
 *
 * Rebuild (links against the libLibTorchSharp.so of the TorchSharp package, any 0.10x):
 *   gcc -O2 -shared -fPIC -s -o libpretrain_scalarguard.so scalar_guard.c \
 *       -Wl,--no-as-needed -L<dir of libLibTorchSharp.so> -l:libLibTorchSharp.so -ldl -lpthread
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define CAPACITY (1u << 17)   /* 131072 pending Scalars, 2 MiB of bookkeeping */
#define GUARD_MS 2000u
#define MAX_FREE_PER_CALL 64

typedef void (*dispose_fn)(void *);

static void *pending[CAPACITY];
static uint64_t stamp_ms[CAPACITY];
static uint32_t head, count;
static uint64_t deferred_total;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static dispose_fn real_dispose;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static dispose_fn real(void)
{
    if (!real_dispose) {
        void *lib = dlopen("libLibTorchSharp.so", RTLD_NOW | RTLD_NOLOAD);
        if (lib) real_dispose = (dispose_fn)dlsym(lib, "THSTorch_dispose_scalar");
    }
    return real_dispose;
}

void THSTorch_dispose_scalar(void *scalar)
{
    void *expired[MAX_FREE_PER_CALL];
    int n = 0;
    uint64_t t = now_ms();
    pthread_mutex_lock(&lock);
    while (count > 0 && n < MAX_FREE_PER_CALL) {
        uint32_t tail = (head + CAPACITY - count) % CAPACITY;
        if (count < CAPACITY && t - stamp_ms[tail] < GUARD_MS) break;
        expired[n++] = pending[tail];
        count--;
    }
    pending[head] = scalar;
    stamp_ms[head] = t;
    head = (head + 1) % CAPACITY;
    count++;
    deferred_total++;
    pthread_mutex_unlock(&lock);
    dispose_fn f = real();
    for (int i = 0; i < n; i++) if (f) f(expired[i]);
}

/* For tests and diagnostics: how many Scalars went through the guard, and how many wait now. */
uint64_t pretrain_scalarguard_deferred_total(void) { return deferred_total; }
uint32_t pretrain_scalarguard_pending(void) { return count; }
