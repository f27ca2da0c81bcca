//! stackgen's generator: spec file → typed model → rendered artifacts → file tree → writer.
//!
//! Imports flow one way: [`generate`] assembles; it uses [`stack`] and the renderers
//! ([`terraform`], [`chart`], [`pipeline`], [`docker`]); every renderer returns its own files and
//! shares only the leaf [`generated`] (what a generation produces, why it fails) and
//! [`file_tree`]. [`cli`] sits on top of everything and nothing imports it.

pub mod chart;
pub mod cli;
pub mod docker;
pub mod file_tree;
pub mod generate;
pub mod generated;
pub mod hclfmt;
pub mod json_schema;
pub mod load;
pub mod markdown;
pub mod pipeline;
pub mod repository;
pub mod spec_file;
pub mod stack;
pub mod starter;
pub mod terraform;
pub mod terraform_tests;
pub mod writer;

pub use file_tree::{FileKind, FileTree};
pub use generate::{generate, generate_with};
pub use generated::{GenerateError, Generated};
pub use load::Format;
pub use spec_file::{DEFAULT_SPEC, load_and_validate, parse_and_validate};
pub use stack::Stack;
