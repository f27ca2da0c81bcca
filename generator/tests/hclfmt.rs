//! `hclfmt` against `terraform fmt`: a corpus of bodies built with hcl-rs builders must render to
//! text that `terraform fmt` leaves unchanged, plus unit tests with the expected text written out
//! so the behaviour is checked where terraform is absent too.

mod common;

use common::{terraform, terraform_fmt, text};
use hcl::expr::{
    BinaryOp, BinaryOperator, Conditional, Expression, ForExpr, FuncCall, Heredoc, HeredocStripMode, ObjectKey,
    TemplateExpr, Traversal, TraversalOperator, UnaryOp, UnaryOperator, Variable,
};
use hcl::{Block, Body, Identifier, Object};
use pretty_assertions::assert_eq;
use stackgen_generator::hclfmt::{
    Comments, align, to_terraform_string, to_terraform_string_with_comments, with_header,
};

// ---- small builders ---------------------------------------------------------------------------

fn ident(name: &str) -> Identifier {
    Identifier::new(name).expect("test identifiers are valid")
}

fn var(root: &str) -> Expression {
    Expression::Variable(Variable::new(root).expect("valid variable"))
}

/// `root.a.b`, with `[n]` for numeric steps.
fn path(root: &str, steps: &[&str]) -> Expression {
    let operators = steps.iter().map(|step| match step.parse::<u64>() {
        Ok(index) => TraversalOperator::Index(Expression::from(index)),
        Err(_) => TraversalOperator::GetAttr(ident(step)),
    });
    Expression::from(Traversal::new(var(root), operators.collect::<Vec<_>>()))
}

fn s(text: &str) -> Expression {
    Expression::String(text.to_owned())
}

fn tpl(text: &str) -> Expression {
    Expression::from(TemplateExpr::QuotedString(text.to_owned()))
}

fn call(name: &str, args: Vec<Expression>) -> Expression {
    let mut call = FuncCall::new(ident(name));
    call.args = args;
    Expression::from(call)
}

fn obj(items: Vec<(&str, Expression)>) -> Expression {
    let mut object = Object::new();
    for (key, value) in items {
        let key = match Identifier::new(key) {
            Ok(id) if !key.contains('-') => ObjectKey::Identifier(id),
            _ => ObjectKey::Expression(s(key)),
        };
        object.insert(key, value);
    }
    Expression::Object(object)
}

fn arr(items: Vec<Expression>) -> Expression {
    Expression::Array(items)
}

fn bin(lhs: Expression, op: BinaryOperator, rhs: Expression) -> Expression {
    Expression::from(BinaryOp::new(lhs, op, rhs))
}

fn block(kind: &str, labels: &[&str], body: Vec<hcl::Structure>) -> Block {
    let mut builder = Block::builder(kind);
    for label in labels {
        builder = builder.add_label(*label);
    }
    builder.add_structures(body).build()
}

fn attr(key: &str, value: Expression) -> hcl::Structure {
    hcl::Structure::Attribute(hcl::Attribute::new(key, value))
}

fn blk(kind: &str, labels: &[&str], body: Vec<hcl::Structure>) -> hcl::Structure {
    hcl::Structure::Block(block(kind, labels, body))
}

fn body(items: Vec<hcl::Structure>) -> Body {
    Body::builder().add_structures(items).build()
}

// ---- the corpus -------------------------------------------------------------------------------

fn aks() -> Body {
    body(vec![blk(
        "resource",
        &["azurerm_kubernetes_cluster", "this"],
        vec![
            attr("name", tpl("${var.name}-aks")),
            attr("location", path("var", &["location"])),
            attr("resource_group_name", path("var", &["resource_group_name"])),
            attr("dns_prefix", path("var", &["name"])),
            attr("sku_tier", s("Standard")),
            attr("local_account_disabled", Expression::Bool(true)),
            attr("oidc_issuer_enabled", Expression::Bool(true)),
            attr("workload_identity_enabled", Expression::Bool(true)),
            attr("automatic_upgrade_channel", s("patch")),
            blk(
                "default_node_pool",
                &[],
                vec![
                    attr("name", s("system")),
                    attr("vm_size", path("var", &["default_vm_size"])),
                    attr("auto_scaling_enabled", Expression::Bool(true)),
                    attr("node_count", path("var", &["default_node_pool_node_count"])),
                    attr("min_count", Expression::from(1)),
                    attr("max_count", path("var", &["default_node_pool_node_max_count"])),
                    attr("os_disk_size_gb", Expression::from(128)),
                    attr("max_pods", Expression::from(110)),
                    attr("temporary_name_for_rotation", s("systemtmp")),
                    blk("upgrade_settings", &[], vec![attr("max_surge", s("10%"))]),
                ],
            ),
            blk("identity", &[], vec![attr("type", s("SystemAssigned"))]),
            blk(
                "azure_active_directory_role_based_access_control",
                &[],
                vec![
                    attr("azure_rbac_enabled", Expression::Bool(true)),
                    attr("tenant_id", path("data", &["azurerm_client_config", "current", "tenant_id"])),
                ],
            ),
            blk(
                "network_profile",
                &[],
                vec![
                    attr("network_plugin", s("azure")),
                    attr("network_plugin_mode", s("overlay")),
                    attr("network_policy", s("cilium")),
                    attr("network_data_plane", s("cilium")),
                ],
            ),
            attr("azure_policy_enabled", Expression::Bool(true)),
            attr("tags", path("var", &["tags"])),
            blk(
                "lifecycle",
                &[],
                vec![attr("ignore_changes", arr(vec![path("default_node_pool", &["0", "node_count"])]))],
            ),
        ],
    )])
}

fn helm() -> Body {
    let values = call(
        "yamlencode",
        vec![obj(vec![(
            "controller",
            obj(vec![
                ("ingressClassResource", obj(vec![("name", s("external-nginx")), ("enabled", Expression::Bool(true))])),
                ("allowSnippetAnnotations", Expression::Bool(false)),
                ("nodeSelector", obj(vec![("kubernetes.io/os", s("linux"))])),
                (
                    "service",
                    obj(vec![
                        ("loadBalancerIP", path("azurerm_public_ip", &["ingress", "ip_address"])),
                        (
                            "annotations",
                            obj(vec![
                                ("service.beta.kubernetes.io/azure-load-balancer-resource-group", path("var", &["rg"])),
                                (
                                    "service.beta.kubernetes.io/azure-pip-name",
                                    path("azurerm_public_ip", &["ingress", "name"]),
                                ),
                            ]),
                        ),
                    ]),
                ),
                ("replicaCount", Expression::from(2)),
                ("extraArgs", obj(vec![])),
            ]),
        )])],
    );
    body(vec![blk(
        "resource",
        &["helm_release", "ingress_nginx"],
        vec![
            attr("name", s("ingress-nginx")),
            attr("repository", s("https://kubernetes.github.io/ingress-nginx")),
            attr("chart", s("ingress-nginx")),
            attr("version", s("4.12.1")),
            attr("namespace", s("ingress-nginx")),
            attr("create_namespace", Expression::Bool(true)),
            attr("values", arr(vec![values])),
            attr(
                "set",
                arr(vec![
                    obj(vec![("name", s("controller.ingressClass")), ("value", s("external-nginx"))]),
                    obj(vec![("name", s("a")), ("value", s("b")), ("type", s("string"))]),
                ]),
            ),
            attr("depends_on", arr(vec![path("azurerm_kubernetes_cluster", &["this"])])),
        ],
    )])
}

fn variables() -> Body {
    let count = path("var", &["default_node_pool_node_count"]);
    body(vec![
        blk(
            "variable",
            &["default_node_pool_node_count"],
            vec![
                attr("description", s("Nodes in the default pool when autoscaling starts.")),
                attr("type", var("number")),
                attr("default", Expression::from(1)),
                blk(
                    "validation",
                    &[],
                    vec![
                        attr(
                            "condition",
                            bin(
                                bin(count.clone(), BinaryOperator::GreaterEq, Expression::from(1)),
                                BinaryOperator::And,
                                bin(count, BinaryOperator::LessEq, Expression::from(100)),
                            ),
                        ),
                        attr("error_message", s("Must be between 1 and 100 (\"inclusive\").")),
                    ],
                ),
            ],
        ),
        blk(
            "variable",
            &["subdomains"],
            vec![
                attr(
                    "type",
                    call(
                        "map",
                        vec![call(
                            "object",
                            vec![obj(vec![
                                ("name", var("string")),
                                ("records", call("list", vec![var("string")])),
                                ("ttl", var("number")),
                            ])],
                        )],
                    ),
                ),
                attr("default", obj(vec![])),
                attr("nullable", Expression::Bool(false)),
                blk(
                    "validation",
                    &[],
                    vec![
                        attr(
                            "condition",
                            call(
                                "alltrue",
                                vec![Expression::from(ForExpr::new(
                                    ident("d"),
                                    path("var", &["subdomains"]),
                                    call(
                                        "contains",
                                        vec![arr(vec![s("A"), s("CNAME"), s("TXT")]), path("d", &["type"])],
                                    ),
                                ))],
                            ),
                        ),
                        attr("error_message", s("type must be A, CNAME or TXT.")),
                    ],
                ),
            ],
        ),
        blk("variable", &["legacy"], vec![attr("type", s("string"))]),
        blk("variable", &["bare_list"], vec![attr("type", var("list"))]),
        blk("variable", &["tags"], vec![attr("type", call("map", vec![var("string")])), attr("default", obj(vec![]))]),
    ])
}

fn locals_and_outputs() -> Body {
    let cond = Expression::from(Conditional::new(
        bin(path("var", &["mode"]), BinaryOperator::Eq, s("local")),
        path("azurerm_kubernetes_cluster", &["this", "kube_config", "0", "host"]),
        Expression::Null,
    ));
    let for_object = Expression::from(
        ForExpr::new(ident("v"), path("var", &["subdomains"]), path("v", &["ttl"]))
            .with_key_var(ident("k"))
            .with_key_expr(var("k"))
            .with_cond_expr(bin(path("v", &["ttl"]), BinaryOperator::NotEq, Expression::Null)),
    );
    let heredoc_indent = Expression::from(TemplateExpr::Heredoc(
        Heredoc::new(ident("EOT"), "name = ${var.name}\n  a == b\n").with_strip_mode(HeredocStripMode::Indent),
    ));
    let heredoc_raw = Expression::from(TemplateExpr::Heredoc(Heredoc::new(ident("JSON"), "{\n  \"a\": \"=\"\n}\n")));
    body(vec![
        blk(
            "locals",
            &[],
            vec![
                attr("host", cond),
                attr("ttl_by_name", for_object),
                attr(
                    "names",
                    Expression::from(ForExpr::new(ident("x"), path("var", &["names"]), call("upper", vec![var("x")]))),
                ),
                attr("subject", tpl("repo:${var.github_repo}:ref:refs/heads/${var.branch}")),
                attr("joined", tpl("${join(\",\", [for s in var.list : \"${s}=}\"])}-x")),
                attr("ternary_in_template", tpl("${var.a == \"b\" ? \"c\" : \"d\"}")),
                attr("escapes", s("quote \" backslash \\ newline \n tab \t dollar ${not} percent %{no}")),
                attr("lone", tpl("${var.lone}")),
                attr("lone_multiline", tpl("${yamlencode({ a = 1 })}")),
                attr("script", heredoc_indent),
                attr("raw", heredoc_raw),
                attr("after_heredoc", Expression::Number(hcl::Number::from_f64(1.5).expect("finite"))),
                attr("empty_list", arr(vec![])),
                attr("empty_map", obj(vec![])),
                attr("nothing", Expression::Null),
                attr("negated", Expression::from(UnaryOp::new(UnaryOperator::Not, path("var", &["enabled"])))),
                attr(
                    "paren",
                    Expression::Parenthesis(Box::new(bin(
                        Expression::from(1),
                        BinaryOperator::Plus,
                        Expression::from(2),
                    ))),
                ),
                attr(
                    "merged",
                    call(
                        "merge",
                        vec![obj(vec![("managed-by", s("stackgen")), ("a", s("b"))]), path("var", &["tags"])],
                    ),
                ),
                attr(
                    "merged_last",
                    call("merge", vec![path("var", &["tags"]), obj(vec![("managed-by", s("stackgen"))])]),
                ),
                attr(
                    "long_list",
                    arr(vec![
                        s("Microsoft.ContainerService/managedClusters"),
                        s("Microsoft.ContainerRegistry/registries"),
                        s("Microsoft.Network/dnsZones"),
                    ]),
                ),
                attr("nested_lists", arr(vec![arr(vec![Expression::from(1), Expression::from(2)]), arr(vec![])])),
                attr(
                    "splat",
                    Expression::from(Traversal::new(
                        var("azurerm_dns_a_record"),
                        [TraversalOperator::FullSplat, TraversalOperator::GetAttr(ident("fqdn"))],
                    )),
                ),
                attr("x", Expression::from(1)),
            ],
        ),
        blk(
            "output",
            &["client_certificate"],
            vec![
                attr("value", path("azurerm_kubernetes_cluster", &["this", "kube_config", "0", "client_certificate"])),
                attr("sensitive", Expression::Bool(true)),
                attr("description", s("Only with local accounts enabled.")),
            ],
        ),
        blk("output", &["id"], vec![attr("value", path("azurerm_kubernetes_cluster", &["this", "id"]))]),
    ])
}

fn terraform_block() -> Body {
    body(vec![
        blk(
            "terraform",
            &[],
            vec![
                attr("required_version", s(">= 1.9")),
                blk(
                    "required_providers",
                    &[],
                    vec![
                        attr("azurerm", obj(vec![("source", s("hashicorp/azurerm")), ("version", s("~> 4.55"))])),
                        attr("helm", obj(vec![("source", s("hashicorp/helm")), ("version", s("~> 3.1"))])),
                    ],
                ),
                blk("backend", &["azurerm"], vec![]),
            ],
        ),
        blk("provider", &["azurerm"], vec![blk("features", &[], vec![])]),
        blk(
            "provider",
            &["helm"],
            vec![blk(
                "kubernetes",
                &[],
                vec![
                    attr("host", path("azurerm_kubernetes_cluster", &["this", "kube_config", "0", "host"])),
                    blk(
                        "exec",
                        &[],
                        vec![
                            attr("api_version", s("client.authentication.k8s.io/v1beta1")),
                            attr("command", s("kubelogin")),
                            attr(
                                "args",
                                arr(vec![
                                    s("get-token"),
                                    s("--login"),
                                    s("azurecli"),
                                    s("--server-id"),
                                    s("6dae42f8-4368-4678-94ff-3960e28e3630"),
                                ]),
                            ),
                        ],
                    ),
                ],
            )],
        ),
        blk(
            "module",
            &["aks"],
            vec![
                attr("source", s("./modules/aks")),
                attr(
                    "for_each",
                    Expression::from(
                        ForExpr::new(ident("v"), path("var", &["x"]), var("v"))
                            .with_key_var(ident("k"))
                            .with_key_expr(var("k")),
                    ),
                ),
                attr("a", Expression::from(1)),
            ],
        ),
        blk(
            "resource",
            &["azurerm_dns_a_record", "this"],
            vec![
                attr("for_each", path("var", &["subdomains"])),
                blk(
                    "dynamic",
                    &["record"],
                    vec![
                        attr("for_each", path("each", &["value", "records"])),
                        blk("content", &[], vec![attr("value", path("record", &["value"]))]),
                    ],
                ),
            ],
        ),
    ])
}

fn corpus() -> Vec<(&'static str, Body)> {
    vec![
        ("aks", aks()),
        ("helm", helm()),
        ("variables", variables()),
        ("locals_and_outputs", locals_and_outputs()),
        ("terraform_block", terraform_block()),
    ]
}

fn checkov_comments() -> Comments {
    let mut comments = Comments::new();
    comments
        .add("resource.azurerm_kubernetes_cluster.this", "#checkov:skip=CKV_AZURE_115:private cluster is a later issue")
        .add("resource.azurerm_kubernetes_cluster.this", "#checkov:skip=CKV_AZURE_117:disk encryption set is optional")
        .add("resource.azurerm_kubernetes_cluster.this.lifecycle", "the autoscaler owns node_count");
    comments
}

// ---- against terraform fmt --------------------------------------------------------------------

#[test]
fn corpus_is_a_fixpoint_of_terraform_fmt() {
    let Some(terraform) = terraform() else { return };
    let mut cases: Vec<(String, String)> =
        corpus().into_iter().map(|(name, body)| (name.to_owned(), to_terraform_string(&body))).collect();
    cases.push((
        "aks_with_comments".to_owned(),
        to_terraform_string_with_comments(&aks(), &checkov_comments()).expect("addresses exist"),
    ));
    cases.push(("aks_with_header".to_owned(), with_header("#", &to_terraform_string(&aks()))));
    // An empty body renders as "" (fmt would print a lone newline); with the header it is stable.
    cases.push(("empty_with_header".to_owned(), with_header("#", &to_terraform_string(&Body::default()))));
    for (name, ours) in cases {
        let formatted = terraform_fmt(&terraform, &ours);
        assert_eq!(ours, formatted, "case {name}: terraform fmt changed our output");
    }
}

#[test]
fn fmt_agrees_with_align_on_misaligned_text() {
    let Some(terraform) = terraform() else { return };
    // Text with fmt's spacing but no alignment: align() must do exactly what fmt does.
    let raw = text(
        r#"
locals {
  a = 1
  long_name = "x == y" # one
  b = "${"}{"}=" // two
  c = {
    "kubernetes.io/os" = "linux"
    k = [for x in var.y : x if x != "="]
  }
  d = <<-EOT
    e = 1
      ffff = 2
  EOT
  gg = { h = 1, iii = 2 }
  j = f(
    a,
  )
  kk = 1

  l = 2
  /* c */ mm = 3
}
"#,
    );
    assert_eq!(align(&raw), terraform_fmt(&terraform, &raw));
}

#[test]
fn rendered_text_reads_back_to_an_equivalent_body() {
    // Parsing our output and rendering again gives the same text: nothing was lost or invented.
    for (name, body) in corpus() {
        let ours = to_terraform_string(&body);
        if ours.contains("<<-") {
            // hcl-rs's parser dedents `<<-` heredocs differently from Terraform, so the reparsed
            // body is not comparable; fmt stability of those is covered above.
            continue;
        }
        let reparsed: Body = hcl::parse(&ours).unwrap_or_else(|e| panic!("case {name} does not parse: {e}\n{ours}"));
        assert_eq!(ours, to_terraform_string(&reparsed), "case {name}");
    }
}

// ---- expected text, no terraform needed -------------------------------------------------------

#[test]
fn aligns_attributes_and_separates_blocks() {
    let expected = text(
        r#"
resource "azurerm_kubernetes_cluster" "this" {
  #checkov:skip=CKV_AZURE_115:private cluster is a later issue
  #checkov:skip=CKV_AZURE_117:disk encryption set is optional
  name                      = "${var.name}-aks"
  location                  = var.location
  resource_group_name       = var.resource_group_name
  dns_prefix                = var.name
  sku_tier                  = "Standard"
  local_account_disabled    = true
  oidc_issuer_enabled       = true
  workload_identity_enabled = true
  automatic_upgrade_channel = "patch"

  default_node_pool {
    name                        = "system"
    vm_size                     = var.default_vm_size
    auto_scaling_enabled        = true
    node_count                  = var.default_node_pool_node_count
    min_count                   = 1
    max_count                   = var.default_node_pool_node_max_count
    os_disk_size_gb             = 128
    max_pods                    = 110
    temporary_name_for_rotation = "systemtmp"

    upgrade_settings {
      max_surge = "10%"
    }
  }

  identity {
    type = "SystemAssigned"
  }

  azure_active_directory_role_based_access_control {
    azure_rbac_enabled = true
    tenant_id          = data.azurerm_client_config.current.tenant_id
  }

  network_profile {
    network_plugin      = "azure"
    network_plugin_mode = "overlay"
    network_policy      = "cilium"
    network_data_plane  = "cilium"
  }

  azure_policy_enabled = true
  tags                 = var.tags

  lifecycle {
    # the autoscaler owns node_count
    ignore_changes = [default_node_pool[0].node_count]
  }
}
"#,
    );
    let ours = to_terraform_string_with_comments(&aks(), &checkov_comments()).expect("addresses exist");
    assert_eq!(ours, expected);
}

#[test]
fn yamlencode_values_and_lists_of_objects_are_laid_out_one_item_per_line() {
    let expected = text(
        r#"
resource "helm_release" "ingress_nginx" {
  name             = "ingress-nginx"
  repository       = "https://kubernetes.github.io/ingress-nginx"
  chart            = "ingress-nginx"
  version          = "4.12.1"
  namespace        = "ingress-nginx"
  create_namespace = true
  values = [
    yamlencode({
      controller = {
        ingressClassResource = {
          name    = "external-nginx"
          enabled = true
        }
        allowSnippetAnnotations = false
        nodeSelector = {
          "kubernetes.io/os" = "linux"
        }
        service = {
          loadBalancerIP = azurerm_public_ip.ingress.ip_address
          annotations = {
            "service.beta.kubernetes.io/azure-load-balancer-resource-group" = var.rg
            "service.beta.kubernetes.io/azure-pip-name"                     = azurerm_public_ip.ingress.name
          }
        }
        replicaCount = 2
        extraArgs    = {}
      }
    }),
  ]
  set = [
    {
      name  = "controller.ingressClass"
      value = "external-nginx"
    },
    {
      name  = "a"
      value = "b"
      type  = "string"
    },
  ]
  depends_on = [azurerm_kubernetes_cluster.this]
}
"#,
    );
    assert_eq!(to_terraform_string(&helm()), expected);
}

#[test]
fn applies_terraform_fmt_rewrites() {
    let ours = to_terraform_string(&variables());
    for wanted in [
        "variable \"legacy\" {\n  type = string\n}\n",
        "variable \"bare_list\" {\n  type = list(any)\n}\n",
        "  type = map(object({\n    name    = string\n    records = list(string)\n    ttl     = number\n  }))\n",
        "    condition     = var.default_node_pool_node_count >= 1 && var.default_node_pool_node_count <= 100\n",
        "    error_message = \"Must be between 1 and 100 (\\\"inclusive\\\").\"\n",
        "    condition     = alltrue([for d in var.subdomains : contains([\"A\", \"CNAME\", \"TXT\"], d.type)])\n",
    ] {
        assert!(ours.contains(wanted), "missing {wanted:?} in:\n{ours}");
    }
    let locals = to_terraform_string(&locals_and_outputs());
    for wanted in [
        "  lone                = var.lone\n",
        "  lone_multiline = (yamlencode({\n    a = 1\n  }))\n",
        "  escapes             = \"quote \\\" backslash \\\\ newline \\n tab \\t dollar $${not} percent %%{no}\"\n",
        "  joined              = \"${join(\",\", [for s in var.list : \"${s}=}\"])}-x\"\n",
        "  script        = <<-EOT\nname = ${var.name}\n  a == b\n  EOT\n",
        "  raw           = <<JSON\n{\n  \"a\": \"=\"\n}\nJSON\n",
        "  merged = merge(\n    {\n      managed-by = \"stackgen\"\n      a          = \"b\"\n    },\n    var.tags,\n  )\n",
        "  merged_last = merge(var.tags, {\n    managed-by = \"stackgen\"\n  })\n",
        "  long_list = [\n    \"Microsoft.ContainerService/managedClusters\",\n",
        "  nested_lists = [\n    [1, 2],\n    [],\n  ]\n",
        "  ttl_by_name         = { for k, v in var.subdomains : k => v.ttl if v.ttl != null }\n",
        "  ternary_in_template = var.a == \"b\" ? \"c\" : \"d\"\n",
    ] {
        assert!(locals.contains(wanted), "missing {wanted:?} in:\n{locals}");
    }
}

#[test]
fn empty_blocks_and_bodies() {
    let expected = text(
        r#"
provider "azurerm" {
  features {}
}
"#,
    );
    assert_eq!(
        to_terraform_string(&body(vec![blk("provider", &["azurerm"], vec![blk("features", &[], vec![])])])),
        expected
    );
    assert_eq!(to_terraform_string(&Body::default()), "");
}

#[test]
fn unknown_comment_addresses_are_errors() {
    let mut comments = Comments::new();
    comments.add("resource.azurerm_kubernetes_cluster.that", "#checkov:skip=CKV_X:typo");
    let error = to_terraform_string_with_comments(&aks(), &comments).expect_err("no such block");
    assert_eq!(error.0, ["resource.azurerm_kubernetes_cluster.that"]);
    assert!(error.to_string().contains("resource.azurerm_kubernetes_cluster.that"));
}

#[test]
fn header_is_one_deterministic_comment_line() {
    assert_eq!(
        with_header("#", "a = 1\n"),
        "# Generated by stackgen. Do not edit; change the spec and re-run `stackgen generate`.\na = 1\n"
    );
    assert_eq!(
        with_header("//", "x"),
        "// Generated by stackgen. Do not edit; change the spec and re-run `stackgen generate`.\nx"
    );
}

#[test]
fn align_rule_cases() {
    let input = text(
        r#"
a = 1
bbb = "x = y"
c = {
  d = 1
  eee = "${"a" == "b"}"
}
ff = 2

g = 1 # one
hhhh = 2 # two
i = <<EOT
j = 1
EOT
kk = 3
l >= m
nnn = [1,
  2]
o = 4
"#,
    );
    let expected = text(
        r#"
a   = 1
bbb = "x = y"
c = {
  d   = 1
  eee = "${"a" == "b"}"
}
ff = 2

g    = 1 # one
hhhh = 2 # two
i    = <<EOT
j = 1
EOT
kk   = 3
l >= m
nnn = [1,
  2]
o = 4
"#,
    );
    assert_eq!(align(&input), expected);
    assert_eq!(align(&expected), expected, "align is idempotent");
}
