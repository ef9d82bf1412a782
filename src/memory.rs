//! The heap: large buffers go back to the system when they are freed.
//!
//! Every password hash or check (Argon2id) allocates one 19 MiB working buffer. glibc serves
//! the first from `mmap` and unmaps it on free, but then raises its mmap threshold to that size,
//! so every later one comes from a per-thread heap arena and stays there after the request:
//! one sign-up and one sign-in left the server at 39 MB instead of 19 MB (measured with
//! `MALLOC_MMAP_THRESHOLD_`, see docs/benchmark.md). Setting the threshold explicitly turns
//! that adjustment off (mallopt(3)).

/// `M_MMAP_THRESHOLD` of glibc's `malloc.h`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const M_MMAP_THRESHOLD: std::ffi::c_int = -3;

/// Allocations from this size up are mapped and unmapped on their own (glibc's default
/// starting value, now fixed).
const MMAP_THRESHOLD_BYTES: std::ffi::c_int = 128 * 1024;

/// Call first in `main`, before threads start. Returns whether the allocator took it (always
/// false off glibc, where there is nothing to change).
pub fn return_large_buffers() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
        }
        // SAFETY: mallopt only sets an allocator parameter; it takes no pointers.
        unsafe { mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _ = MMAP_THRESHOLD_BYTES;
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_takes_the_threshold() {
        assert!(super::return_large_buffers());
    }
}
