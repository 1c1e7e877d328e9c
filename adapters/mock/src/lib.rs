//! Mock adapter: records every message it is asked to send (minimal first cut; the
//! fault injection and outbox follow).

#![deny(unsafe_code)]

use gateway_sdk::{
    Adapter, AdapterError, Capabilities, Channel, CreateContext, DeliveryStatus, SendRequest,
    SendResult,
};

/// The mock adapter.
#[derive(Debug)]
pub struct MockAdapter;

#[gateway_sdk::async_trait]
impl Adapter for MockAdapter {
    const KIND: &'static str = "mock";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn create(_settings: serde_json::Value, _ctx: CreateContext) -> Result<Self, AdapterError> {
        Ok(Self)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            channels: vec![Channel::Sms],
            reachability_check: false,
            delivery_reports: false,
            provider_renders_text: false,
        }
    }

    async fn send(&self, request: SendRequest) -> Result<SendResult, AdapterError> {
        Ok(SendResult {
            provider_message_id: format!("mock-{}", request.message_id),
            status: DeliveryStatus::Sent,
            segments_billed: Some(1),
        })
    }
}

gateway_sdk::export_adapter!(MockAdapter);
