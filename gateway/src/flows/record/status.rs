//! A message's delivery status as the API and the stored record spell it: the SDK's
//! [`DeliveryStatus`] (which knows nothing of OpenAPI) with a schema, converted both ways
//! by exhaustive matches so the two cannot drift apart. Ranking and names stay the
//! SDK's.

use gateway_sdk::DeliveryStatus;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a message stands (`status` of a record), or what one history entry recorded:
/// a provider's status, or `failed` for a late fallback that sent nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Accepted by the provider, not yet handed to the network.
    Queued,
    /// Handed to the carrier or chat network.
    Sent,
    /// Delivered to the handset or app.
    Delivered,
    /// Read by the recipient (chatbots).
    Read,
    /// Failed permanently (or, in the history, a late fallback that sent nothing).
    Failed,
    /// The network could not deliver it.
    Undelivered,
    /// Expired before delivery.
    Expired,
}

impl From<DeliveryStatus> for MessageStatus {
    fn from(s: DeliveryStatus) -> Self {
        match s {
            DeliveryStatus::Queued => Self::Queued,
            DeliveryStatus::Sent => Self::Sent,
            DeliveryStatus::Delivered => Self::Delivered,
            DeliveryStatus::Read => Self::Read,
            DeliveryStatus::Failed => Self::Failed,
            DeliveryStatus::Undelivered => Self::Undelivered,
            DeliveryStatus::Expired => Self::Expired,
        }
    }
}

impl From<MessageStatus> for DeliveryStatus {
    fn from(s: MessageStatus) -> Self {
        match s {
            MessageStatus::Queued => Self::Queued,
            MessageStatus::Sent => Self::Sent,
            MessageStatus::Delivered => Self::Delivered,
            MessageStatus::Read => Self::Read,
            MessageStatus::Failed => Self::Failed,
            MessageStatus::Undelivered => Self::Undelivered,
            MessageStatus::Expired => Self::Expired,
        }
    }
}

impl MessageStatus {
    /// The wire name (the SDK's).
    pub fn as_str(self) -> &'static str {
        DeliveryStatus::from(self).as_str()
    }

    /// The SDK's order of statuses: a report never moves a message back.
    pub fn rank(self) -> u8 {
        DeliveryStatus::from(self).rank()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [DeliveryStatus; 7] = [
        DeliveryStatus::Queued,
        DeliveryStatus::Sent,
        DeliveryStatus::Delivered,
        DeliveryStatus::Read,
        DeliveryStatus::Failed,
        DeliveryStatus::Undelivered,
        DeliveryStatus::Expired,
    ];

    #[test]
    fn the_wire_names_are_the_sdks_both_ways() {
        for sdk in ALL {
            let ours = MessageStatus::from(sdk);
            assert_eq!(DeliveryStatus::from(ours), sdk);
            let wire = serde_json::to_value(ours).unwrap();
            assert_eq!(wire, serde_json::to_value(sdk).unwrap());
            assert_eq!(wire, sdk.as_str());
            // A stored record's string reads back as the same status.
            assert_eq!(serde_json::from_value::<MessageStatus>(wire).unwrap(), ours);
            assert_eq!(ours.rank(), sdk.rank());
        }
        assert!(serde_json::from_str::<MessageStatus>("\"pending\"").is_err());
    }
}
