//! The mock adapter as the shared library the gateway loads, `libadapter_mock.so`:
//! only the SDK's ABI export of
//! [`adapter_mock_core::MockAdapter`]. The adapter, its tests and its conformance run are
//! in `adapter-mock-core` (`adapters/mock/core`), which tests and tools link without
//! these two unmangled symbols (several adapters in one binary would define them twice).

gateway_sdk::export_adapter!(adapter_mock_core::MockAdapter);
