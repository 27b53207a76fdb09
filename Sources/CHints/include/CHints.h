// Hints to the processor and the kernel that Swift has no words for. The prefetches are
// static inline, so that the Swift compiler inlines them into the loops that call them.
#ifndef LOYALTY_CHINTS_H
#define LOYALTY_CHINTS_H

/// Starts loading the cache line at `address` for a later read, so that a loop over
/// keys scattered through a large table overlaps its cache misses instead of waiting
/// for each in turn.
static inline void loyalty_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// The same, for a line that will be written.
static inline void loyalty_prefetch_write(const void *address) { __builtin_prefetch(address, 1, 3); }

/// The open flag for writes that bypass the page cache (Linux's O_DIRECT, which Swift's
/// Glibc module leaves out), or 0 where there is none.
int loyalty_direct_write_flag(void);

/// Asks glibc to keep freed memory in the heap for later allocations: no block mapped on
/// its own (so none is unmapped when freed) and one arena for all threads. Does nothing
/// with another C library.
void loyalty_keep_freed_memory(void);

/// Puts the calling thread in Linux's idle scheduling class (SCHED_IDLE), below nice 19:
/// it runs when no other thread wants the core. 0 on success, -1 where there is none.
int loyalty_run_when_idle(void);

/// Swaps the two paths (both must exist) in one step, Linux's `renameat2` with
/// RENAME_EXCHANGE: each name then holds what the other held, with no instant where
/// either is missing. 0 on success; -1 with errno set on any failure, which changes
/// nothing (EINVAL or ENOSYS where the file system or the system has no such step).
int loyalty_exchange_paths(const char *a, const char *b);

/// Ends the process with exit code 2 and one sentence on stderr (a JSON log line when
/// `json` is not 0) on SIGBUS, which a memory-mapped input raises when the file is cut
/// short while it is read, instead of dying of the signal. The report folder is
/// written beside its place and renamed at the end, so nothing is published.
void loyalty_stop_on_sigbus(int json);

#endif
