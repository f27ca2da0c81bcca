//! The third-party actions the generated workflows use, each pinned to a full commit SHA.
//!
//! Tags are mutable: `aquasecurity/trivy-action`'s tags were force-pushed to malicious commits in
//! March 2026. A SHA is not. Every SHA below was checked against the action's own repository
//! (the tag resolves to that commit) before it was written here; bump them deliberately, never
//! to a SHA that was not looked up. Everything else the workflows need runs as plain shell.

/// A GitHub action pinned to a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinnedAction {
    /// `owner/name`, or `owner/name/path` for an action in a subfolder of its repository.
    pub repo: &'static str,
    /// Full 40-hex commit SHA.
    pub sha: &'static str,
    /// The release tag that commit carries, written as a comment next to the SHA.
    pub version: &'static str,
}

impl PinnedAction {
    /// `owner/name@sha`, the value of `uses:`.
    pub fn uses(&self) -> String {
        format!("{}@{}", self.repo, self.sha)
    }
}

/// `actions/checkout` v6.0.2.
pub const CHECKOUT: PinnedAction =
    PinnedAction { repo: "actions/checkout", sha: "de0fac2e4500dabe0009e67214ff5f5447ce83dd", version: "v6.0.2" };

/// `azure/login` v2.3.0 (OIDC, no client secret).
pub const AZURE_LOGIN: PinnedAction =
    PinnedAction { repo: "azure/login", sha: "a457da9ea143d694b1b9c7c869ebb04ebe844ef5", version: "v2.3.0" };

/// `aquasecurity/trivy-action` v0.35.0, the last release before the March 2026 tag hijack, which
/// installs Trivy v0.69.3 through `setup-trivy` pinned by SHA inside the action.
pub const TRIVY: PinnedAction = PinnedAction {
    repo: "aquasecurity/trivy-action",
    sha: "57a97c7e7821a5776cebc9bb87c984fa69cba8f1",
    version: "v0.35.0",
};

/// `hashicorp/setup-terraform` v4.0.1.
pub const SETUP_TERRAFORM: PinnedAction = PinnedAction {
    repo: "hashicorp/setup-terraform",
    sha: "dfe3c3f87815947d99a8997f908cb6525fc44e9e",
    version: "v4.0.1",
};

/// `docker/setup-buildx-action` v4.3.0: a BuildKit builder, which the GitHub Actions cache
/// backend needs.
pub const SETUP_BUILDX: PinnedAction = PinnedAction {
    repo: "docker/setup-buildx-action",
    sha: "37fe631027851001ddb9b187196cc803df7f5f0e",
    version: "v4.3.0",
};

/// `docker/build-push-action` v7.3.0: builds with the layer cache in the GitHub Actions cache
/// (`type=gha`), which plain `run:` steps cannot reach (its token is only given to actions).
pub const BUILD_PUSH: PinnedAction = PinnedAction {
    repo: "docker/build-push-action",
    sha: "53b7df96c91f9c12dcc8a07bcb9ccacbed38856a",
    version: "v7.3.0",
};

/// `actions/cache` v5.0.5, restore half: restores the pull-request gate's stackgen binary.
pub const CACHE_RESTORE: PinnedAction =
    PinnedAction { repo: "actions/cache/restore", sha: "27d5ce7f107fe9357f9df03efb73ab90386fccae", version: "v5.0.5" };

/// `actions/cache` v5.0.5, save half: saves the binary right after the install, so a gate that
/// then fails on a hand edit still caches it (the combined action only saves after success).
pub const CACHE_SAVE: PinnedAction =
    PinnedAction { repo: "actions/cache/save", sha: CACHE_RESTORE.sha, version: CACHE_RESTORE.version };

/// Every pinned action, for the comment pass and the tests.
pub const ALL: [PinnedAction; 8] =
    [CHECKOUT, AZURE_LOGIN, TRIVY, SETUP_TERRAFORM, SETUP_BUILDX, BUILD_PUSH, CACHE_RESTORE, CACHE_SAVE];

/// The Terraform CLI the pull-request gate formats with (the version stackgen's own `terraform
/// fmt` tests run, so the gate and the generator agree byte for byte).
pub const TERRAFORM_VERSION: &str = "1.11.4";

/// kubectl and kubelogin versions `az aks install-cli` installs in `push` mode.
pub const KUBECTL_VERSION: &str = "v1.35.6";
/// See [`KUBECTL_VERSION`].
pub const KUBELOGIN_VERSION: &str = "v0.2.19";
