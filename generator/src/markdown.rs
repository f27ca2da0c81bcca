//! The generated Markdown (the stack's README and the chart's README) as minijinja templates.
//!
//! The templates use `[[ value ]]`, `[% statement %]` and `[# comment #]` instead of Jinja's
//! braces, so Helm's `{{ }}` and GitHub's `${{ }}` in the text are plain text and never meet
//! this engine. Lines holding only a statement vanish (`trim_blocks`, `lstrip_blocks`); the file
//! ends as the template does (`keep_trailing_newline`). An undefined name is an error, not an
//! empty string, so a typo in a template fails the generation instead of the README.
//!
//! The chart's `NOTES.txt` stays a Helm template: Helm evaluates it at install time, with values
//! only known then.

use std::sync::OnceLock;

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::generated::GenerateError;

/// Every template, name → source.
const TEMPLATES: &[(&str, &str)] =
    &[(STACK_README, include_str!("pipeline/README.md.jinja")), (CHART_README, include_str!("chart/README.md.jinja"))];

/// The stack's `README.md`.
pub const STACK_README: &str = "README.md";
/// The chart's `README.md`.
pub const CHART_README: &str = "charts/README.md";

fn environment() -> Result<&'static Environment<'static>, GenerateError> {
    static ENVIRONMENT: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    ENVIRONMENT
        .get_or_init(|| {
            let mut env = Environment::new();
            let syntax = SyntaxConfig::builder()
                .block_delimiters("[%", "%]")
                .variable_delimiters("[[", "]]")
                .comment_delimiters("[#", "#]")
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .map_err(|e| e.to_string())?;
            env.set_syntax(syntax);
            env.set_undefined_behavior(UndefinedBehavior::Strict);
            for (name, source) in TEMPLATES {
                env.add_template(name, source).map_err(|e| format!("{name}: {e:#}"))?;
            }
            Ok(env)
        })
        .as_ref()
        .map_err(|message| GenerateError::artifact("templates", message.clone()))
}

/// Renders the template `name` with `context`.
///
/// # Errors
/// [`GenerateError::Artifact`] when the template refers to something `context` lacks (a bug).
pub fn render(name: &str, context: impl Serialize) -> Result<String, GenerateError> {
    let template = environment()?.get_template(name).map_err(|e| GenerateError::artifact(name, e))?;
    template
        .render(minijinja::Value::from(minijinja::value::Serde(&context)))
        .map_err(|e| GenerateError::artifact(name, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_str(source: &'static str, context: impl Serialize) -> Result<String, minijinja::Error> {
        let env =
            environment().map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string()))?;
        env.template_from_str(source)?.render(minijinja::Value::from(minijinja::value::Serde(&context)))
    }

    #[test]
    fn helm_and_github_braces_are_plain_text() {
        let text = render_str(
            "[% if on %]\n{{ .Values.x }} ${{ vars.Y }} {% raw %} [[ name ]]\n[% endif %]\n",
            serde_json::json!({"on": true, "name": "app"}),
        );
        assert_eq!(text.ok().as_deref(), Some("{{ .Values.x }} ${{ vars.Y }} {% raw %} app\n"));
    }

    #[test]
    fn an_undefined_name_is_an_error_not_an_empty_string() {
        assert!(render_str("[[ missing ]]\n", serde_json::json!({})).is_err());
    }
}
