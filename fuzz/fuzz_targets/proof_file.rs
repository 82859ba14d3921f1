//! `ProofFile::from_bytes` on arbitrary bytes: never panics, and whatever it accepts is exactly
//! the canonical encoding of the value it returns.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zktorch::proof::ProofFile;

fuzz_target!(|data: &[u8]| {
    if let Ok(proof) = ProofFile::from_bytes(data) {
        assert_eq!(proof.to_bytes(), data, "accepted a non-canonical encoding");
        if let Some(vk) = &proof.vk {
            assert_eq!(vk.digest(), proof.vk_digest);
        }
    }
});
