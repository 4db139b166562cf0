// ThreadSanitizer does not intercept C11 threads: glibc's thrd_create starts the thread with its
// internal pthread_create, so TSan never registers it, and librdkafka's threads (it uses C11
// threads where the C library has them) crash in TSan's allocator at their first malloc.
// Preloaded into the TSan run only: thrd_create, thrd_join and thrd_detach go through the public
// pthread functions, which TSan intercepts. glibc's thrd_t is a pthread_t, so the rest of C11's
// thread API (thrd_current, thrd_equal, …) works unchanged on these threads.
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

struct start {
    thrd_start_t body;
    void *argument;
};

static void *run(void *context) {
    struct start start = *(struct start *)context;
    free(context);
    return (void *)(intptr_t)start.body(start.argument);
}

int thrd_create(thrd_t *thread, thrd_start_t body, void *argument) {
    struct start *start = malloc(sizeof *start);
    if (start == NULL) return thrd_nomem;
    start->body = body;
    start->argument = argument;
    int failed = pthread_create(thread, NULL, run, start);
    if (failed == 0) return thrd_success;
    free(start);
    return failed == EAGAIN ? thrd_nomem : thrd_error;
}

int thrd_join(thrd_t thread, int *result) {
    void *value;
    if (pthread_join(thread, &value) != 0) return thrd_error;
    if (result != NULL) *result = (int)(intptr_t)value;
    return thrd_success;
}

int thrd_detach(thrd_t thread) {
    return pthread_detach(thread) == 0 ? thrd_success : thrd_error;
}
