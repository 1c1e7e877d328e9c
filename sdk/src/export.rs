//! [`export_adapter!`]: the one line that turns an [`Adapter`](crate::Adapter) into a
//! loadable library.

/// Exports an [`Adapter`](crate::Adapter) type as the adapter of this library.
///
/// Write it once, at the root of a crate built with `crate-type = ["cdylib", "rlib"]`:
///
/// ```ignore
/// gateway_sdk::export_adapter!(MyAdapter);
/// ```
///
/// It defines the two symbols the gateway looks up: the `u32` static
/// `GATEWAY_ADAPTER_ABI_VERSION` (checked before anything else is called) and the entry
/// function `gateway_adapter_entry`, which returns the library's
/// [`AdapterApi`](crate::abi::AdapterApi). The generated items carry
/// `#[allow(unsafe_code)]` (exporting an unmangled symbol counts as unsafe), so the
/// author's crate keeps `#![deny(unsafe_code)]`. Use it once per library: two adapters
/// in one library would export the same symbols.
#[macro_export]
macro_rules! export_adapter {
    ($adapter:ty) => {
        /// The ABI version this library was built for; read by the gateway first.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub static GATEWAY_ADAPTER_ABI_VERSION: u32 = $crate::abi::ABI_VERSION;

        /// The library's entry point: the adapter's function table.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn gateway_adapter_entry() -> *const $crate::abi::AdapterApi {
            static API: $crate::abi::AdapterApi = $crate::abi::api_for::<$adapter>();
            &API
        }
    };
}
