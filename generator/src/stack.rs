//! A stack as an ordered list of modules: built from a spec, then extended in code with modules of
//! your own through the same [`Module`] trait stackgen's modules implement.

use stackgen_modules::{Contributions, Diagnostics, FieldPath, Module, StackSpec};

use crate::generated::{GenerateError, Generated};
use crate::terraform::{RootOptions, render_modules};

/// Modules in dependency order plus what the root module needs.
pub struct Stack<'a> {
    root: RootOptions,
    modules: Vec<(FieldPath, Box<dyn Module + 'a>)>,
}

impl std::fmt::Debug for Stack<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack").field("root", &self.root).field("modules", &self.module_names()).finish()
    }
}

impl<'a> Stack<'a> {
    /// An empty stack.
    pub fn new(root: RootOptions) -> Self {
        Self { root, modules: Vec::new() }
    }

    /// The modules a spec describes, in dependency order.
    pub fn from_spec(spec: &'a StackSpec) -> Self {
        let root = RootOptions { settings: spec.settings() };
        Self { root, modules: spec.modules() }
    }

    /// Appends a module; it may refer to outputs of every module before it.
    #[must_use]
    pub fn push(mut self, module: impl Module + 'a) -> Self {
        let at = FieldPath::root().key(module.name());
        self.modules.push((at, Box::new(module)));
        self
    }

    /// Inserts a module just before the module named `before` (or at the end when there is none),
    /// so that `before` can refer to its outputs.
    #[must_use]
    pub fn insert_before(mut self, before: &str, module: impl Module + 'a) -> Self {
        let at = FieldPath::root().key(module.name());
        let index = self.modules.iter().position(|(_, m)| m.name() == before).unwrap_or(self.modules.len());
        self.modules.insert(index, (at, Box::new(module)));
        self
    }

    /// Replaces the module named like `module` (or appends it when there is none).
    #[must_use]
    pub fn replace(mut self, module: impl Module + 'a) -> Self {
        match self.modules.iter().position(|(_, m)| m.name() == module.name()) {
            Some(index) => self.modules[index].1 = Box::new(module),
            None => return self.push(module),
        }
        self
    }

    /// Module names in order.
    pub fn module_names(&self) -> Vec<&str> {
        self.modules.iter().map(|(_, m)| m.name()).collect()
    }

    /// Every rule broken by any module.
    pub fn validate(&self) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        for (at, module) in &self.modules {
            module.validate(at, &mut diagnostics);
        }
        diagnostics
    }

    /// The Terraform root and child modules, the modules' warnings, and what the modules
    /// contribute to the other artifacts.
    ///
    /// # Errors
    /// When the modules' wiring is wrong.
    pub fn render_terraform(&self) -> Result<(Generated, Contributions), GenerateError> {
        let modules: Vec<&(dyn Module + 'a)> = self.modules.iter().map(|(_, m)| m.as_ref()).collect();
        render_modules(&self.root, &modules)
    }
}
