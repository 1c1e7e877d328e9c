//! WhatsApp Cloud API adapter (being written).
