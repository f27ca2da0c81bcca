//! Spec sections that become modules once given what they need from outside their own settings.
//!
//! Most of stackgen's modules are a section of the spec (`aks:`, `dns:`, …) plus a little more: a
//! value another section holds (the DNS zone cert-manager may write in), or wiring chosen in code
//! (the Log Analytics workspace the cluster reports to). Rather than one wrapper struct per module
//! holding `&spec` and the extras, each repeating a constructor and a `validate` that only hands
//! on to the section, the section implements [`Section`] once, naming its extras as
//! [`Section::Context`], and [`SectionModule`] — one generic struct — is the [`Module`].
//!
//! Where an extra goes, decided per value:
//! - a setting of the module itself lives in its spec section (and so in the schema);
//! - a value only Terraform knows (an id, an address) is never copied in: the module asks
//!   [`StackContext::output`] or [`StackContext::reference`] for it, so a missing output is a
//!   [`RenderError`] naming both modules;
//! - a value another section holds that is needed *while generating* (README text, a display
//!   name, whether to render a block at all) is the module's `Context`: an output would only be
//!   known after `terraform apply`, too late for any of those.
//!
//! A section that needs nothing beyond its own settings skips all of this and implements
//! [`Module`] itself (`Acr`, `Github`, `ArgoCd`): `&spec.acr` is then a module as it is.

use crate::diagnostics::{Diagnostics, FieldPath};
use crate::module::{BlockComment, Contributions, Module, RenderError, RenderedModule, StackContext};

/// A spec section that renders as a module together with its [`Section::Context`]: the hooks of
/// [`Module`], each also handed the context. Use it through [`SectionModule`].
pub trait Section {
    /// What the module needs from outside the section (see the module docs for what belongs
    /// here); `()` when nothing. `Default` when it has a sensible empty value, which enables
    /// [`SectionModule::new`].
    type Context;

    /// The module's name ([`Module::name`]): snake_case.
    const NAME: &'static str;

    /// Pushes every rule of the section that is broken, with field paths below `at`
    /// ([`Module::validate`]).
    fn validate_at(&self, at: &FieldPath, diagnostics: &mut Diagnostics);

    /// The child module and the inputs the root passes to it ([`Module::render`]).
    ///
    /// # Errors
    /// When an output of another module it refers to is missing.
    fn render(&self, context: &Self::Context, stack: &StackContext) -> Result<RenderedModule, RenderError>;

    /// Comments inside the child module's blocks ([`Module::comments`]). None by default.
    fn comments(&self, context: &Self::Context) -> Vec<BlockComment> {
        let _ = context;
        Vec::new()
    }

    /// What the module adds to the other artifacts ([`Module::contribute`]). Nothing by default.
    ///
    /// # Errors
    /// When an output it refers to is missing.
    fn contribute(&self, context: &Self::Context, stack: &StackContext) -> Result<Contributions, RenderError> {
        let _ = (context, stack);
        Ok(Contributions::default())
    }
}

/// The module of a spec section: the section, borrowed, and its context. stackgen's own are named
/// after the section (`AksModule<'a>` is `SectionModule<'a, Aks>`), and the section's file adds
/// the builders that set its context (`AksModule::new(&spec.aks).with_log_analytics(..)`).
pub struct SectionModule<'a, S: Section> {
    spec: &'a S,
    context: S::Context,
}

impl<'a, S: Section> SectionModule<'a, S> {
    /// The module of `spec` with `context`.
    pub fn with_context(spec: &'a S, context: S::Context) -> Self {
        Self { spec, context }
    }

    /// The section.
    pub fn spec(&self) -> &'a S {
        self.spec
    }

    /// The context.
    pub fn context(&self) -> &S::Context {
        &self.context
    }

    /// The context, to change it (the section's builders use this).
    pub fn context_mut(&mut self) -> &mut S::Context {
        &mut self.context
    }
}

impl<'a, S: Section<Context: Default>> SectionModule<'a, S> {
    /// The module of `spec` with an empty context.
    pub fn new(spec: &'a S) -> Self {
        Self::with_context(spec, S::Context::default())
    }
}

impl<S: Section> Module for SectionModule<'_, S> {
    fn name(&self) -> &str {
        S::NAME
    }
    fn validate(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        self.spec.validate_at(at, diagnostics);
    }
    fn render(&self, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        self.spec.render(&self.context, stack)
    }
    fn comments(&self) -> Vec<BlockComment> {
        self.spec.comments(&self.context)
    }
    fn contribute(&self, stack: &StackContext) -> Result<Contributions, RenderError> {
        self.spec.contribute(&self.context, stack)
    }
}

// By hand: derived impls would ask `S: Clone` / `S: Debug` of the borrowed section only.
impl<S: Section<Context: Clone>> Clone for SectionModule<'_, S> {
    fn clone(&self) -> Self {
        Self { spec: self.spec, context: self.context.clone() }
    }
}

impl<S: Section<Context: std::fmt::Debug> + std::fmt::Debug> std::fmt::Debug for SectionModule<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SectionModule")
            .field("name", &S::NAME)
            .field("spec", self.spec)
            .field("context", &self.context)
            .finish()
    }
}
