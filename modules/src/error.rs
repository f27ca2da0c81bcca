//! Why a module could not render: a leaf every part of the seam shares.

/// Why a module could not render. These are bugs in a module's wiring, not user mistakes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A module asked for an output that no earlier module declares.
    #[error("module `{module}` refers to `module.{target}.{output}`, which no module before it declares")]
    UnknownOutput {
        /// The module doing the asking.
        module: String,
        /// The module it asked.
        target: String,
        /// The output it asked for.
        output: String,
    },
    /// The root passes an input the child module does not declare as a variable.
    #[error("module `{module}` is passed `{input}`, which it does not declare as a variable")]
    UndeclaredInput {
        /// The module.
        module: String,
        /// The input name.
        input: String,
    },
    /// A required variable (no default) is not passed by the root.
    #[error("module `{module}` needs variable `{variable}`, which the root does not pass")]
    MissingInput {
        /// The module.
        module: String,
        /// The variable name.
        variable: String,
    },
    /// Two modules share a name.
    #[error("two modules are named `{0}`; module names must be unique")]
    DuplicateModule(String),
    /// A module name is not snake_case, so it cannot be a folder, a module label and an output
    /// prefix at once.
    #[error("module name `{0}` is not snake_case (a lowercase letter, then lowercase letters, digits and `_`)")]
    InvalidName(String),
    /// Two modules both provide the cluster connection.
    #[error("modules `{first}` and `{second}` both provide the cluster connection; only one may")]
    TwoClusters {
        /// The module that provided it first.
        first: String,
        /// The other one.
        second: String,
    },
    /// A module uses the helm or kubernetes provider but no module provides the cluster.
    #[error("module `{module}` uses the {provider} provider, but no module provides the cluster connection")]
    NoCluster {
        /// The module using the provider.
        module: String,
        /// `helm` or `kubernetes`.
        provider: String,
    },
    /// A workflow reads a repository variable no module declares.
    #[error("{used_by} reads `vars.{variable}`, which no module declares as a repository variable")]
    UnknownRepositoryVariable {
        /// The variable.
        variable: String,
        /// What reads it: a workflow file, or a step a module added.
        used_by: String,
    },
    /// A module produced something invalid.
    #[error("module `{module}`: {message}")]
    Invalid {
        /// The module.
        module: String,
        /// What is wrong.
        message: String,
    },
}
