//! The schema-only stand-in provider: a go-plugin gRPC server speaking `tfplugin6`.
//!
//! Terraform starts it like any provider: it checks the magic cookie, listens on a Unix
//! socket, prints the handshake line and serves until Terraform shuts it down. It answers
//! the RPCs `terraform validate` needs from an extracted schema file and refuses everything
//! else with an error diagnostic, so nothing can ever be planned or applied with it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use tokio::sync::Notify;
use tonic::{Request, Response, Status};

use crate::plugin as ctl;
use crate::schema::{self, Block, ProviderSchema, Step};
use crate::tfplugin6 as pb;

/// go-plugin's handshake cookie for Terraform providers.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The value Terraform sets for [`MAGIC_COOKIE_KEY`].
pub const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// Directory holding `<name>.json` schema files; set by [`crate::validate_root`].
pub const SCHEMAS_DIR_ENV: &str = "TFVALIDATE_SCHEMAS_DIR";
/// Overrides the provider name otherwise taken from the executable's file name.
pub const PROVIDER_ENV: &str = "TFVALIDATE_PROVIDER";
/// Directory for the plugin's Unix socket (defaults to a fresh temporary directory).
pub const SOCKET_DIR_ENV: &str = "TFVALIDATE_SOCKET_DIR";

/// The provider name encoded in a plugin file name: `terraform-provider-azurerm_v4.55.0`
/// serves `azurerm`.
pub fn provider_name_from_path(path: &Path) -> Option<String> {
    let file = path.file_name()?.to_str()?;
    let rest = file.strip_prefix("terraform-provider-")?;
    let name = rest.split_once("_v").map_or(rest, |(name, _)| name);
    (!name.is_empty()).then(|| name.to_owned())
}

/// One provider's schema, loaded once and served for every request.
pub struct StandIn {
    name: String,
    schema: ProviderSchema,
    response: pb::get_provider_schema::Response,
    shutdown: Arc<Notify>,
}

impl StandIn {
    /// Loads `<schemas_dir>/<name>.json`.
    pub fn load(schemas_dir: &Path, name: &str, shutdown: Arc<Notify>) -> Result<Self> {
        let path = schemas_dir.join(format!("{name}.json"));
        let (_, schema) = schema::Document::read(&path)?.single()?;
        let mut response = pb::get_provider_schema::Response {
            server_capabilities: Some(pb::ServerCapabilities::default()),
            ..Default::default()
        };
        response.provider = Some(match &schema.provider {
            Some(p) => p.to_proto()?,
            None => pb::Schema { version: 0, block: Some(pb::schema::Block::default()) },
        });
        for (type_name, s) in &schema.resource_schemas {
            response.resource_schemas.insert(type_name.clone(), s.to_proto()?);
        }
        for (type_name, s) in &schema.data_source_schemas {
            response.data_source_schemas.insert(type_name.clone(), s.to_proto()?);
        }
        Ok(Self { name: name.to_owned(), schema, response, shutdown })
    }

    fn check(
        &self,
        kind: &str,
        type_name: &str,
        block: Option<&Block>,
        config: Option<pb::DynamicValue>,
    ) -> Vec<pb::Diagnostic> {
        let Some(block) = block else {
            return vec![error(
                &format!("Unsupported {kind} type"),
                &format!("The {} stand-in provider has no {kind} type {type_name:?}.", self.name),
                None,
            )];
        };
        let value = match decode(config) {
            Ok(value) => value,
            Err(e) => return vec![error("Invalid configuration value", &format!("{e:#}"), None)],
        };
        schema::read_only_values(block, &value)
            .into_iter()
            .map(|found| {
                // Same wording as terraform-plugin-sdk/v2, which most of the pinned providers use.
                error(
                    "Computed attribute cannot be set",
                    &format!("Computed attributes cannot be set, but a value was set for {:?}.", found.name),
                    Some(path_to_proto(&found.path)),
                )
            })
            .collect()
    }

    fn refuse(&self, rpc: &str) -> Vec<pb::Diagnostic> {
        vec![error(
            &format!("{rpc} is not supported by the stand-in provider"),
            &format!(
                "This {} provider is tfvalidate's schema-only stand-in: it serves `terraform validate` and nothing else.",
                self.name
            ),
            None,
        )]
    }
}

fn decode(config: Option<pb::DynamicValue>) -> Result<rmpv::Value> {
    let Some(config) = config else {
        return Ok(rmpv::Value::Nil);
    };
    if !config.msgpack.is_empty() {
        return rmpv::decode::read_value(&mut config.msgpack.as_slice()).context("decoding msgpack configuration");
    }
    if !config.json.is_empty() {
        let json: serde_json::Value = serde_json::from_slice(&config.json).context("decoding JSON configuration")?;
        return Ok(json_to_msgpack(json));
    }
    Ok(rmpv::Value::Nil)
}

fn json_to_msgpack(json: serde_json::Value) -> rmpv::Value {
    use serde_json::Value as J;
    match json {
        J::Null => rmpv::Value::Nil,
        J::Bool(b) => b.into(),
        J::Number(n) => n.as_f64().map_or(rmpv::Value::Nil, Into::into),
        J::String(s) => s.into(),
        J::Array(items) => rmpv::Value::Array(items.into_iter().map(json_to_msgpack).collect()),
        J::Object(entries) => {
            rmpv::Value::Map(entries.into_iter().map(|(k, v)| (k.into(), json_to_msgpack(v))).collect())
        }
    }
}

fn path_to_proto(path: &[Step]) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .iter()
            .map(|step| pb::attribute_path::Step {
                selector: Some(match step {
                    Step::Attr(name) => Selector::AttributeName(name.clone()),
                    Step::Index(i) => Selector::ElementKeyInt(*i),
                    Step::Key(k) => Selector::ElementKeyString(k.clone()),
                }),
            })
            .collect(),
    }
}

fn error(summary: &str, detail: &str, attribute: Option<pb::AttributePath>) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: pb::diagnostic::Severity::Error.into(),
        summary: summary.to_owned(),
        detail: detail.to_owned(),
        attribute,
    }
}

type Rpc<T> = std::result::Result<Response<T>, Status>;

#[tonic::async_trait]
impl pb::provider_server::Provider for StandIn {
    async fn get_metadata(&self, _: Request<pb::get_metadata::Request>) -> Rpc<pb::get_metadata::Response> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: self.response.server_capabilities,
            resources: self
                .schema
                .resource_schemas
                .keys()
                .map(|t| pb::get_metadata::ResourceMetadata { type_name: t.clone() })
                .collect(),
            data_sources: self
                .schema
                .data_source_schemas
                .keys()
                .map(|t| pb::get_metadata::DataSourceMetadata { type_name: t.clone() })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Rpc<pb::get_provider_schema::Response> {
        Ok(Response::new(self.response.clone()))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Rpc<pb::validate_provider_config::Response> {
        let empty = Block::default();
        let block = self.schema.provider.as_ref().map_or(&empty, |s| &s.block);
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: self.check("provider", &self.name, Some(block), request.into_inner().config),
        }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Rpc<pb::validate_resource_config::Response> {
        let request = request.into_inner();
        let block = self.schema.resource_schemas.get(&request.type_name).map(|s| &s.block);
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: self.check("resource", &request.type_name, block, request.config),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Rpc<pb::validate_data_resource_config::Response> {
        let request = request.into_inner();
        let block = self.schema.data_source_schemas.get(&request.type_name).map(|s| &s.block);
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: self.check("data source", &request.type_name, block, request.config),
        }))
    }

    // Everything past validation is refused with an error diagnostic.
    async fn upgrade_resource_state(
        &self,
        _: Request<pb::upgrade_resource_state::Request>,
    ) -> Rpc<pb::upgrade_resource_state::Response> {
        Ok(Response::new(pb::upgrade_resource_state::Response {
            diagnostics: self.refuse("upgrade_resource_state"),
            ..Default::default()
        }))
    }

    async fn configure_provider(
        &self,
        _: Request<pb::configure_provider::Request>,
    ) -> Rpc<pb::configure_provider::Response> {
        Ok(Response::new(pb::configure_provider::Response { diagnostics: self.refuse("configure_provider") }))
    }

    async fn read_resource(&self, _: Request<pb::read_resource::Request>) -> Rpc<pb::read_resource::Response> {
        Ok(Response::new(pb::read_resource::Response {
            diagnostics: self.refuse("read_resource"),
            ..Default::default()
        }))
    }

    async fn plan_resource_change(
        &self,
        _: Request<pb::plan_resource_change::Request>,
    ) -> Rpc<pb::plan_resource_change::Response> {
        Ok(Response::new(pb::plan_resource_change::Response {
            diagnostics: self.refuse("plan_resource_change"),
            ..Default::default()
        }))
    }

    async fn apply_resource_change(
        &self,
        _: Request<pb::apply_resource_change::Request>,
    ) -> Rpc<pb::apply_resource_change::Response> {
        Ok(Response::new(pb::apply_resource_change::Response {
            diagnostics: self.refuse("apply_resource_change"),
            ..Default::default()
        }))
    }

    async fn import_resource_state(
        &self,
        _: Request<pb::import_resource_state::Request>,
    ) -> Rpc<pb::import_resource_state::Response> {
        Ok(Response::new(pb::import_resource_state::Response {
            diagnostics: self.refuse("import_resource_state"),
            ..Default::default()
        }))
    }

    async fn move_resource_state(
        &self,
        _: Request<pb::move_resource_state::Request>,
    ) -> Rpc<pb::move_resource_state::Response> {
        Ok(Response::new(pb::move_resource_state::Response {
            diagnostics: self.refuse("move_resource_state"),
            ..Default::default()
        }))
    }

    async fn read_data_source(&self, _: Request<pb::read_data_source::Request>) -> Rpc<pb::read_data_source::Response> {
        Ok(Response::new(pb::read_data_source::Response {
            diagnostics: self.refuse("read_data_source"),
            ..Default::default()
        }))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        _: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Rpc<pb::validate_ephemeral_resource_config::Response> {
        Ok(Response::new(pb::validate_ephemeral_resource_config::Response {
            diagnostics: self.refuse("validate_ephemeral_resource_config"),
        }))
    }

    async fn open_ephemeral_resource(
        &self,
        _: Request<pb::open_ephemeral_resource::Request>,
    ) -> Rpc<pb::open_ephemeral_resource::Response> {
        Ok(Response::new(pb::open_ephemeral_resource::Response {
            diagnostics: self.refuse("open_ephemeral_resource"),
            ..Default::default()
        }))
    }

    async fn renew_ephemeral_resource(
        &self,
        _: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Rpc<pb::renew_ephemeral_resource::Response> {
        Ok(Response::new(pb::renew_ephemeral_resource::Response {
            diagnostics: self.refuse("renew_ephemeral_resource"),
            ..Default::default()
        }))
    }

    async fn close_ephemeral_resource(
        &self,
        _: Request<pb::close_ephemeral_resource::Request>,
    ) -> Rpc<pb::close_ephemeral_resource::Response> {
        Ok(Response::new(pb::close_ephemeral_resource::Response {
            diagnostics: self.refuse("close_ephemeral_resource"),
        }))
    }

    async fn get_functions(&self, _: Request<pb::get_functions::Request>) -> Rpc<pb::get_functions::Response> {
        Ok(Response::new(pb::get_functions::Response {
            diagnostics: self.refuse("get_functions"),
            ..Default::default()
        }))
    }

    async fn stop_provider(&self, _: Request<pb::stop_provider::Request>) -> Rpc<pb::stop_provider::Response> {
        self.shutdown.notify_one();
        Ok(Response::new(pb::stop_provider::Response::default()))
    }
}

struct Controller(Arc<Notify>);

#[tonic::async_trait]
impl ctl::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<ctl::Empty>) -> Rpc<ctl::Empty> {
        self.0.notify_one();
        Ok(Response::new(ctl::Empty {}))
    }
}

/// Runs the plugin process: handshake on stdout, then serve until shut down.
pub fn serve() -> Result<()> {
    if std::env::var(MAGIC_COOKIE_KEY).as_deref() != Ok(MAGIC_COOKIE_VALUE) {
        bail!(
            "This binary is a Terraform plugin (tfvalidate's stand-in provider). \
             It is started by Terraform, not run directly; see tools/tfvalidate/README.md."
        );
    }
    let exe = std::env::args_os().next().map(PathBuf::from).unwrap_or_default();
    let name = match std::env::var(PROVIDER_ENV) {
        Ok(name) => name,
        Err(_) => provider_name_from_path(&exe)
            .with_context(|| format!("cannot tell the provider from the file name {}", exe.display()))?,
    };
    let schemas_dir = std::env::var_os(SCHEMAS_DIR_ENV).map(PathBuf::from).unwrap_or_else(crate::schemas_dir);
    let shutdown = Arc::new(Notify::new());
    let stand_in = StandIn::load(&schemas_dir, &name, shutdown.clone())?;

    let socket_parent = std::env::var_os(SOCKET_DIR_ENV).map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let socket_dir = tempfile::Builder::new().prefix("tfvalidate-").tempdir_in(socket_parent)?;
    let socket = socket_dir.path().join("plugin.sock");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::UnixListener::bind(&socket)?;
        // go-plugin handshake: core protocol 1, plugin protocol 6, network, address, protocol.
        println!("1|6|unix|{}|grpc|", socket.display());
        let incoming = tokio_stream::wrappers::UnixListenerStream::new(listener);
        let notified = shutdown.clone();
        tonic::transport::Server::builder()
            .add_service(
                pb::provider_server::ProviderServer::new(stand_in)
                    .max_encoding_message_size(usize::MAX)
                    .max_decoding_message_size(256 << 20),
            )
            .add_service(ctl::grpc_controller_server::GrpcControllerServer::new(Controller(shutdown)))
            .serve_with_incoming_shutdown(incoming, async move { notified.notified().await })
            .await?;
        anyhow::Ok(())
    })?;
    drop(socket_dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn provider_name_comes_from_the_plugin_file_name() {
        let name = |p: &str| provider_name_from_path(Path::new(p));
        assert_eq!(name("/x/linux_amd64/terraform-provider-azurerm_v4.55.0").as_deref(), Some("azurerm"));
        assert_eq!(name("terraform-provider-null_v3.2.4").as_deref(), Some("null"));
        assert_eq!(name("terraform-provider-time").as_deref(), Some("time"));
        assert_eq!(name("/usr/bin/tfvalidate"), None);
    }
}
