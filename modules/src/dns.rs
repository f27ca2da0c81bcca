//! The DNS zone, the app host's A record (an alias of the ingress controller's static public IP,
//! so one `terraform apply` wires DNS), and any extra records.

use hcl::{Block, Body, Expression};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::placement;
use crate::diagnostics::{Diagnostics, FieldPath};
use crate::hcl_util::{object, string, traversal, var};
use crate::module::{
    Contributions, Input, Output, ProviderRequirement, RenderError, RenderedModule, StackContext, Variable,
};
use crate::rules;
use crate::section::{Section, SectionModule};

/// The hosted zone and its records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Dns {
    /// The zone, such as `example.com`; delegate it to the name servers in the outputs.
    pub hosted_zone_name: String,
    /// Extra records in the zone. The app host's A record is created for you.
    #[serde(default)]
    pub subdomains: Vec<Subdomain>,
}

/// One record set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Subdomain {
    /// Relative name in the zone, such as `www`; `@` for the apex.
    pub name: String,
    /// Record type.
    #[serde(rename = "type")]
    pub record_type: RecordType,
    /// Values: IPv4 addresses (A), one host name (CNAME) or texts (TXT).
    pub records: Vec<String>,
    /// Time to live in seconds.
    #[serde(default = "default_ttl")]
    pub ttl: u32,
}

fn default_ttl() -> u32 {
    300
}

/// Supported record types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub enum RecordType {
    /// IPv4 addresses.
    A,
    /// An alias to another name.
    #[serde(rename = "CNAME")]
    Cname,
    /// Text.
    #[serde(rename = "TXT")]
    Txt,
}

impl Dns {
    /// The record name of `host` in this zone (`@` for the apex), or `None` when outside it.
    pub fn relative_name(&self, host: &str) -> Option<String> {
        if host == self.hosted_zone_name {
            Some("@".to_owned())
        } else {
            host.strip_suffix(&format!(".{}", self.hosted_zone_name)).map(str::to_owned)
        }
    }
}

/// What the zone module takes from outside `dns:`: the app host, whose A record it creates.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppRecord {
    /// The record's name relative to the zone (`@` for the apex).
    pub name: String,
}

/// The zone as a module: the `dns:` section and the [`AppRecord`] aliasing the ingress IP.
pub type DnsModule<'a> = SectionModule<'a, Dns>;

impl<'a> SectionModule<'a, Dns> {
    /// The zone, with the A record of `host` aliasing the ingress IP (at the apex when `host` is
    /// outside the zone, which the spec's `host-in-zone` rule refuses).
    pub fn for_app_host(spec: &'a Dns, host: &str) -> Self {
        let name = spec.relative_name(host).unwrap_or_else(|| "@".to_owned());
        Self::with_context(spec, AppRecord { name })
    }
}

/// `dns.subdomains[i].name` under `at`.
fn at_subdomain(at: &FieldPath, index: usize) -> FieldPath {
    at.key("subdomains").index(index).key("name")
}

impl Section for Dns {
    type Context = AppRecord;
    const NAME: &'static str = "dns";

    /// The README step that delegates the zone to Azure's name servers.
    fn contribute(&self, _app: &AppRecord, stack: &StackContext) -> Result<Contributions, RenderError> {
        let name_servers = stack.reference(Self::NAME, "name_servers")?;
        Ok(Contributions::new()
            .readme_step(
                "Delegate the DNS zone",
                format!(
                    "Point the `{}` zone's NS records at your registrar to these name servers:\n\n```sh\nterraform -chdir=terraform output {}\n```",
                    self.hosted_zone_name,
                    name_servers.root_output()
                ),
            )
            .root_output(name_servers))
    }

    fn validate_at(&self, at: &FieldPath, diagnostics: &mut Diagnostics) {
        let at_zone = at;
        rules::dns_name(&self.hosted_zone_name, &at.key("hosted_zone_name"), diagnostics);
        // (name, type) → index of the first entry, and name → index of the first CNAME.
        let mut seen = std::collections::BTreeMap::new();
        let mut cnames = std::collections::BTreeMap::new();
        for (i, sub) in self.subdomains.iter().enumerate() {
            if sub.record_type == RecordType::Cname {
                cnames.entry(sub.name.as_str()).or_insert(i);
            }
        }
        for (i, sub) in self.subdomains.iter().enumerate() {
            let at = at.key("subdomains").index(i);
            let name_ok = sub.name == "@"
                || (!sub.name.is_empty()
                    && sub.name.split('.').all(|l| {
                        (1..=63).contains(&l.len())
                            && l.chars().all(|c| {
                                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_' || c == '*'
                            })
                    }));
            if !name_ok {
                diagnostics.push(
                    at.key("name"),
                    "record-name",
                    format!("must be a relative lowercase name such as \"www\" or \"@\", got {:?}", sub.name),
                );
            }
            if let Some(first) = seen.insert((sub.name.as_str(), sub.record_type), i) {
                diagnostics.push(
                    at.key("name"),
                    "duplicate-record",
                    format!(
                        "{:?} {:?} is already defined at {}; put every value in one entry's records",
                        sub.name,
                        sub.record_type,
                        at_subdomain(at_zone, first)
                    ),
                );
            }
            // A CNAME owns its name: no other record (of any type) may share it.
            if let Some(&cname) = cnames.get(sub.name.as_str())
                && cname != i
                && sub.record_type != RecordType::Cname
            {
                diagnostics.push(
                    at.key("name"),
                    "cname-exclusive",
                    format!(
                        "{:?} is a CNAME at {}, and a CNAME cannot share its name with any other record",
                        sub.name,
                        at_subdomain(at_zone, cname)
                    ),
                );
            }
            diagnostics.check_range(at.key("ttl"), sub.ttl, 1, 2_147_483_647);
            if sub.records.is_empty() {
                diagnostics.push(at.key("records"), "required", "must list at least one value");
            }
            match sub.record_type {
                RecordType::A => {
                    for (j, record) in sub.records.iter().enumerate() {
                        if record.parse::<std::net::Ipv4Addr>().is_err() {
                            diagnostics.push(
                                at.key("records").index(j),
                                "ipv4",
                                format!("an A record must be an IPv4 address, got {record:?}"),
                            );
                        }
                    }
                }
                RecordType::Cname => {
                    if sub.records.len() > 1 {
                        diagnostics.push(at.key("records"), "cname-single", "a CNAME record has exactly one value");
                    }
                    if sub.name == "@" {
                        diagnostics.push(at.key("name"), "cname-apex", "a CNAME cannot be at the zone apex");
                    }
                    for (j, record) in sub.records.iter().enumerate() {
                        rules::dns_name(record.trim_end_matches('.'), &at.key("records").index(j), diagnostics);
                    }
                }
                RecordType::Txt => {
                    for (j, record) in sub.records.iter().enumerate() {
                        if record.len() > 1024 {
                            diagnostics.push(
                                at.key("records").index(j),
                                "txt-length",
                                "TXT values are at most 1024 characters",
                            );
                        }
                    }
                }
            }
        }
    }

    fn render(&self, app: &AppRecord, stack: &StackContext) -> Result<RenderedModule, RenderError> {
        let zone_name = traversal("azurerm_dns_zone", ["this", "name"]);
        let mut body = Body::builder().add_block(
            Block::builder("resource")
                .add_label("azurerm_dns_zone")
                .add_label("this")
                .add_attribute(("name", var("zone_name")))
                .add_attribute(("resource_group_name", var("resource_group_name")))
                .add_attribute(("tags", var("tags")))
                .build(),
        );
        body = body.add_block(
            Block::builder("resource")
                .add_label("azurerm_dns_a_record")
                .add_label("app")
                .add_attribute(("name", var("app_record_name")))
                .add_attribute(("zone_name", zone_name.clone()))
                .add_attribute(("resource_group_name", var("resource_group_name")))
                .add_attribute(("ttl", 300))
                .add_attribute(("target_resource_id", var("ingress_public_ip_id")))
                .add_attribute(("tags", var("tags")))
                .build(),
        );
        let mut extra = Vec::new();
        for kind in [RecordType::A, RecordType::Cname, RecordType::Txt] {
            let entries: Vec<(&str, Expression)> = self
                .subdomains
                .iter()
                .filter(|s| s.record_type == kind)
                .map(|s| {
                    (
                        s.name.as_str(),
                        object([
                            ("name", string(s.name.clone())),
                            ("ttl", Expression::from(s.ttl)),
                            ("records", crate::hcl_util::strings(s.records.iter().map(String::as_str))),
                        ]),
                    )
                })
                .collect();
            if entries.is_empty() {
                continue;
            }
            let (resource, variable) = match kind {
                RecordType::A => ("azurerm_dns_a_record", "a_records"),
                RecordType::Cname => ("azurerm_dns_cname_record", "cname_records"),
                RecordType::Txt => ("azurerm_dns_txt_record", "txt_records"),
            };
            // Keyed by the record name itself (quoted where it is not an identifier): any
            // rewriting of names into keys could map two names to one key and lose a record.
            // Names are unique per type (the `duplicate-record` rule), so the keys are too.
            let mut map = hcl::Object::new();
            for (name, value) in entries {
                map.insert(crate::hcl_util::object_key(name), value);
            }
            extra.push((variable, Expression::Object(map)));
            let each = |attr: &str| traversal("each", ["value", attr]);
            let mut block = Block::builder("resource")
                .add_label(resource)
                .add_label("extra")
                .add_attribute(("for_each", var(variable)))
                .add_attribute(("name", each("name")))
                .add_attribute(("zone_name", zone_name.clone()))
                .add_attribute(("resource_group_name", var("resource_group_name")))
                .add_attribute(("ttl", each("ttl")));
            block = match kind {
                RecordType::A => block.add_attribute(("records", each("records"))).add_attribute(("tags", var("tags"))),
                RecordType::Cname => block
                    .add_attribute(("record", crate::hcl_util::call("one", [each("records")])))
                    .add_attribute(("tags", var("tags"))),
                RecordType::Txt => block.add_attribute(("tags", var("tags"))).add_block(
                    Block::builder("dynamic")
                        .add_label("record")
                        .add_attribute(("for_each", each("records")))
                        .add_block(
                            Block::builder("content").add_attribute(("value", traversal("record", ["value"]))).build(),
                        )
                        .build(),
                ),
            };
            body = body.add_block(block.build());
        }

        // DNS zones and records are global: no location.
        let mut inputs: Vec<Input> = placement(stack)?.into_iter().filter(|i| i.variable.name != "location").collect();
        inputs.extend([
            Variable::required("zone_name", "string", "The DNS zone, such as example.com.")
                .rule(&crate::rules::DNS_NAME, "zone name")
                .passed(string(self.hosted_zone_name.clone())),
            Variable::required("app_record_name", "string", "Relative name of the app host's A record.")
                .passed(string(app.name.clone())),
            Variable::required("ingress_public_ip_id", "string", "Resource ID of the ingress controller's public IP.")
                .passed(stack.output("ingress", "public_ip_id")?),
        ]);
        for (variable, value) in extra {
            let mut records =
                Variable::required(variable, "string", "Extra records, keyed by a stable label.").non_nullable();
            records.type_constraint = record_type_expr();
            inputs.push(records.passed(value));
        }

        Ok(RenderedModule {
            providers: vec![ProviderRequirement::azurerm()],
            main: body.build(),
            outputs: vec![
                Output::new(
                    "app_fqdn",
                    traversal("azurerm_dns_a_record", ["app", "fqdn"]),
                    "Fully qualified name of the app host.",
                )
                .at_root(),
                Output::new(
                    "name_servers",
                    traversal("azurerm_dns_zone", ["this", "name_servers"]),
                    "Delegate the zone to these name servers at your registrar.",
                )
                .at_root(),
                Output::new("zone_id", traversal("azurerm_dns_zone", ["this", "id"]), "Resource ID of the zone."),
            ],
            ..RenderedModule::default()
        }
        .with_inputs(inputs))
    }
}

/// `map(object({ name = string, ttl = number, records = list(string) }))`
fn record_type_expr() -> Expression {
    use crate::hcl_util::{call, ident};
    call(
        "map",
        [call(
            "object",
            [object([
                ("name", ident("string")),
                ("ttl", ident("number")),
                ("records", call("list", [ident("string")])),
            ])],
        )],
    )
}
