//! stackgen's generator: spec file → typed model → rendered artifacts → file tree → writer.

pub mod chart;
pub mod cli;
pub mod docker;
pub mod file_tree;
pub mod generate;
pub mod hclfmt;
pub mod load;
pub mod pipeline;
pub mod stack;
pub mod terraform;
pub mod writer;

pub use file_tree::{FileKind, FileTree};
pub use generate::{GenerateError, Generated, generate, generate_with};
pub use stack::Stack;
