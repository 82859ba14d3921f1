//! `VerifyingKey::from_bytes` on arbitrary bytes: never panics, and whatever it accepts is
//! exactly the canonical encoding of the value it returns.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zktorch::proof::VerifyingKey;

fuzz_target!(|data: &[u8]| {
    if let Ok(vk) = VerifyingKey::from_bytes(data) {
        assert_eq!(vk.to_bytes(), data, "accepted a non-canonical encoding");
    }
});
