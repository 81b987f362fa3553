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

/// Stable sort by `cmp`, in parallel when enabled.
#[cfg(feature = "parallel")]
pub(crate) fn sort_by<T: Send>(items: &mut [T], cmp: impl Fn(&T, &T) -> Ordering + Sync) {
    items.par_sort_by(cmp);
}

/// Stable sort by `cmp`, in parallel when enabled.
#[cfg(not(feature = "parallel"))]
pub(crate) fn sort_by<T: Send>(items: &mut [T], cmp: impl Fn(&T, &T) -> Ordering + Sync) {
    items.sort_by(cmp);
}

/// The distinct values of `key` over `items`, in no particular order.
#[cfg(feature = "parallel")]
pub(crate) fn distinct<'a, T: Sync, K: Eq + std::hash::Hash + Send + 'a>(
    items: &[T],
    key: impl Fn(&T) -> K + Sync + Send,
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
    items: &[T],
    key: impl Fn(&T) -> K + Sync + Send,
) -> Vec<K> {
    items
        .iter()
        .map(key)
        .collect::<rustc_hash::FxHashSet<K>>()
        .into_iter()
        .collect()
}
