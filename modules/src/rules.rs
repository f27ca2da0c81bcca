//! Naming and format rules shared by several modules. Each pushes a diagnostic naming the rule.

use crate::diagnostics::{Diagnostics, FieldPath};

/// Lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen.
pub fn dns_label(value: &str, min: usize, max: usize, path: &FieldPath, diagnostics: &mut Diagnostics) {
    let ok = (min..=max).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && !value.ends_with('-')
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        diagnostics.push(
            path.clone(),
            "dns-label",
            format!(
                "must be {min}–{max} lowercase letters, digits or hyphens, start with a letter and not end with a hyphen, got {value:?}"
            ),
        );
    }
}

/// An Azure region name such as `westeurope`: lowercase letters and digits.
pub fn azure_region(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    if value.is_empty() || !value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        diagnostics.push(
            path.clone(),
            "azure-region",
            format!("must be an Azure region name such as \"westeurope\" (lowercase, no spaces), got {value:?}"),
        );
    }
}

/// Resource group names: 1–90 characters of letters, digits, `_`, `-`, `.`, `(`, `)`, not ending in `.`.
pub fn resource_group_name(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    let ok = (1..=90).contains(&value.len())
        && !value.ends_with('.')
        && value.chars().all(|c| c.is_ascii_alphanumeric() || "_-.()".contains(c));
    if !ok {
        diagnostics.push(
            path.clone(),
            "resource-group-name",
            format!("must be 1–90 letters, digits, _ - . ( ) and not end with a period, got {value:?}"),
        );
    }
}

/// Storage account names: 3–24 lowercase letters and digits.
pub fn storage_account_name(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    let ok = (3..=24).contains(&value.len()) && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !ok {
        diagnostics.push(
            path.clone(),
            "storage-account-name",
            format!("must be 3–24 lowercase letters and digits, got {value:?}"),
        );
    }
}

/// A non-empty string.
pub fn non_empty(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    if value.trim().is_empty() {
        diagnostics.push(path.clone(), "required", "must not be empty");
    }
}

/// A DNS name: dot-separated labels of letters, digits and hyphens, at most 253 characters.
pub fn dns_name(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    let labels_ok = value.split('.').all(|label| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if value.len() > 253 || !value.contains('.') || !labels_ok || value != value.to_ascii_lowercase() {
        diagnostics.push(
            path.clone(),
            "dns-name",
            format!("must be a lowercase DNS name such as \"example.com\", got {value:?}"),
        );
    }
}

/// A Kubernetes namespace: an RFC 1123 label, at most 63 characters.
pub fn kubernetes_name(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    let ok = (1..=63).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        diagnostics.push(
            path.clone(),
            "kubernetes-name",
            format!("must be a Kubernetes name: 1–63 lowercase letters, digits or hyphens, starting and ending alphanumeric, got {value:?}"),
        );
    }
}

/// A semantic version `MAJOR.MINOR.PATCH` (optionally with `-pre` or `+build`).
pub fn semver(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    let core = value.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    let ok = parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if !ok {
        diagnostics.push(
            path.clone(),
            "semver",
            format!("must be a version MAJOR.MINOR.PATCH such as \"1.2.3\", got {value:?}"),
        );
    }
}

/// A UUID (Entra ID object ids, tenant ids).
pub fn uuid(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    let groups: Vec<&str> = value.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    let ok = groups.len() == 5
        && groups.iter().zip(lengths).all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()));
    if !ok {
        diagnostics.push(
            path.clone(),
            "uuid",
            format!("must be a UUID such as \"00000000-0000-0000-0000-000000000000\", got {value:?}"),
        );
    }
}

/// An IPv4 CIDR such as `203.0.113.0/24`.
pub fn ipv4_cidr(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    let ok = match value.split_once('/') {
        Some((ip, bits)) => ip.parse::<std::net::Ipv4Addr>().is_ok() && bits.parse::<u8>().is_ok_and(|b| b <= 32),
        None => false,
    };
    if !ok {
        diagnostics.push(
            path.clone(),
            "ipv4-cidr",
            format!("must be an IPv4 CIDR such as \"203.0.113.0/24\", got {value:?}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broken(check: impl Fn(&FieldPath, &mut Diagnostics)) -> Vec<&'static str> {
        let mut d = Diagnostics::new();
        check(&FieldPath::root().key("f"), &mut d);
        d.iter().map(|d| d.rule).collect()
    }

    #[test]
    fn labels_and_names() {
        assert!(broken(|p, d| dns_label("demo-1", 3, 24, p, d)).is_empty());
        assert_eq!(broken(|p, d| dns_label("Demo", 3, 24, p, d)), ["dns-label"]);
        assert_eq!(broken(|p, d| dns_label("demo-", 3, 24, p, d)), ["dns-label"]);
        assert!(broken(|p, d| dns_name("example.com", p, d)).is_empty());
        assert_eq!(broken(|p, d| dns_name("https://example.com", p, d)), ["dns-name"]);
        assert!(broken(|p, d| kubernetes_name("app", p, d)).is_empty());
        assert_eq!(broken(|p, d| kubernetes_name("App", p, d)), ["kubernetes-name"]);
        assert!(broken(|p, d| semver("0.1.0", p, d)).is_empty());
        assert_eq!(broken(|p, d| semver("1.2", p, d)), ["semver"]);
        assert!(broken(|p, d| uuid("0f0e0d0c-0b0a-4000-8000-000000000001", p, d)).is_empty());
        assert_eq!(broken(|p, d| uuid("nope", p, d)), ["uuid"]);
        assert!(broken(|p, d| ipv4_cidr("203.0.113.0/24", p, d)).is_empty());
        assert_eq!(broken(|p, d| ipv4_cidr("203.0.113.0/33", p, d)), ["ipv4-cidr"]);
        assert_eq!(broken(|p, d| storage_account_name("Bad_Name", p, d)), ["storage-account-name"]);
    }
}
