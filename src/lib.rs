//! stackgen: typed Azure Kubernetes Service stacks from one spec.
pub use stackgen_generator as generator;
pub use stackgen_modules as modules;
