//! The typed model of a stackgen stack.
//!
//! Each module is a struct users write in a spec (serde + schemars), the rules it must satisfy,
//! and how it renders itself into a Terraform child module. Nothing here touches the file system.

pub mod acr;
pub mod aks;
pub mod app;
pub mod argocd;
pub mod cert_manager;
pub mod common;
pub mod contribution;
pub mod delivery;
pub mod diagnostics;
pub mod dns;
pub mod envoy_gateway;
pub mod error;
pub mod gateway;
pub mod github_oidc;
pub mod hcl_util;
pub mod helm_release;
pub mod ingress;
pub mod kubernetes_access;
pub mod module;
pub mod resource_group;
pub mod rules;
pub mod section;
pub mod source;
pub mod spec;
pub mod stack;
pub mod traefik;

pub use diagnostics::{Diagnostic, Diagnostics, FieldPath, Location};
pub use module::{
    BlockComment, ClusterConnection, ClusterCredentials, ContributedJob, Contributions, Input, Inputs, Module, Output,
    OutputRef, ProviderRequirement, ReadmeNote, ReadmeStep, RenderError, RenderedModule, RepositoryVariable, Section,
    SectionModule, SettingValue, ShellStep, StackContext, StackSettings, Variable, WorkflowJob, WorkflowStep,
};
pub use spec::StackSpec;
