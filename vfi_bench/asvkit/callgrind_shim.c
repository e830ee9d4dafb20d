/* Callgrind's client requests as functions ctypes can call (vfi_bench/asvkit/callgrind.py).
   Outside Valgrind each request is a no-op. */
#include <valgrind/callgrind.h>

void region_open(void) {
    CALLGRIND_ZERO_STATS;
    CALLGRIND_START_INSTRUMENTATION;
}

void region_close(const char *name) {
    CALLGRIND_STOP_INSTRUMENTATION;
    CALLGRIND_DUMP_STATS_AT(name);
}

unsigned running_on_valgrind(void) { return RUNNING_ON_VALGRIND; }
