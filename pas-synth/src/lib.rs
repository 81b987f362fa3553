//! Synthetic provinces (placeholder, being written).
