//! The Telegram adapter as the shared library the gateway loads, `libadapter_telegram.so`:
//! only the SDK's ABI export of
//! [`adapter_telegram_core::TelegramAdapter`]. The adapter, its tests and its conformance run are
//! in `adapter-telegram-core` (`adapters/telegram/core`), which tests and tools link without
//! these two unmangled symbols (several adapters in one binary would define them twice).

gateway_sdk::export_adapter!(adapter_telegram_core::TelegramAdapter);
