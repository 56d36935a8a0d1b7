#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| mns_fuzz::emulator_request_parsing(data));
