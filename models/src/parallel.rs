//! Data parallelism on candle's barrier pool: persistent spinning workers with the calling thread
//! taking part. A decode step makes over a hundred parallel calls (every projection, attention,
//! the token draws); waking rayon's sleeping workers for each cost a quarter of the batch-1 time,
//! and two pools on two cores fight each other.

use std::marker::PhantomData;
use std::mem::MaybeUninit;

/// A mutable slice that the threads of one parallel call write through, each to its own part.
pub(crate) struct SharedMut<'a, T> {
    ptr: *mut T,
    len: usize,
    _slice: PhantomData<&'a mut [T]>,
}

// SAFETY: threads only reach the elements through `part`, whose contract keeps them disjoint.
unsafe impl<T: Send> Sync for SharedMut<'_, T> {}

impl<'a, T> SharedMut<'a, T> {
    pub fn new(slice: &'a mut [T]) -> Self {
        SharedMut {
            ptr: slice.as_mut_ptr(),
            len: slice.len(),
            _slice: PhantomData,
        }
    }

    /// Elements `start..start + len`.
    ///
    /// # Safety
    /// No two live parts overlap (each parallel task takes its own range).
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn part(&self, start: usize, len: usize) -> &mut [T] {
        assert!(
            start + len <= self.len,
            "part {start}+{len} of {}",
            self.len
        );
        // SAFETY: in bounds (asserted); disjointness is the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), len) }
    }
}

/// A vector of `len` elements that `fill` writes through a shared view (from parallel tasks),
/// without zero-filling it first: the callers' outputs are megabytes per decode step.
///
/// # Safety
/// `fill` writes every element before it returns.
pub(crate) unsafe fn filled_vec<T>(
    len: usize,
    fill: impl FnOnce(&SharedMut<'_, MaybeUninit<T>>),
) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    // Tests poison the memory, so an element a kernel forgets cannot pass for a right one left
    // over from an earlier allocation.
    #[cfg(test)]
    // SAFETY: `len` elements of capacity exist; any byte pattern may sit in uninitialized memory.
    unsafe {
        std::ptr::write_bytes(v.as_mut_ptr(), 0xA5, len)
    };
    fill(&SharedMut::new(&mut v.spare_capacity_mut()[..len]));
    // SAFETY: the caller's contract: all `len` elements are initialized.
    unsafe { v.set_len(len) };
    v
}

/// Splits `0..n` into ranges run by `f` on the barrier pool (inline when already inside it).
pub(crate) fn for_ranges(n: usize, f: impl Fn(std::ops::Range<usize>) + Sync) {
    candle_core::utils::barrier_pool().execute_chunked(n, f);
}

/// `f(i, &mut items[i])` for every item, in parallel.
pub(crate) fn for_each_mut<T: Send>(items: &mut [T], f: impl Fn(usize, &mut T) + Sync) {
    let n = items.len();
    let shared = SharedMut::new(items);
    for_ranges(n, |range| {
        for i in range {
            // SAFETY: the ranges of one call are disjoint, so item i is reached once.
            f(i, unsafe { &mut shared.part(i, 1)[0] });
        }
    });
}
