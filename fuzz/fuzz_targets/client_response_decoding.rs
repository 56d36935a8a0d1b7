#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mns_fuzz::client_response_decoding(data));
