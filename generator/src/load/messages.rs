//! Rewrites serde's error messages (written for programmers: "invalid type: string \"two\",
//! expected u32") into the words a spec author uses ("expected an integer, got the string
//! \"two\"").
//!
//! serde's `de::Error` constructors produce a small, stable set of message shapes; anything
//! else (a custom `Deserialize` impl) passes through unchanged.

/// A serde error message sorted into a rule.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Classified {
    /// `missing field `x``: the field name.
    MissingField(String),
    /// `unknown field `x`, expected ...`: the field name.
    UnknownField(String),
    /// `unknown variant `x`, expected one of ...`: the value and the allowed variants.
    UnknownVariant(String, Vec<String>),
    /// `duplicate field `x``: the field name.
    DuplicateField(String),
    /// A wrong type or out-of-range value, already in human words.
    Type(String),
    /// A wrong number of items, in human words.
    Length(String),
    /// Anything else, verbatim.
    Other(String),
}

pub(crate) fn classify(message: &str) -> Classified {
    if let Some(rest) = message.strip_prefix("missing field ") {
        return Classified::MissingField(unquote(rest).to_owned());
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        return Classified::DuplicateField(unquote(rest).to_owned());
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (name, _) = split_expected(rest);
        return Classified::UnknownField(unquote(name).to_owned());
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (name, expected) = split_expected(rest);
        return Classified::UnknownVariant(unquote(name).to_owned(), backticked(expected));
    }
    // A wrong type only needs the kind of value ("an integer"); a wrong value of the right
    // type (an overflow) needs the bounds.
    for (prefix, bounds) in [("invalid type: ", false), ("invalid value: ", true)] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let (unexpected, expected) = split_expected(rest);
            return Classified::Type(format!(
                "expected {}, got {}",
                expected_words(expected, bounds),
                unexpected_words(unexpected)
            ));
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        let (length, expected) = split_expected(rest);
        return Classified::Length(format!(
            "expected {}, got {} item{}",
            expected_words(expected, false),
            length,
            if length == "1" { "" } else { "s" }
        ));
    }
    Classified::Other(message.to_owned())
}

/// Splits `X, expected Y` at the last `, expected ` (X may itself contain commas in a string).
fn split_expected(text: &str) -> (&str, &str) {
    match text.rfind(", expected ") {
        Some(at) => (&text[..at], &text[at + ", expected ".len()..]),
        None => match text.find(", there are no ") {
            Some(at) => (&text[..at], ""),
            None => (text, ""),
        },
    }
}

fn unquote(text: &str) -> &str {
    text.trim().trim_start_matches('`').trim_end_matches('`')
}

/// Every `` `name` `` in `text`, in order.
fn backticked(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// serde's `Unexpected` display ("string \"two\"", "integer `5`") in spec words.
fn unexpected_words(text: &str) -> String {
    let value = |rest: &str| unquote(rest).to_owned();
    if let Some(rest) = text.strip_prefix("string ") {
        return format!("the string {rest}");
    }
    if let Some(rest) = text.strip_prefix("integer ") {
        return value(rest);
    }
    if let Some(rest) = text.strip_prefix("floating point ") {
        return value(rest);
    }
    if let Some(rest) = text.strip_prefix("boolean ") {
        return value(rest);
    }
    if let Some(rest) = text.strip_prefix("char ") {
        return format!("the character {rest}");
    }
    match text {
        "map" => "a mapping".to_owned(),
        "sequence" => "a list".to_owned(),
        "unit value" | "unit" | "null" => "nothing (null)".to_owned(),
        other => other.to_owned(),
    }
}

/// serde's `expecting` text ("u32", "struct Aks", "a sequence") in spec words.
fn expected_words(text: &str, bounds: bool) -> String {
    let text = text.trim();
    let range = |min: i128, max: i128| format!("an integer from {min} to {max}");
    let integers = ["u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize"];
    if !bounds && integers.contains(&text) {
        return "an integer".to_owned();
    }
    match text {
        "u8" => return range(0, u8::MAX.into()),
        "u16" => return range(0, u16::MAX.into()),
        "u32" => return range(0, u32::MAX.into()),
        "i8" => return range(i8::MIN.into(), i8::MAX.into()),
        "i16" => return range(i16::MIN.into(), i16::MAX.into()),
        "i32" => return range(i32::MIN.into(), i32::MAX.into()),
        "u64" | "u128" | "usize" => return "a non-negative integer".to_owned(),
        "i64" | "i128" | "isize" => return "an integer".to_owned(),
        "f32" | "f64" => return "a number".to_owned(),
        "a boolean" | "bool" => return "true or false".to_owned(),
        "a map" | "map" => return "a mapping".to_owned(),
        "a sequence" | "sequence" => return "a list".to_owned(),
        "unit" => return "nothing (null)".to_owned(),
        "a string" | "string" => return "a string".to_owned(),
        "string or map" => return "a name or a mapping".to_owned(),
        _ => {}
    }
    if text.starts_with("struct ") || text.starts_with("struct variant ") {
        return "a mapping".to_owned();
    }
    if text.starts_with("tuple") || text.starts_with("a tuple") || text.starts_with("an array") {
        return format!("a list ({text})");
    }
    if text.is_empty() {
        return "something else".to_owned();
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn type_errors_read_as_spec_words() {
        assert_eq!(
            classify("invalid type: string \"two\", expected u32"),
            Classified::Type("expected an integer, got the string \"two\"".into())
        );
        assert_eq!(
            classify("invalid value: integer `-1`, expected u8"),
            Classified::Type("expected an integer from 0 to 255, got -1".into())
        );
        assert_eq!(
            classify("invalid type: sequence, expected struct Aks"),
            Classified::Type("expected a mapping, got a list".into())
        );
    }

    #[test]
    fn names_are_pulled_out_of_field_and_variant_errors() {
        assert_eq!(classify("missing field `name`"), Classified::MissingField("name".into()));
        assert_eq!(
            classify("unknown variant `Premum`, expected one of `Basic`, `Premium`"),
            Classified::UnknownVariant("Premum".into(), vec!["Basic".into(), "Premium".into()])
        );
        assert_eq!(classify("unknown field `nmae`, expected `name`"), Classified::UnknownField("nmae".into()));
    }
}
