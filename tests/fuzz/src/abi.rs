//! The SDK's decoding of adapter answers: the JSON bytes a loaded library hands back
//! through the C ABI, which the gateway must never trust.

use gateway_sdk::abi::{
    STATUS_ERR, STATUS_OK, decode_async_answer_for_fuzzing, decode_sync_answer_for_fuzzing,
};
use gateway_sdk::{
    AdapterError, CallbackError, CallbackOutcome, Capabilities, Health, Reachability, SendResult,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// Input: the first byte picks the call (`c`reate/capabilities, `s`end, `r`eachable,
/// `h`ealth, `p`arse_callback, by value modulo 5), the second the status (`0` ok, `1`
/// error, else the raw byte), the rest is the answer payload. Every answer decodes to a
/// value or an error naming the call; synchronous and asynchronous delivery agree; a
/// decoded value survives a JSON round trip unchanged.
pub fn answers(data: &[u8]) {
    let [call, status, payload @ ..] = data else {
        return;
    };
    let status = match status {
        b'0' => STATUS_OK,
        b'1' => STATUS_ERR,
        other => u32::from(*other),
    };
    match call % 5 {
        0 => sync_only::<Capabilities, AdapterError>("create", status, payload, internal),
        1 => both::<SendResult>("send", status, payload),
        2 => both::<Reachability>("check_reachable", status, payload),
        3 => both::<Health>("health", status, payload),
        _ => sync_only::<CallbackOutcome, CallbackError>(
            "parse_callback",
            status,
            payload,
            |message| CallbackError::Internal { message },
        ),
    }
}

fn internal(message: String) -> AdapterError {
    AdapterError::Internal { message }
}

fn sync_only<T, E>(call: &str, status: u32, payload: &[u8], make: fn(String) -> E)
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
    E: DeserializeOwned + std::fmt::Display,
{
    let answer = decode_sync_answer_for_fuzzing::<T, E>(call, status, payload, make);
    check(status, answer);
}

fn both<T>(call: &str, status: u32, payload: &[u8])
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let sync = decode_sync_answer_for_fuzzing::<T, AdapterError>(call, status, payload, internal);
    let asynchronous = decode_async_answer_for_fuzzing::<T>(call, status, payload);
    match (&sync, &asynchronous) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "sync and async decodings differ"),
        (Err(a), Err(b)) => assert_eq!(a, b, "sync and async errors differ"),
        _ => panic!("sync and async decodings disagree: {sync:?} / {asynchronous:?}"),
    }
    check(status, sync);
}

fn check<T, E>(status: u32, answer: Result<T, E>)
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
    E: std::fmt::Display,
{
    match answer {
        Ok(value) => {
            assert_eq!(status, STATUS_OK, "a value decoded from an error status");
            let json = serde_json::to_vec(&value).expect("a decoded answer serializes");
            let again: T = serde_json::from_slice(&json).expect("and decodes again");
            assert_eq!(again, value, "JSON round trip changed the answer");
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}
