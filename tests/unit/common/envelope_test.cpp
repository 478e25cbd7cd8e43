#include "hserver/common/envelope.hpp"

#include <gtest/gtest.h>

namespace hserver {
namespace {

RequestEnvelope sample_request() {
  RequestEnvelope r;
  r.id = 0x0102030405060708ull;
  r.mode = RouteMode::http;
  r.method = "POST";
  r.target = "/api/stock?item=42";
  r.remote_address = "[::1]:5000";
  r.user = "Бухгалтер";
  r.auth_scheme = "basic";
  r.headers = {{"Content-Type", "application/json"}, {"X-Dup", "1"}, {"X-Dup", "2"}};
  r.body = std::string("\0binary\xff", 8);
  return r;
}

TEST(Envelope, RequestRoundTripKeepsEveryField) {
  std::vector<std::byte> bytes;
  encode(sample_request(), bytes);
  auto decoded = decode_request(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, sample_request());
}

TEST(Envelope, ResponseRoundTripKeepsEveryField) {
  ResponseEnvelope r{7, 404, {{"A", "b"}}, "Не найдено"};
  std::vector<std::byte> bytes;
  encode(r, bytes);
  auto decoded = decode_response(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, r);
}

TEST(Envelope, EveryTruncationIsAnErrorNotACrash) {
  std::vector<std::byte> bytes;
  encode(sample_request(), bytes);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto decoded = decode_request(std::span(bytes).first(n));
    ASSERT_FALSE(decoded.has_value()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(decoded.error(), CodecError::truncated);
  }
}

TEST(Envelope, TrailingBytesAndBadModeAreRejected) {
  std::vector<std::byte> bytes;
  encode(sample_request(), bytes);
  bytes.push_back(std::byte{0});
  EXPECT_EQ(decode_request(bytes).error(), CodecError::trailing_bytes);
  bytes.pop_back();
  bytes[8] = std::byte{9};  // the mode byte follows the 8-byte id
  EXPECT_EQ(decode_request(bytes).error(), CodecError::bad_mode);
}

TEST(Envelope, AbsurdLengthsDoNotAllocate) {
  // id, mode, then a method length of 4 GiB - 1 with nothing behind it.
  std::vector<std::byte> bytes(9, std::byte{0});
  bytes[8] = std::byte{1};
  for (int i = 0; i < 4; ++i) bytes.push_back(std::byte{0xff});
  EXPECT_EQ(decode_request(bytes).error(), CodecError::truncated);
}

}  // namespace
}  // namespace hserver
