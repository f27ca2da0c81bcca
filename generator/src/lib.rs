//! stackgen's generator: spec file → typed model → rendered artifacts → file tree → writer.

pub mod file_tree;
pub mod load;

pub use file_tree::FileTree;
