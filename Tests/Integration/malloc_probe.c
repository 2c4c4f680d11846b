/*
 * Measurement probe for the leak test (test_zv_leaks.py), LD_PRELOADed into the real exporter binary.
 *
 * Resident memory cannot tell a leak from heap fragmentation: glibc keeps freed heap memory resident when a
 * live block sits above it, so the exporter's RSS trough wanders by several MiB with no leak at all (measured:
 * the heap grew from 9 to 14-17 MiB over 1000 cycles with the bytes in use flat at 4-5 MiB). What a leak grows
 * is the bytes the allocator hands out and never gets back, which only the process itself can read. This
 * thread writes glibc's own count (mallinfo2, summed over every arena) every 50 ms to $MALLOC_PROBE_FILE:
 *
 *   <monotonic ms> <heap bytes in use> <heap bytes free> <mapped bytes> <mapped blocks>
 *
 * It reads, it never allocates through malloc after start-up (stdio's one buffer), and the exporter's code is
 * untouched. Not a fake: the exporter is the shipped binary; this only observes it.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void *sample_forever(void *argument) {
    FILE *out = argument;
    for (;;) {
        struct mallinfo2 info = mallinfo2();
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        fprintf(out, "%lld %zu %zu %zu %zu\n", (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000,
                info.uordblks, info.fordblks, info.hblkhd, info.hblks);
        fflush(out);
        usleep(50 * 1000);
    }
    return NULL;
}

__attribute__((constructor)) static void start_probe(void) {
    const char *path = getenv("MALLOC_PROBE_FILE");
    if (path == NULL) return;
    FILE *out = fopen(path, "w");
    if (out == NULL) return;  /* the test sees an empty file and fails with that message */
    pthread_t thread;
    if (pthread_create(&thread, NULL, sample_forever, out) == 0) pthread_detach(thread);
}
