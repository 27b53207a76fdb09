// Hints to the processor that Swift has no words for. Static inline, so that the
// Swift compiler inlines them into the loops that call them.
#ifndef LOYALTY_CHINTS_H
#define LOYALTY_CHINTS_H

/// Starts loading the cache line at `address` for a later read, so that a loop over
/// keys scattered through a large table overlaps its cache misses instead of waiting
/// for each in turn.
static inline void loyalty_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// The same, for a line that will be written.
static inline void loyalty_prefetch_write(const void *address) { __builtin_prefetch(address, 1, 3); }

#endif
