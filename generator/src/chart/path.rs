//! The Ingress path for the app's path prefix, as the chart's `ingressPath` helper renders it.
//!
//! Under a prefix, ingress-nginx needs a regular expression (`use-regex`) whose second group is
//! the rest of the path, for the `/$2` rewrite that strips the prefix. The prefix is text, not a
//! pattern: every regex metacharacter in it is escaped, so `/api.v1` matches `/api.v1/x` and not
//! `/apiXv1/x`. The template escapes with Sprig's `regexQuoteMeta` (Go's `regexp.QuoteMeta`,
//! valid PCRE too) at install time, so a prefix set with `--set` is escaped as well; these
//! functions are the same rule in Rust, for other ingress backends and for tests.

/// The characters Go's `regexp.QuoteMeta` escapes: every one with a meaning in RE2 or PCRE
/// outside a character class.
pub const REGEX_METACHARACTERS: &str = r"\.+*?()|[]{}^$";

/// `text` with every [`REGEX_METACHARACTERS`] character preceded by a backslash.
pub fn quote_meta(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if REGEX_METACHARACTERS.contains(c) {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted
}

/// The Ingress `path` for `prefix`: `/` at the root (a plain prefix match), otherwise the escaped
/// prefix followed by `(/|$)(.*)`, so `/app`, `/app/` and `/app/x` match (the rest in group 2)
/// and `/appx` does not.
pub fn ingress_path(prefix: &str) -> String {
    if prefix == "/" { "/".to_owned() } else { format!("{}(/|$)(.*)", quote_meta(prefix)) }
}
