//! The parser on arbitrary bytes; what it does with each input is `harness/parse.rs`, which the
//! corpus replay test (`tests/fuzz_corpus.rs`) runs too.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness/parse.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::run(data));
