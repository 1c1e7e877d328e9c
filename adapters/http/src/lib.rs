//! The generic HTTP adapter as the shared library the gateway loads, `libadapter_http.so`:
//! only the SDK's ABI export of
//! [`adapter_http_core::HttpAdapter`]. The adapter, its tests and its conformance run are
//! in `adapter-http-core` (`adapters/http/core`), which tests and tools link without
//! these two unmangled symbols (several adapters in one binary would define them twice).

gateway_sdk::export_adapter!(adapter_http_core::HttpAdapter);
