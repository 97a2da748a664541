//! The rustensor node (work in progress, issue #5).
