//! Rules shared by several modules, each defined once and yielding both checks users meet: the
//! Rust check behind `stackgen validate` (a diagnostic naming the field and the rule) and the HCL
//! condition of the generated variable's `validation` block (so hand edits to the inputs are
//! checked by Terraform with the same verdict).
//!
//! A [`Rule`] is a string rule: an anchored regular expression in the syntax both Rust's `regex`
//! crate and Terraform's RE2 read the same way (explicit ASCII classes only; no `\w`, `\d`, `\s`
//! or `\b`, which are Unicode-aware in Rust and ASCII-only in RE2), plus an optional maximum length
//! in characters. A [`Range`] is a number rule and a [`OneOf`] an enumeration. The rule-parity test
//! feeds each rule's boundary values through both sides and requires the same verdict.
//!
//! ```
//! use stackgen_modules::hcl_util::var;
//! use stackgen_modules::rules::RESOURCE_GROUP_NAME;
//!
//! assert!(RESOURCE_GROUP_NAME.check("rg-demo"));
//! assert!(!RESOURCE_GROUP_NAME.check("rg-demo."));
//! let condition = hcl::format::to_string(&RESOURCE_GROUP_NAME.hcl_condition(var("name"))).unwrap();
//! assert!(condition.starts_with("can(regex("), "{condition}");
//! ```

use std::borrow::Cow;

use hcl::Expression;
use hcl::expr::BinaryOperator;

use crate::diagnostics::{Diagnostics, FieldPath};
use crate::hcl_util::{all_of, binary, call, matches_regex, strings};

/// A string rule: a pattern (and an optional length bound) with one description for both the
/// diagnostic and the Terraform error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Short, stable name shown in diagnostics, such as `resource-group-name`.
    pub id: &'static str,
    /// An unanchored-search regular expression (anchor it with `^…$`), read identically by Rust's
    /// `regex` and RE2.
    pub pattern: Cow<'static, str>,
    /// Longest accepted value in characters, for limits a pattern cannot say compactly.
    pub max_chars: Option<usize>,
    /// What a valid value is, completing "must be …", such as `1–90 letters, digits, …`.
    pub requirement: Cow<'static, str>,
}

impl Rule {
    /// A rule from static parts (usable in `const`).
    pub const fn new(id: &'static str, pattern: &'static str, requirement: &'static str) -> Self {
        Self { id, pattern: Cow::Borrowed(pattern), max_chars: None, requirement: Cow::Borrowed(requirement) }
    }

    /// The same rule with a maximum length in characters.
    pub const fn max_chars(mut self, max: usize) -> Self {
        self.max_chars = Some(max);
        self
    }

    /// Lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen,
    /// `min`–`max` characters (`min` ≥ 2).
    pub fn dns_label(min: usize, max: usize) -> Self {
        let (inner_min, inner_max) = (min.saturating_sub(2), max.saturating_sub(2));
        Self {
            id: "dns-label",
            pattern: Cow::Owned(format!("^[a-z][a-z0-9-]{{{inner_min},{inner_max}}}[a-z0-9]$")),
            max_chars: None,
            requirement: Cow::Owned(format!(
                "{min}–{max} lowercase letters, digits or hyphens, start with a letter and not end with a hyphen"
            )),
        }
    }

    /// The Rust check: true when `value` satisfies the rule.
    pub fn check(&self, value: &str) -> bool {
        // The length is counted, not matched: `.{0,N}` compiles to an automaton N times the size
        // of every UTF-8 sequence, most of a generate's time. Counting `char`s is what the HCL
        // pattern's `.` counts (code points; a Rust `str` is always valid UTF-8), and the
        // rule-parity test holds the two to the same verdicts.
        let length_ok = self.max_chars.is_none_or(|max| value.chars().nth(max).is_none());
        length_ok && matches(&self.pattern, value)
    }

    /// Pushes a diagnostic at `path` naming the rule when `value` breaks it.
    pub fn check_at(&self, value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
        if !self.check(value) {
            diagnostics.push(path.clone(), self.id, format!("must be {}, got {value:?}", self.requirement));
        }
    }

    /// The HCL condition over `value` (such as `var.name`) that is true exactly when
    /// [`Rule::check`] is. It never errors, so a `validation` block reports the message instead.
    pub fn hcl_condition(&self, value: Expression) -> Expression {
        let matches = matches_regex(&self.pattern, value.clone());
        match self.length_pattern() {
            Some(length) => all_of([matches, matches_regex(&length, value)]),
            None => matches,
        }
    }

    /// The length bound in HCL as a pattern (`(?s)^.{0,N}$`): it counts code points as
    /// [`Rule::check`] does (`length()` would count grapheme clusters), and a `null` never makes
    /// the condition error (as `length(null)` would).
    fn length_pattern(&self) -> Option<String> {
        self.max_chars.map(|max| format!("(?s)^.{{0,{max}}}$"))
    }

    /// The condition for every item of a list: `alltrue([for item in <list> : <condition>])`.
    pub fn hcl_condition_all(&self, list: Expression) -> Expression {
        let item = crate::hcl_util::ident("item");
        let each = hcl::expr::ForExpr::new(hcl::Identifier::unchecked("item"), list, self.hcl_condition(item));
        call("alltrue", [Expression::from(each)])
    }

    /// The same condition for an optional input: `null` is accepted.
    pub fn hcl_condition_or_null(&self, value: Expression) -> Expression {
        binary(
            binary(value.clone(), BinaryOperator::Eq, Expression::Null),
            BinaryOperator::Or,
            self.hcl_condition(value),
        )
    }

    /// The Terraform `error_message`: `The <subject> must be <requirement>.`
    pub fn error_message(&self, subject: &str) -> String {
        format!("The {subject} must be {}.", self.requirement)
    }

    /// A value the rule rejects (the first of a few typical mistakes that [`Rule::check`]
    /// refuses), for tests proving a validation bites; `None` if it accepts them all.
    pub fn rejected_value(&self) -> Option<String> {
        let too_long = self.max_chars.map(|max| "a".repeat(max + 1));
        REJECTED_CANDIDATES.iter().map(|c| (*c).to_owned()).chain(too_long).find(|candidate| !self.check(candidate))
    }
}

/// Typical mistakes, tried in order by the `rejected_value` methods: spaces and punctuation, then
/// nothing at all.
const REJECTED_CANDIDATES: [&str; 3] = ["Not Valid!", "", " "];

/// A number rule: `min ≤ value ≤ max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// Smallest accepted value.
    pub min: i64,
    /// Largest accepted value.
    pub max: i64,
}

impl Range {
    /// `min..=max`.
    pub const fn new(min: i64, max: i64) -> Self {
        Self { min, max }
    }

    /// The Rust check.
    pub fn check(&self, value: i64) -> bool {
        (self.min..=self.max).contains(&value)
    }

    /// Pushes a `range` diagnostic at `path` when `value` is outside.
    pub fn check_at(&self, value: impl Into<i64>, path: &FieldPath, diagnostics: &mut Diagnostics) {
        let value = value.into();
        if !self.check(value) {
            diagnostics.push(
                path.clone(),
                "range",
                format!("must be between {} and {}, got {value}", self.min, self.max),
            );
        }
    }

    /// `value >= min && value <= max`
    pub fn hcl_condition(&self, value: Expression) -> Expression {
        all_of([
            binary(value.clone(), BinaryOperator::GreaterEq, Expression::from(self.min)),
            binary(value, BinaryOperator::LessEq, Expression::from(self.max)),
        ])
    }

    /// `The <subject> must be between <min> and <max>.`
    pub fn error_message(&self, subject: &str) -> String {
        format!("The {subject} must be between {} and {}.", self.min, self.max)
    }

    /// A value just outside the range: `min - 1`, else `max + 1`.
    pub fn rejected_value(&self) -> Option<i64> {
        self.min.checked_sub(1).or_else(|| self.max.checked_add(1)).filter(|v| !self.check(*v))
    }
}

/// An enumeration: the value is one of a fixed list of strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OneOf(pub &'static [&'static str]);

impl OneOf {
    /// The Rust check.
    pub fn check(&self, value: &str) -> bool {
        self.0.contains(&value)
    }

    /// `contains([...], value)`
    pub fn hcl_condition(&self, value: Expression) -> Expression {
        call("contains", [strings(self.0.iter().copied()), value])
    }

    /// `The <subject> must be a, b or c.`
    pub fn error_message(&self, subject: &str) -> String {
        let list = match self.0 {
            [] => String::new(),
            [only] => (*only).to_owned(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        };
        format!("The {subject} must be {list}.")
    }

    /// A value not in the list.
    pub fn rejected_value(&self) -> Option<&'static str> {
        REJECTED_CANDIDATES.into_iter().find(|candidate| !self.check(candidate))
    }
}

/// Whether `value` matches `pattern`, compiling each pattern once per process. The match runs on
/// the cached `Regex` itself: a clone would start with an empty matching cache every time.
///
/// `regex-lite`, not `regex`: the patterns are short, anchored and ASCII, and the values are
/// spec fields of a few dozen bytes, so matching speed is irrelevant while compiling is not —
/// `regex` builds a lazy DFA, a one-pass DFA and prefilters for each pattern, which cost more
/// than the rest of a stack's rules together. Its Perl classes (`\d`, `\s`, `\w`) are ASCII-only,
/// as RE2's are for Terraform; no rule uses `(?i)` or a Unicode class, where the two would part.
/// The rule-parity test holds both to the same verdicts.
fn matches(pattern: &str, value: &str) -> bool {
    use std::collections::BTreeMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<BTreeMap<String, regex_lite::Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(BTreeMap::new()));
    let mut cache = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    cache
        .entry(pattern.to_owned())
        .or_insert_with(|| {
            // Patterns are constants of this crate, never user input; the unit tests compile each.
            regex_lite::Regex::new(pattern).unwrap_or_else(|e| panic!("rule pattern {pattern:?} does not compile: {e}"))
        })
        .is_match(value)
}

/// Resource group names: 1–90 letters, digits, `_`, `-`, `.`, `(`, `)`, not ending in `.`.
pub const RESOURCE_GROUP_NAME: Rule = Rule::new(
    "resource-group-name",
    r"^[-A-Za-z0-9_.()]{0,89}[-A-Za-z0-9_()]$",
    "1–90 letters, digits, _ - . ( ) and not end with a period",
);

/// An Azure region name such as `westeurope`: lowercase letters and digits.
pub const AZURE_REGION: Rule = Rule::new(
    "azure-region",
    "^[a-z0-9]+$",
    "an Azure region name such as \"westeurope\" (lowercase letters and digits, no spaces)",
);

/// Storage account names: 3–24 lowercase letters and digits.
pub const STORAGE_ACCOUNT_NAME: Rule =
    Rule::new("storage-account-name", "^[a-z0-9]{3,24}$", "3–24 lowercase letters and digits");

/// A string with something other than spaces in it.
pub const NON_EMPTY: Rule = Rule::new("required", "[^ \t\r\n]", "non-empty");

/// A lowercase DNS name with at least two labels, the last starting with a letter, such as
/// `example.com`: labels of 1–63 letters, digits and inner hyphens, at most 253 characters.
pub const DNS_NAME: Rule = Rule::new(
    "dns-name",
    r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$",
    "a lowercase DNS name such as \"example.com\"",
)
.max_chars(253);

/// A Kubernetes name (namespaces, ingress classes): an RFC 1123 label of 1–63 characters.
pub const KUBERNETES_NAME: Rule = Rule::new(
    "kubernetes-name",
    "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
    "a Kubernetes name: 1–63 lowercase letters, digits or hyphens, starting and ending alphanumeric",
);

/// A pinned semantic version (SemVer 2.0.0): `MAJOR.MINOR.PATCH` without leading zeros, optionally
/// with a `-pre.release` and `+build` suffix. Helm chart versions are SemVer 2; a pre-release is
/// still one pinned version.
pub const SEMVER: Rule = Rule::new(
    "semver",
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$",
    "a version MAJOR.MINOR.PATCH such as \"1.2.3\" (optionally -prerelease or +build)",
);

/// A pinned semantic version with a leading `v` (`v1.9.0`), as Envoy Gateway and cert-manager
/// version their charts.
pub const V_SEMVER: Rule = Rule::new(
    "v-semver",
    r"^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$",
    "a version vMAJOR.MINOR.PATCH such as \"v1.2.3\" (optionally -prerelease or +build)",
);

/// A UUID (Entra ID object ids, tenant and subscription ids).
pub const UUID: Rule = Rule::new(
    "uuid",
    "^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$",
    "a UUID such as \"00000000-0000-0000-0000-000000000000\"",
);

/// An IPv4 CIDR such as `203.0.113.0/24` (no leading zeros, prefix 0–32).
pub const IPV4_CIDR: Rule = Rule::new(
    "ipv4-cidr",
    r"^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/(3[0-2]|[12]?[0-9])$",
    "an IPv4 CIDR such as \"203.0.113.0/24\"",
);

/// Container registry names: 5–50 letters and digits.
pub const ACR_NAME: Rule = Rule::new("acr-name", "^[a-zA-Z0-9]{5,50}$", "5–50 letters and digits (no hyphens)");

/// The shape of an e-mail address: `name@domain.tld`, no spaces. (Let's Encrypt's own limits,
/// such as reserved domains, are checked by `stackgen validate` on top.)
pub const EMAIL: Rule = Rule::new(
    "email",
    "^[^@ \t\r\n]+@[^@ \t\r\n]+\\.[^@ \t\r\n]+$",
    "an e-mail address such as \"platform@contoso.com\"",
);

/// A GitHub OIDC federated credential subject for one repository and one branch or environment.
pub const FEDERATED_SUBJECT: Rule = Rule::new(
    "federated-subject",
    "^repo:[A-Za-z0-9-]+/[A-Za-z0-9._-]+:(ref:refs/heads/[^*]+|environment:[A-Za-z0-9._-]+)$",
    "one repository and one branch or environment, without wildcards, such as \"repo:contoso/shop:ref:refs/heads/main\"",
);

/// The resource ID of one container registry.
pub const REGISTRY_ID: Rule = Rule::new(
    "registry-id",
    "(?i)/providers/Microsoft\\.ContainerRegistry/registries/[^/]+$",
    "the resource ID of one container registry",
);

/// Every named string rule, for the parity test and documentation.
pub fn all() -> Vec<Rule> {
    vec![
        RESOURCE_GROUP_NAME,
        AZURE_REGION,
        STORAGE_ACCOUNT_NAME,
        NON_EMPTY,
        DNS_NAME,
        KUBERNETES_NAME,
        SEMVER,
        V_SEMVER,
        UUID,
        IPV4_CIDR,
        Rule::dns_label(3, 24),
        ACR_NAME,
        EMAIL,
        FEDERATED_SUBJECT,
        REGISTRY_ID,
    ]
}

/// Lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen.
pub fn dns_label(value: &str, min: usize, max: usize, path: &FieldPath, diagnostics: &mut Diagnostics) {
    Rule::dns_label(min, max).check_at(value, path, diagnostics);
}

/// See [`AZURE_REGION`].
pub fn azure_region(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    AZURE_REGION.check_at(value, path, diagnostics);
}

/// See [`RESOURCE_GROUP_NAME`].
pub fn resource_group_name(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    RESOURCE_GROUP_NAME.check_at(value, path, diagnostics);
}

/// See [`STORAGE_ACCOUNT_NAME`].
pub fn storage_account_name(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    STORAGE_ACCOUNT_NAME.check_at(value, path, diagnostics);
}

/// See [`NON_EMPTY`].
pub fn non_empty(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    if !NON_EMPTY.check(value) {
        diagnostics.push(path.clone(), NON_EMPTY.id, "must not be empty");
    }
}

/// See [`DNS_NAME`].
pub fn dns_name(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    DNS_NAME.check_at(value, path, diagnostics);
}

/// See [`KUBERNETES_NAME`].
pub fn kubernetes_name(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    KUBERNETES_NAME.check_at(value, path, diagnostics);
}

/// See [`SEMVER`].
pub fn semver(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    SEMVER.check_at(value, path, diagnostics);
}

/// See [`UUID`].
pub fn uuid(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    UUID.check_at(value, path, diagnostics);
}

/// See [`IPV4_CIDR`].
pub fn ipv4_cidr(value: &str, path: &FieldPath, diagnostics: &mut Diagnostics) {
    IPV4_CIDR.check_at(value, path, diagnostics);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::Variable;

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
        assert!(broken(|p, d| semver("4.13.3-rc.1", p, d)).is_empty());
        assert_eq!(broken(|p, d| semver("1.2", p, d)), ["semver"]);
        assert!(broken(|p, d| uuid("0f0e0d0c-0b0a-4000-8000-000000000001", p, d)).is_empty());
        assert_eq!(broken(|p, d| uuid("nope", p, d)), ["uuid"]);
        assert!(broken(|p, d| ipv4_cidr("203.0.113.0/24", p, d)).is_empty());
        assert_eq!(broken(|p, d| ipv4_cidr("203.0.113.0/33", p, d)), ["ipv4-cidr"]);
        assert_eq!(broken(|p, d| storage_account_name("Bad_Name", p, d)), ["storage-account-name"]);
        assert_eq!(broken(|p, d| resource_group_name("rg.", p, d)), ["resource-group-name"]);
        assert_eq!(broken(|p, d| non_empty("  ", p, d)), ["required"]);
    }

    #[test]
    fn patterns_compile_and_avoid_classes_rust_and_re2_read_differently() {
        for rule in all() {
            let _ = rule.check("");
            for shorthand in [r"\w", r"\W", r"\d", r"\D", r"\s", r"\S", r"\b", r"\B"] {
                assert!(!rule.pattern.contains(shorthand), "{}: {shorthand} differs between Rust and RE2", rule.id);
            }
        }
    }

    #[test]
    fn the_v_prefixed_version_is_semver_after_the_v() {
        assert_eq!(V_SEMVER.pattern, format!("^v{}", &SEMVER.pattern[1..]));
    }

    #[test]
    fn every_rule_knows_a_value_it_rejects() {
        for rule in all() {
            let bad = rule.rejected_value().unwrap_or_else(|| panic!("{} rejects none of the candidates", rule.id));
            assert!(!rule.check(&bad), "{}", rule.id);
        }
        assert_eq!(Range::new(1, 10).rejected_value(), Some(0));
        assert_eq!(OneOf(&["Free", "Standard"]).rejected_value(), Some("Not Valid!"));
    }

    #[test]
    fn lengths_count_characters() {
        let label = Rule::dns_label(3, 24);
        assert!(label.check("abc") && label.check(&"a".repeat(24)));
        assert!(!label.check("ab") && !label.check(&"a".repeat(25)));
        let long = format!("{}.com", vec!["a".repeat(63); 4].join("."));
        assert!(long.len() > 253 && !DNS_NAME.check(&long));
    }

    #[test]
    fn conditions_and_messages() {
        let render = |e: &Expression| hcl::format::to_string(e).unwrap_or_default();
        assert_eq!(
            render(&KUBERNETES_NAME.hcl_condition(crate::hcl_util::var("ns"))),
            "can(regex(\"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$\", var.ns))"
        );
        assert!(
            render(&DNS_NAME.hcl_condition(crate::hcl_util::var("zone")))
                .ends_with("&& can(regex(\"(?s)^.{0,253}$\", var.zone))")
        );
        assert_eq!(Range::new(1, 10).error_message("replicas"), "The replicas must be between 1 and 10.");
        assert_eq!(
            OneOf(&["Free", "Standard", "Premium"]).error_message("SKU tier"),
            "The SKU tier must be Free, Standard or Premium."
        );
        let v = Variable::optional("v", "string", "d.", Expression::Null).rule(&SEMVER, "version");
        assert!(render(&v.validations[0].condition).starts_with("var.v == null ||"));
    }
}
