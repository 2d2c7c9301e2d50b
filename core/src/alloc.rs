//! The allocator of the `detente` binary and the Python module (feature `mimalloc`): each
//! declares `#[global_allocator] static A: detente_core::alloc::Allocator = Allocator;` and
//! calls [`keep_freed_memory`] once at start.
//!
//! Bulk imports and index builds allocate and free buffers of hundreds of megabytes: mimalloc
//! reuses them, where the system allocator maps fresh pages for each and the kernel zeroes
//! every one (about 0.85 s per GiB on a 2-core VM).

/// The global allocator to declare.
pub use mimalloc::MiMalloc as Allocator;

/// mimalloc's index of its `purge_delay` option (`mi_option_purge_delay`, the same in its v2 and
/// v3 headers), which the crate's bindings do not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory for a second before giving it back to the system, rather than mimalloc's
/// 10 ms: an import frees and takes again hundreds of megabytes every few hundred milliseconds,
/// and pages given back come again zeroed (the 5M-row import: 0.75–0.82 s of system time
/// instead of 1.2–2.1 s). An idle process still shrinks.
pub fn keep_freed_memory() {
    // SAFETY: sets a number in the allocator's option table, which mimalloc reads as it goes
    // (options may be set at any time).
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000) };
}
