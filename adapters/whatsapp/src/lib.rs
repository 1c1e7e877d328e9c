//! The WhatsApp adapter as the shared library the gateway loads, `libadapter_whatsapp.so`:
//! only the SDK's ABI export of
//! [`adapter_whatsapp_core::WhatsAppAdapter`]. The adapter, its tests and its conformance run are
//! in `adapter-whatsapp-core` (`adapters/whatsapp/core`), which tests and tools link without
//! these two unmangled symbols (several adapters in one binary would define them twice).

gateway_sdk::export_adapter!(adapter_whatsapp_core::WhatsAppAdapter);
