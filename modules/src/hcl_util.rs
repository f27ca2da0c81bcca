//! Small constructors for the HCL expressions every module needs.
//!
//! HCL is always built as hcl-rs values, never as strings with `${}` pasted in: a plain string that
//! happens to contain `${` is escaped by hcl-rs, and only [`template`] interpolates.

use hcl::expr::{Expression, FuncCall, TemplateExpr, Traversal, TraversalOperator, Variable};
use hcl::{Identifier, Object, ObjectKey};

/// A root variable such as `string`, `var` or `module`: an identifier used as an expression.
///
/// # Panics
/// Only on an identifier that is not valid HCL, which is a bug in stackgen, never user input.
pub fn ident(name: &str) -> Expression {
    Expression::Variable(Variable::unchecked(name))
}

/// A traversal `root.a.b`, such as `var.location` or `azurerm_kubernetes_cluster.this.id`.
pub fn traversal<'a>(root: &str, attrs: impl IntoIterator<Item = &'a str>) -> Expression {
    let operators: Vec<TraversalOperator> =
        attrs.into_iter().map(|attr| TraversalOperator::GetAttr(Identifier::unchecked(attr))).collect();
    Expression::from(Traversal::new(ident(root), operators))
}

/// A traversal with an index, `root.a[0].b`: each step is either an attribute or an index.
pub fn traversal_steps(root: &str, steps: &[Step<'_>]) -> Expression {
    let operators: Vec<TraversalOperator> = steps
        .iter()
        .map(|step| match step {
            Step::Attr(attr) => TraversalOperator::GetAttr(Identifier::unchecked(*attr)),
            Step::Index(index) => TraversalOperator::Index(Expression::from(*index)),
            Step::Splat => TraversalOperator::FullSplat,
        })
        .collect();
    Expression::from(Traversal::new(ident(root), operators))
}

/// One step of [`traversal_steps`].
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    /// `.name`
    Attr(&'a str),
    /// `[*]`
    Splat,
    /// `[index]`
    Index(u64),
}

/// `var.<name>`
pub fn var(name: &str) -> Expression {
    traversal("var", [name])
}

/// `local.<name>`
pub fn local(name: &str) -> Expression {
    traversal("local", [name])
}

/// A function call `name(args...)`.
pub fn call(name: &str, args: impl IntoIterator<Item = Expression>) -> Expression {
    let mut builder = FuncCall::builder(Identifier::unchecked(name));
    for arg in args {
        builder = builder.arg(arg);
    }
    Expression::from(builder.build())
}

/// An interpolated string, such as `"${var.name}-aks"`. The caller writes the template text.
pub fn template(text: impl Into<String>) -> Expression {
    Expression::from(TemplateExpr::QuotedString(text.into()))
}

/// A literal string; `${` in it is escaped, never interpolated.
pub fn string(text: impl Into<String>) -> Expression {
    Expression::String(text.into())
}

/// A list of string literals.
pub fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Expression {
    Expression::Array(items.into_iter().map(string).collect())
}

/// An object with identifier keys, in the given order.
pub fn object<'a>(items: impl IntoIterator<Item = (&'a str, Expression)>) -> Expression {
    let mut object = Object::new();
    for (key, value) in items {
        object.insert(object_key(key), value);
    }
    Expression::Object(object)
}

/// An object key: a bare identifier where HCL allows one, a quoted string otherwise.
pub fn object_key(key: &str) -> ObjectKey {
    if is_identifier(key) {
        ObjectKey::Identifier(Identifier::unchecked(key))
    } else {
        ObjectKey::Expression(Expression::String(key.to_owned()))
    }
}

/// True when `text` is a valid bare HCL identifier.
pub fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A map of strings as an HCL object (keys quoted where needed), sorted by key.
pub fn string_map<'a>(items: impl IntoIterator<Item = (&'a String, &'a String)>) -> Expression {
    let mut object = Object::new();
    for (key, value) in items {
        object.insert(object_key(key), string(value.clone()));
    }
    Expression::Object(object)
}

/// A raw type constraint such as `string`, `list(string)` or `map(string)`.
pub fn type_expr(text: &str) -> Expression {
    match text.split_once('(') {
        Some((function, rest)) => {
            let inner = rest.strip_suffix(')').unwrap_or(rest);
            call(function, [type_expr(inner)])
        }
        None => ident(text),
    }
}

/// A binary operation `lhs op rhs`.
pub fn binary(lhs: Expression, operator: hcl::expr::BinaryOperator, rhs: Expression) -> Expression {
    Expression::from(hcl::expr::Operation::Binary(hcl::expr::BinaryOp::new(lhs, operator, rhs)))
}

/// `a && b && ...`
pub fn all_of(conditions: impl IntoIterator<Item = Expression>) -> Expression {
    let mut conditions = conditions.into_iter();
    let first = conditions.next().unwrap_or(Expression::Bool(true));
    conditions.fold(first, |acc, next| binary(acc, hcl::expr::BinaryOperator::And, next))
}

/// `can(regex("<pattern>", <value>))`
pub fn matches_regex(pattern: &str, value: Expression) -> Expression {
    call("can", [call("regex", [string(pattern), value])])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(expr: &Expression) -> String {
        hcl::format::to_string(expr).unwrap_or_default()
    }

    #[test]
    fn builds_references_and_templates() {
        assert_eq!(render(&var("location")), "var.location");
        assert_eq!(
            render(&traversal_steps(
                "azurerm_kubernetes_cluster",
                &[Step::Attr("this"), Step::Attr("kubelet_identity"), Step::Index(0), Step::Attr("object_id")]
            )),
            "azurerm_kubernetes_cluster.this.kubelet_identity[0].object_id"
        );
        assert_eq!(render(&template("${var.name}-aks")), "\"${var.name}-aks\"");
        assert_eq!(render(&string("${not}")), "\"$${not}\"");
        assert_eq!(render(&type_expr("list(string)")), "list(string)");
    }

    #[test]
    fn identifiers_are_checked() {
        assert!(is_identifier("node_count"));
        assert!(!is_identifier("kubernetes.io/role"));
        assert!(!is_identifier("1abc"));
    }
}
