# The fuzzers of tests/fuzz: <name> is built from <name>_fuzzer.cpp, seeded from corpus/<name>/, and run
# by the test suite as `fuzz_<name>` for the seconds listed (about 3 minutes in all on two cores).
# Read by cmake/HServerFuzz.cmake (both builds) and tests/fuzz/CMakeLists.txt.
set(HSERVER_FUZZERS
  http_request   # bytes -> Beast request parser -> envelope (legacy and http) -> codec round trip
  http_response  # ResponseEnvelope -> HTTP response -> serialised -> parsed back
  envelope_codec # decode_request / decode_response on raw bytes; decode -> encode is the identity
  legacy_path    # decode_legacy_target against a reference decoder
  path_normalization # normalize_target's properties; RouteTable::resolve keeps both readings consistent
  shm_ring       # RingWriter/RingReader over heap memory: frames round-trip, impossible positions refused
  shm_channel    # Channel::pump over a real channel segment: fragments, reassembly, hostile ring bytes
  utf            # UTF-8 <-> UTF-16 against a reference validator; round trips
  native_variant # tVariant -> Value -> tVariant (the Native API binding); lossy UTF-8 -> UTF-16
  method_table   # parse_headers_json, to_request_id / request_id_value, request_to_json
  config_json    # parse_config_json + validate_config
)
set(HSERVER_FUZZER_SECONDS
  20 # http_request
  15 # http_response
  15 # envelope_codec
  10 # legacy_path
  10 # path_normalization
  15 # shm_ring
  20 # shm_channel
  15 # utf
  15 # native_variant
  15 # method_table
  15 # config_json
)
