#![doc = include_str!("../README.md")]
//!
//! This crate is a facade: [`modules`] is the typed model (spec structs, rules, the [`modules::Module`]
//! trait), [`generator`] turns a spec into files and writes them.

pub use stackgen_generator as generator;
pub use stackgen_modules as modules;
