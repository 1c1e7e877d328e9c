//! libFuzzer entry for `fuzz_targets::callbacks::http` (see tests/fuzz/src and docs/testing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::callbacks::http(data));
