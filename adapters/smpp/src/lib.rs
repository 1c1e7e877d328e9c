//! The SMPP adapter as the shared library the gateway loads, `libadapter_smpp.so`:
//! only the SDK's ABI export of
//! [`adapter_smpp_core::SmppAdapter`]. The adapter, its tests and its conformance run are
//! in `adapter-smpp-core` (`adapters/smpp/core`), which tests and tools link without
//! these two unmangled symbols (several adapters in one binary would define them twice).

gateway_sdk::export_adapter!(adapter_smpp_core::SmppAdapter);
