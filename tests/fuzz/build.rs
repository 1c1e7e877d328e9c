//! Lets this crate's test binaries link all four adapter crates at once. Each adapter
//! exports the same two unmangled symbols (`gateway_adapter_entry`,
//! `GATEWAY_ADAPTER_ABI_VERSION`) so that its cdylib can be loaded; the fuzz targets
//! call the adapters' callback modules directly and never those symbols, so the linker
//! may keep any one definition.
fn main() {
    println!("cargo::rustc-link-arg=-Wl,--allow-multiple-definition");
}
