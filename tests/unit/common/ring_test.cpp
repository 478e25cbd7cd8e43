#include "hserver/common/shm/ring.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <numeric>

namespace hserver::shm {
namespace {

/// A ring in ordinary memory: the ring code does not care where its bytes live.
struct LocalRing {
  explicit LocalRing(std::uint64_t capacity) : data(static_cast<std::size_t>(capacity)) {
    control.capacity = capacity;
    control.data_offset = 0;
  }
  RingControl control{};
  std::vector<std::byte> data;
};

std::vector<std::byte> bytes_of(std::size_t n, int seed) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 31 + static_cast<std::size_t>(seed)) & 0xff);
  return v;
}

TEST(Ring, FramesWrapAroundTheEndIntact) {
  LocalRing ring(256);
  RingWriter writer(ring.control, ring.data.data(), ring.control.capacity);
  RingReader reader(ring.control, ring.data.data(), ring.control.capacity);
  // 100-byte frames (16 header + 84 payload, padded to 104) cross the 256-byte boundary repeatedly.
  for (int round = 0; round < 50; ++round) {
    auto payload = bytes_of(84, round);
    ASSERT_GE(*writer.free_bytes(), frame_bytes(payload.size()));
    writer.write(FrameHeader{84, 1, kFrameFirst | kFrameLast, static_cast<std::uint64_t>(round)}, payload);
    ASSERT_EQ(*reader.available(), frame_bytes(84));
    const FrameHeader header = reader.peek_header();
    EXPECT_EQ(header.message_id, static_cast<std::uint64_t>(round));
    std::vector<std::byte> got(header.payload_bytes);
    reader.copy_payload(got);
    EXPECT_EQ(got, payload) << "round " << round;
    reader.consume(header);
  }
  EXPECT_EQ(*reader.available(), 0u);
  EXPECT_EQ(*writer.free_bytes(), 256u);
}

TEST(Ring, FullRingReportsNoSpaceUntilConsumed) {
  LocalRing ring(128);
  RingWriter writer(ring.control, ring.data.data(), ring.control.capacity);
  RingReader reader(ring.control, ring.data.data(), ring.control.capacity);
  const auto payload = bytes_of(48, 1);  // 64 bytes a frame: two fill the ring
  writer.write(FrameHeader{48, 1, 3, 1}, payload);
  writer.write(FrameHeader{48, 1, 3, 2}, payload);
  EXPECT_EQ(*writer.free_bytes(), 0u);
  reader.consume(reader.peek_header());
  EXPECT_EQ(*writer.free_bytes(), 64u);
}

TEST(Ring, ImpossiblePositionsAreDetectedOnBothSides) {
  LocalRing ring(128);
  RingWriter writer(ring.control, ring.data.data(), ring.control.capacity);
  RingReader reader(ring.control, ring.data.data(), ring.control.capacity);
  ring.control.write_position.store(1000);  // a hostile producer claims more than the ring holds
  EXPECT_FALSE(reader.available().has_value());
  ring.control.read_position.store(5000);  // a hostile consumer claims to have read the future
  EXPECT_FALSE(writer.free_bytes().has_value());
}

}  // namespace
}  // namespace hserver::shm
