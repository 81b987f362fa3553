//! Data parallelism with rayon when the `parallel` feature is on (the default), plain
//! iteration otherwise (e.g. single-threaded WebAssembly). Every use is a pure map or a sort by
//! a total order, so results never depend on the thread count.

use std::cmp::Ordering;

#[cfg(feature = "parallel")]
use rayon::prelude::*;

/// `items.iter().map(f).collect()`, in parallel when enabled.
#[cfg(feature = "parallel")]
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    items.par_iter().map(f).collect()
}

/// `items.iter().map(f).collect()`, in parallel when enabled.
#[cfg(not(feature = "parallel"))]
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    items.iter().map(f).collect()
}

/// The distinct values of `key` over `items`, in no particular order.
#[cfg(feature = "parallel")]
pub(crate) fn distinct<'a, T: Sync, K: Eq + std::hash::Hash + Send + 'a>(
    items: &'a [T],
    key: impl Fn(&'a T) -> K + Sync + Send,
) -> Vec<K> {
    items
        .par_iter()
        .fold(rustc_hash::FxHashSet::default, |mut set, item| {
            set.insert(key(item));
            set
        })
        .reduce(rustc_hash::FxHashSet::default, |mut a, b| {
            a.extend(b);
            a
        })
        .into_iter()
        .collect()
}

/// The distinct values of `key` over `items`, in no particular order.
#[cfg(not(feature = "parallel"))]
pub(crate) fn distinct<'a, T: Sync, K: Eq + std::hash::Hash + Send + 'a>(
    items: &'a [T],
    key: impl Fn(&'a T) -> K + Sync + Send,
) -> Vec<K> {
    items
        .iter()
        .map(key)
        .collect::<rustc_hash::FxHashSet<K>>()
        .into_iter()
        .collect()
}

/// Unstable sort by a key, in parallel when enabled. Callers make keys unique (by adding the
/// item's index), so the order is still fully determined; unlike the stable sort it needs no
/// buffer as large as the input.
#[cfg(feature = "parallel")]
pub(crate) fn sort_unstable_by_key<T: Send, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K + Sync) {
    items.par_sort_unstable_by_key(key);
}

/// Unstable sort by a key, in parallel when enabled.
#[cfg(not(feature = "parallel"))]
pub(crate) fn sort_unstable_by_key<T: Send, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K + Sync) {
    items.sort_unstable_by_key(key);
}

/// Calls `f` on each maximal run of consecutive items that are `same`, in parallel when enabled.
#[cfg(feature = "parallel")]
pub(crate) fn for_each_run_mut<T: Send>(
    items: &mut [T],
    same: impl Fn(&T, &T) -> bool + Sync + Send,
    f: impl Fn(&mut [T]) + Sync + Send,
) {
    items.par_chunk_by_mut(same).for_each(f);
}

/// Calls `f` on each maximal run of consecutive items that are `same`, in parallel when enabled.
#[cfg(not(feature = "parallel"))]
pub(crate) fn for_each_run_mut<T: Send>(
    items: &mut [T],
    same: impl Fn(&T, &T) -> bool + Sync + Send,
    f: impl Fn(&mut [T]) + Sync + Send,
) {
    items.chunk_by_mut(same).for_each(f);
}

/// Unstable sort by a total order, in parallel when enabled.
#[cfg(feature = "parallel")]
pub(crate) fn sort_unstable_by<T: Send>(items: &mut [T], cmp: impl Fn(&T, &T) -> Ordering + Sync) {
    items.par_sort_unstable_by(cmp);
}

/// Unstable sort by a total order, in parallel when enabled.
#[cfg(not(feature = "parallel"))]
pub(crate) fn sort_unstable_by<T: Send>(items: &mut [T], cmp: impl Fn(&T, &T) -> Ordering + Sync) {
    items.sort_unstable_by(cmp);
}

/// `items.iter().map(|x| f(&mut state, x)).collect()` with one `init()` state per worker, in
/// parallel when enabled: for scratch buffers reused across items.
#[cfg(feature = "parallel")]
pub(crate) fn map_init<T: Sync, S, R: Send>(
    items: &[T],
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, &T) -> R + Sync + Send,
) -> Vec<R> {
    items.par_iter().map_init(init, f).collect()
}

/// `items.iter().map(|x| f(&mut state, x)).collect()` with one `init()` state.
#[cfg(not(feature = "parallel"))]
pub(crate) fn map_init<T: Sync, S, R: Send>(
    items: &[T],
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, &T) -> R + Sync + Send,
) -> Vec<R> {
    let mut state = init();
    items.iter().map(|x| f(&mut state, x)).collect()
}

/// `(a(), b())`, on two threads when enabled.
#[cfg(feature = "parallel")]
pub(crate) fn join<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    rayon::join(a, b)
}

/// `(a(), b())`.
#[cfg(not(feature = "parallel"))]
pub(crate) fn join<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    (a(), b())
}
