//! The Twilio adapter as the shared library the gateway loads, `libadapter_twilio.so`:
//! only the SDK's ABI export of
//! [`adapter_twilio_core::TwilioAdapter`]. The adapter, its tests and its conformance run are
//! in `adapter-twilio-core` (`adapters/twilio/core`), which tests and tools link without
//! these two unmangled symbols (several adapters in one binary would define them twice).

gateway_sdk::export_adapter!(adapter_twilio_core::TwilioAdapter);
