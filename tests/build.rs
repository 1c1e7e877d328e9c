//! Linker flags for the end-to-end test binary and `fake-providers`, which link the three
//! adapter crates for their fake providers.
//!
//! Each adapter crate's `gateway_sdk::export_adapter!` defines the unmangled symbols
//! `gateway_adapter_entry` and `GATEWAY_ADAPTER_ABI_VERSION`, and rustc keeps exported
//! symbols of every linked rlib, so linking three adapters into one executable defines
//! them three times. These executables never call them (they load nothing; the gateway
//! process loads the real `.so` files), so the linker may keep any one definition.

fn main() {
    for kind in ["tests", "bins"] {
        println!("cargo:rustc-link-arg-{kind}=-Wl,--allow-multiple-definition");
    }
}
