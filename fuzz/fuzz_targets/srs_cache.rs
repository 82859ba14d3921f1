//! `SrsStore::load_bytes` on arbitrary bytes: never panics. The input is tried as a whole file
//! and, so that mutations get past the checksum to the parser, also as a file body with its
//! correct BLAKE2b-512 checksum appended.
#![no_main]

use blake2::{Blake2b512, Digest};
use libfuzzer_sys::fuzz_target;
use zktorch::srs::store::SrsStore;

fuzz_target!(|data: &[u8]| {
    let _ = SrsStore::load_bytes(data);
    let mut sealed = data.to_vec();
    sealed.extend_from_slice(&Blake2b512::digest(data));
    if let Ok(srs) = SrsStore::load_bytes(&sealed) {
        // Whatever loads must save to a file that loads to the same SRS.
        let again = SrsStore::load_bytes(&SrsStore::to_bytes(&srs)).expect("re-encoding loads");
        assert_eq!(again.digest(), srs.digest());
    }
});
