//! The objects the Traefik release creates through its chart's `extraObjects` (the HSTS
//! `Middleware`, the `IngressClass` its NGINX provider serves), read from the generated
//! Terraform, evaluated with the module's variable defaults, and validated: the `Middleware`
//! against the pinned Traefik chart's CRD (vendored), the `IngressClass` with kubernetes-validate.

#[path = "support/chart.rs"]
mod support;

use hcl::eval::{Context, Evaluate};
use hcl::{Body, Expression};
use serde_json::{Value, json};
use stackgen_generator::generate;
use stackgen_modules::ingress::IngressBackend;
use support::{crd_problems, driver, examples, python};

/// The module's variables with their defaults, as `var.*` for evaluation.
fn variable_defaults(variables: &Body) -> hcl::Map<String, hcl::Value> {
    let mut vars = hcl::Map::new();
    for block in variables.blocks().filter(|b| b.identifier() == "variable") {
        if let Some(default) = block.body().attributes().find(|a| a.key() == "default") {
            let value = default.expr().evaluate(&Context::new()).expect("a default is a constant");
            vars.insert(block.labels()[0].as_str().to_owned(), value);
        }
    }
    vars
}

/// `extraObjects` of `helm_release.traefik` for `spec`, evaluated.
fn extra_objects(spec: &stackgen_modules::StackSpec) -> Vec<Value> {
    let generated = generate(spec).expect("generates");
    let main: Body =
        hcl::from_str(generated.files.get_str("terraform/modules/ingress/main.tf").expect("main.tf")).expect("parses");
    let variables: Body =
        hcl::from_str(generated.files.get_str("terraform/modules/ingress/variables.tf").expect("variables.tf"))
            .expect("parses");
    let release = main
        .blocks()
        .find(|b| b.identifier() == "resource" && b.labels().iter().map(|l| l.as_str()).eq(["helm_release", "traefik"]))
        .expect("helm_release.traefik");
    let Some(Expression::Array(values)) = release.body().attributes().find(|a| a.key() == "values").map(|a| a.expr())
    else {
        panic!("values list")
    };
    let Expression::FuncCall(call) = &values[0] else { panic!("yamlencode(...)") };
    let mut context = Context::new();
    context.declare_var("var", hcl::Value::Object(variable_defaults(&variables)));
    // Only extraObjects: the rest references resources (the static IP) that exist at apply time.
    let Expression::Object(object) = &call.args[0] else { panic!("an object") };
    let extra = object
        .iter()
        .find(|(k, _)| k.to_string().trim_matches('"') == "extraObjects")
        .map(|(_, v)| v)
        .expect("extraObjects");
    let evaluated = extra.evaluate(&context).expect("extraObjects evaluate with the variables' defaults");
    let objects: Value = serde_json::to_value(evaluated).expect("JSON");
    objects.as_array().cloned().expect("a list")
}

#[test]
fn traefiks_extra_objects_match_the_pinned_crd_and_kubernetes() {
    let Some(python) = python("Traefik's extraObjects") else { return };
    let mut middlewares = 0;
    for (name, spec) in examples().into_iter().filter(|(_, s)| s.ingress.backend == IngressBackend::Traefik) {
        let objects = extra_objects(&spec);
        let (custom, builtin): (Vec<&Value>, Vec<&Value>) =
            objects.iter().partition(|o| support::is_custom_resource(o));
        let problems = crd_problems(&python, &custom);
        assert!(problems.is_empty(), "{name}: {}", problems.join("\n"));
        let result =
            driver(&python, &[json!({"op": "kubernetes_validate", "version": "1.33.0", "documents": builtin})]);
        assert_eq!(result[0]["errors"], json!([]), "{name}");
        assert!(builtin.iter().any(|o| o["kind"] == "IngressClass"), "{name}: the provider's IngressClass");
        for middleware in custom.iter().filter(|o| o["kind"] == "Middleware") {
            let hsts = spec.tls.settings().expect("HSTS only with TLS").hsts.clone();
            assert_eq!(middleware["spec"]["headers"]["stsSeconds"], hsts.max_age_seconds, "{name}");
            middlewares += 1;
            // A misspelt header field must be refused, or the check proves nothing.
            let mut typo = (*middleware).clone();
            typo["spec"]["headers"]["stsSecond"] = json!(1);
            assert!(crd_problems(&python, &[&typo]).iter().any(|p| p.contains("stsSecond")), "{name}: typo refused");
        }
    }
    assert!(middlewares > 0, "some example renders the HSTS Middleware");
}
