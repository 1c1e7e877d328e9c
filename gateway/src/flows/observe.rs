//! Metrics for a sent message, in one place so every way in records the same things.

use super::Purpose;
use super::record::MessageRecord;
use crate::metrics::{self, MessageOutcome, Metrics};
use crate::render::{Encoding, Rendered};
use gateway_sdk::Channel;

impl From<Purpose> for metrics::Purpose {
    fn from(p: Purpose) -> Self {
        match p {
            Purpose::Login => metrics::Purpose::Login,
            Purpose::Booking => metrics::Purpose::Booking,
        }
    }
}

/// Records an accepted message: outcome, segments, encoding, render rules.
pub fn sent(m: &Metrics, record: &MessageRecord, rendered: &Rendered, channel: Channel) {
    m.record_message(
        &record.adapter,
        channel,
        Some(&record.operator),
        MessageOutcome::Sent,
    );
    if channel == Channel::Sms {
        m.observe_segments(channel, rendered.segments);
        m.record_encoding(match rendered.encoding {
            Encoding::Gsm7 => metrics::Encoding::Gsm7,
            Encoding::Ucs2 => metrics::Encoding::Ucs2,
        });
    }
    for rule in &rendered.rules_applied {
        m.record_render_rule(rule);
    }
}
