//! ECS's `nextToken` / `maxResults` pagination: berth-aws's tokens, with ECS's errors.

use crate::error::{EcsError, Result};

pub use berth_aws::page::Page;

/// Checks `maxResults` against the operation's range (`1..=max`); absent means `default`.
pub fn page_size(max_results: Option<i32>, max: i32, default: i32) -> Result<usize> {
    berth_aws::page::page_size(max_results, max, default)
        .map_err(|e| EcsError::invalid(e.to_string()))
}

/// Returns the page of `(key, item)` (already sorted by key, ascending) after `token`.
pub fn paginate<T>(
    sorted: impl IntoIterator<Item = (String, T)>,
    token: Option<&str>,
    size: usize,
) -> Result<Page<T>> {
    paginate_ordered(sorted, token, size, false)
}

/// As [`paginate`], for keys sorted ascending (`descending == false`) or descending.
pub fn paginate_ordered<T>(
    sorted: impl IntoIterator<Item = (String, T)>,
    token: Option<&str>,
    size: usize,
    descending: bool,
) -> Result<Page<T>> {
    berth_aws::page::paginate_ordered(sorted, token, size, descending)
        .map_err(|e| EcsError::invalid(e.to_string()))
}
