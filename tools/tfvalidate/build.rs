//! Compiles the vendored Terraform plugin protocol with protox, so no system `protoc` is needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = ["proto/tfplugin6.8.proto", "proto/grpc_controller.proto"];
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(protos, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(false)
        // Unused RPCs answer `Unimplemented`; the ones Terraform may reach during validate or
        // plan get explicit error diagnostics in src/provider.rs.
        .generate_default_stubs(true)
        .compile_fds(descriptors)?;
    Ok(())
}
