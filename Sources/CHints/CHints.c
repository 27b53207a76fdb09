// The prefetch hints are static inline functions in include/CHints.h; the direct-write
// flag and SCHED_IDLE below need _GNU_SOURCE, which a header shared with Swift should
// not define.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "CHints.h"

int loyalty_direct_write_flag(void) {
#ifdef O_DIRECT
  return O_DIRECT;
#else
  return 0;
#endif
}

void loyalty_keep_freed_memory(void) {
#ifdef __GLIBC__
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_ARENA_MAX, 1);
#endif
}

int loyalty_run_when_idle(void) {
#ifdef SCHED_IDLE
  struct sched_param none = {0};
  return sched_setscheduler(0, SCHED_IDLE, &none);
#else
  return -1;
#endif
}

int loyalty_exchange_paths(const char *a, const char *b) {
#if defined(__linux__) && defined(RENAME_EXCHANGE)
  return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
#else
  (void)a;
  (void)b;
  errno = ENOSYS;
  return -1;
#endif
}

static int sigbus_as_json = 0;

static void loyalty_on_sigbus(int signal) {
  (void)signal;
#define SIGBUS_SENTENCE                                                                                   \
  "an input file could not be read where it was mapped (SIGBUS): most likely it was truncated or rewritten " \
  "while the run read it; nothing was published. Run again once the export is complete."
  static const char plain[] = "loyalty: " SIGBUS_SENTENCE "\n";
  static const char json[] = "{\"level\":\"error\",\"label\":\"loyalty\",\"message\":\"" SIGBUS_SENTENCE "\"}\n";
  // write(2) and _exit(2) are async-signal-safe; nothing else is called here.
  ssize_t ignored = sigbus_as_json ? write(2, json, sizeof json - 1) : write(2, plain, sizeof plain - 1);
  (void)ignored;
  _exit(2);
}

void loyalty_stop_on_sigbus(int json) {
  sigbus_as_json = json;
  struct sigaction action = {0};
  action.sa_handler = loyalty_on_sigbus;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, NULL);
}
