// The envelope decoders on raw bytes, as the channel hands them over from a peer that may be hostile.
// Properties: never a crash or an out-of-bounds read; the codec is canonical (fixed-width fields, no
// slack), so decode followed by encode gives back exactly the bytes decoded; a strict prefix of a valid
// payload is `truncated`, a longer one `trailing_bytes`.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_support.hpp"
#include "hserver/common/envelope.hpp"

namespace {

using hserver::CodecError;

bool known(CodecError error) {
  switch (error) {
    case CodecError::truncated:
    case CodecError::trailing_bytes:
    case CodecError::bad_mode:
    case CodecError::too_many_headers:
      return hserver::to_string(error) != "unknown codec error";
  }
  return false;
}

template <class Decode>
void check(std::span<const std::byte> payload, Decode decode) {
  auto decoded = decode(payload);
  if (!decoded) {
    FUZZ_CHECK(known(decoded.error()));
    return;
  }
  std::vector<std::byte> encoded;
  hserver::encode(*decoded, encoded);
  FUZZ_CHECK(encoded.size() == payload.size());
  FUZZ_CHECK(std::equal(encoded.begin(), encoded.end(), payload.begin()));

  auto shorter = decode(payload.first(payload.size() - 1));
  FUZZ_CHECK(!shorter && shorter.error() == CodecError::truncated);
  std::vector<std::byte> longer(payload.begin(), payload.end());
  longer.push_back(std::byte{0});
  auto with_tail = decode(longer);
  FUZZ_CHECK(!with_tail && with_tail.error() == CodecError::trailing_bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // libFuzzer passes an exactly sized heap copy of the input: ASan reports any read past the payload.
  const auto payload = std::as_bytes(std::span(data, size));
  check(payload, [](std::span<const std::byte> p) { return hserver::decode_request(p); });
  check(payload, [](std::span<const std::byte> p) { return hserver::decode_response(p); });
  return 0;
}
