/* Deferred freeing of TorchSharp Scalars (see src/Pretrain/Common/ScalarGuard.cs).
 *
 * TorchSharp passes Scalar.Handle to its P/Invokes without keeping the managed Scalar alive, so a GC on
 * another thread during the call can finalize the Scalar, whose finalizer calls THSTorch_dispose_scalar,
 * and the op then reads freed memory (seen as "Expected false to be true ... toDouble at Scalar.h" from
 * e.g. clamp_min). ScalarGuard maps TorchSharp's "LibTorchSharp" imports to this library: it depends on
 * libLibTorchSharp.so, so dlsym on its handle finds every THS* export there, except this one
 * THSTorch_dispose_scalar, which holds each Scalar for at least GUARD_MS milliseconds before handing it
 * to the real one (a sweeper thread frees the expired ones every SWEEP_MS, so they do not outlive that by
 * much: Scalars kept across whole training steps fragment the heap, measured +650 MiB RSS on the
 * quickstart with a 2 s guard freed only on later disposals). No op takes that long between its
 * P/Invoke and reading its scalar arguments (microseconds).
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
#define GUARD_MS 200u
#define SWEEP_MS 50u
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

/* Takes up to MAX_FREE_PER_CALL expired entries (all of them old enough, or the oldest when full). */
static int take_expired(uint64_t t, void **expired)
{
    int n = 0;
    while (count > 0 && n < MAX_FREE_PER_CALL) {
        uint32_t tail = (head + CAPACITY - count) % CAPACITY;
        if (count < CAPACITY && t - stamp_ms[tail] < GUARD_MS) break;
        expired[n++] = pending[tail];
        count--;
    }
    return n;
}

static void *sweeper(void *arg)
{
    (void)arg;
    struct timespec pause = {0, SWEEP_MS * 1000000l};
    for (;;) {
        nanosleep(&pause, NULL);
        dispose_fn f = real();
        for (;;) {
            void *expired[MAX_FREE_PER_CALL];
            pthread_mutex_lock(&lock);
            int n = take_expired(now_ms(), expired);
            pthread_mutex_unlock(&lock);
            for (int i = 0; i < n; i++) if (f) f(expired[i]);
            if (n < MAX_FREE_PER_CALL) break;
        }
    }
    return NULL;
}

static pthread_once_t sweeper_once = PTHREAD_ONCE_INIT;
static void start_sweeper(void)
{
    pthread_t thread;
    if (pthread_create(&thread, NULL, sweeper, NULL) == 0) pthread_detach(thread);
}

void THSTorch_dispose_scalar(void *scalar)
{
    void *expired[MAX_FREE_PER_CALL];
    pthread_once(&sweeper_once, start_sweeper);
    uint64_t t = now_ms();
    pthread_mutex_lock(&lock);
    int n = take_expired(t, expired);
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
