//! Load tool (placeholder).
