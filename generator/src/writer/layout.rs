//! Where stackgen keeps its own records inside an output folder.

/// The folder stackgen reserves inside the output folder; a [`FileTree`](crate::FileTree) may not
/// write into it.
pub const RESERVED_DIR: &str = ".stackgen";
