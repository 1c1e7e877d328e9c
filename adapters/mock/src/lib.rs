//! Mock adapter (being written).
