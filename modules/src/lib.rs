//! The typed model of a stackgen stack.
//!
//! Each module is a struct users write in a spec (serde + schemars), the rules it must satisfy,
//! and how it renders itself into a Terraform child module. Nothing here touches the file system.

pub mod common;
pub mod diagnostics;
pub mod hcl_util;
pub mod module;
pub mod resource_group;
pub mod rules;
pub mod stack;

pub use diagnostics::{Diagnostic, Diagnostics, FieldPath, Location};
pub use module::{Module, Output, ProviderRequirement, RenderError, RenderedModule, StackContext, StackSettings, Variable};
