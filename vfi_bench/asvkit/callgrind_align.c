/* Preloaded into the Callgrind child only (vfi_bench/asvkit/callgrind.py): every block
   malloc, calloc and realloc hand out is aligned to 64 bytes, so that code whose
   instruction count follows its data's alignment (memcpy's and SIMD loops' peeling)
   counts the same whatever the heap's layout; free is glibc's, which takes them. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#define ALIGNMENT 64

void *malloc(size_t size) { return memalign(ALIGNMENT, size); }

void *calloc(size_t count, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    void *block = memalign(ALIGNMENT, total);
    if (block != NULL) memset(block, 0, total);
    return block;
}

void *realloc(void *old, size_t size) {
    if (old == NULL) return malloc(size);
    if (size == 0) {
        free(old);
        return NULL;
    }
    void *block = memalign(ALIGNMENT, size);
    if (block == NULL) return NULL;
    size_t kept = malloc_usable_size(old);
    memcpy(block, old, kept < size ? kept : size);
    free(old);
    return block;
}
