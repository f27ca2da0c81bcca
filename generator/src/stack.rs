//! A stack as an ordered list of modules: built from a spec, then customized in code (modules of
//! your own through the same [`Module`] trait stackgen's modules implement, the workload and its
//! delivery) before every artifact is rendered from it.

use std::borrow::Cow;

use stackgen_modules::app::App;
use stackgen_modules::delivery::Delivery;
use stackgen_modules::{Contributions, Diagnostics, FieldPath, Module, StackSpec};

use crate::generated::{GenerateError, Generated};
use crate::terraform::{RootOptions, render_modules};

/// A spec and the changes made to it in code. The modules, the chart, the workflows and the README
/// are all built from it, so a change made here reaches every artifact.
pub struct Stack<'a> {
    spec: Cow<'a, StackSpec>,
    changes: Vec<Change<'a>>,
}

/// A change to the spec's list of modules, applied in order when the stack renders (the spec's own
/// modules depend on the spec as customized, so they are only listed then).
enum Change<'a> {
    Push(Box<dyn Module + 'a>),
    InsertBefore(String, Box<dyn Module + 'a>),
    Replace(Box<dyn Module + 'a>),
}

impl std::fmt::Debug for Stack<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack").field("name", &self.spec.stack.name).field("modules", &self.module_names()).finish()
    }
}

impl<'a> Stack<'a> {
    /// The modules a spec describes, in dependency order, and its workload and delivery.
    pub fn from_spec(spec: &'a StackSpec) -> Self {
        Self { spec: Cow::Borrowed(spec), changes: Vec::new() }
    }

    /// The spec as customized so far: what the chart, the workflows and the README are built from.
    pub fn spec(&self) -> &StackSpec {
        &self.spec
    }

    /// Changes the deployed service (replicas, port, image repository, …) before anything renders.
    #[must_use]
    pub fn with_app(mut self, change: impl FnOnce(&mut App)) -> Self {
        change(&mut self.spec.to_mut().app);
        self
    }

    /// Changes how new versions are deployed (mode, notification, …) before anything renders.
    #[must_use]
    pub fn with_delivery(mut self, change: impl FnOnce(&mut Delivery)) -> Self {
        change(&mut self.spec.to_mut().delivery);
        self
    }

    /// Appends a module; it may refer to outputs of every module before it.
    #[must_use]
    pub fn push(mut self, module: impl Module + 'a) -> Self {
        self.changes.push(Change::Push(Box::new(module)));
        self
    }

    /// Inserts a module just before the module named `before` (or at the end when there is none),
    /// so that `before` can refer to its outputs.
    #[must_use]
    pub fn insert_before(mut self, before: &str, module: impl Module + 'a) -> Self {
        self.changes.push(Change::InsertBefore(before.to_owned(), Box::new(module)));
        self
    }

    /// Replaces the module named like `module` (or appends it when there is none).
    #[must_use]
    pub fn replace(mut self, module: impl Module + 'a) -> Self {
        self.changes.push(Change::Replace(Box::new(module)));
        self
    }

    /// The modules in order, each with the field path its rules are reported under: the spec's,
    /// then the changes made in code.
    fn modules(&self) -> Vec<(FieldPath, Box<dyn Module + '_>)> {
        let mut modules = self.spec.modules();
        let at = |module: &dyn Module| FieldPath::root().key(module.name());
        for change in &self.changes {
            match change {
                Change::Push(module) => modules.push((at(module.as_ref()), Box::new(module.as_ref()))),
                Change::InsertBefore(before, module) => {
                    let index = modules.iter().position(|(_, m)| m.name() == before).unwrap_or(modules.len());
                    modules.insert(index, (at(module.as_ref()), Box::new(module.as_ref())));
                }
                Change::Replace(module) => match modules.iter().position(|(_, m)| m.name() == module.name()) {
                    Some(index) => modules[index].1 = Box::new(module.as_ref()),
                    None => modules.push((at(module.as_ref()), Box::new(module.as_ref()))),
                },
            }
        }
        modules
    }

    /// Module names in order.
    pub fn module_names(&self) -> Vec<String> {
        self.modules().iter().map(|(_, m)| m.name().to_owned()).collect()
    }

    /// Every rule broken by any module, and by the customized spec beyond its modules (the app,
    /// delivery, and rules spanning several modules).
    pub fn validate(&self) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        for (at, module) in &self.modules() {
            module.validate(at, &mut diagnostics);
        }
        self.spec.validate_beyond_modules(&mut diagnostics);
        diagnostics
    }

    /// The Terraform root and child modules, the modules' warnings, and what the modules
    /// contribute to the other artifacts.
    ///
    /// # Errors
    /// When the modules' wiring is wrong.
    pub fn render_terraform(&self) -> Result<(Generated, Contributions), GenerateError> {
        let modules = self.modules();
        let modules: Vec<&dyn Module> = modules.iter().map(|(_, m)| m.as_ref() as &dyn Module).collect();
        render_modules(&RootOptions { settings: self.spec.settings() }, &modules)
    }
}
