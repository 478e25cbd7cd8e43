// RingWriter and RingReader over a ring in heap memory of exactly the ring's capacity (ASan sees every
// byte outside it), started at any 64-bit position so that frames wrap around the end of the data and the
// positions around 2^64. A sequence of operations writes frames, reads them, and (as a hostile peer would)
// overwrites the published positions.
// Properties while the positions are honest: free + available = capacity; every frame comes out as it
// went in, header and payload, in order. Once a position is forged: available()/free_bytes() report an
// error or at most the capacity, and a reader that checks frame lengths as Channel does never touches
// memory outside the ring.
//
// Input: capacity byte (32 << n%8 bytes), u64 start position, then operations: 0 write (u16 length, type,
// flags, payload bytes), 1 read one frame, 2 forge a position, 3 read everything.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "hserver/common/shm/ring.hpp"

namespace {

using namespace hserver;
using namespace hserver::shm;

struct Frame {
  FrameHeader header;
  std::vector<std::byte> payload;
};

class Fuzz {
 public:
  explicit Fuzz(fuzz::Input& in)
      : in_(in), capacity_(std::uint64_t{32} << (in.byte() % 8)), data_(new std::byte[capacity_]()) {
    control_ = std::make_unique<RingControl>();
    control_->capacity = capacity_;
    control_->data_offset = 0;
    const auto start = in.integer<std::uint64_t>();
    control_->write_position.store(start);
    control_->read_position.store(start);
    writer_.emplace(*control_, data_.get(), capacity_);
    reader_.emplace(*control_, data_.get(), capacity_);
  }

  void run() {
    for (int op = 0; op < 512 && !in_.empty(); ++op) {
      switch (in_.byte() % 4) {
        case 0:
          write();
          break;
        case 1:
          read_one();
          break;
        case 2:
          forge();
          break;
        default:
          while (read_one()) {
          }
          break;
      }
      check_accounting();
    }
    while (read_one()) {
    }
    if (!forged_) FUZZ_CHECK(expected_.empty());
  }

 private:
  void write() {
    Frame frame;
    const std::uint64_t largest = capacity_ - sizeof(FrameHeader);
    frame.header.payload_bytes = static_cast<std::uint32_t>(in_.integer<std::uint16_t>() % (largest + 1));
    frame.header.type = in_.byte();
    frame.header.flags = in_.byte();
    frame.header.message_id = ++next_id_;
    const std::string_view given = in_.bytes(frame.header.payload_bytes);
    frame.payload.resize(frame.header.payload_bytes);
    for (std::size_t i = 0; i < frame.payload.size(); ++i) {
      frame.payload[i] = i < given.size() ? static_cast<std::byte>(given[i]) : static_cast<std::byte>(i * 31 + 7);
    }
    const auto free = writer_->free_bytes();
    if (!free) {
      FUZZ_CHECK(forged_);
      return;
    }
    FUZZ_CHECK(*free <= capacity_);
    if (*free < frame_bytes(frame.payload.size())) return;
    writer_->write(frame.header, frame.payload);
    if (!forged_) expected_.push_back(std::move(frame));
  }

  bool read_one() {
    const auto available = reader_->available();
    if (!available) {
      FUZZ_CHECK(forged_);
      return false;
    }
    FUZZ_CHECK(*available <= capacity_);
    if (*available < sizeof(FrameHeader)) {
      if (!forged_) FUZZ_CHECK(*available == 0 && expected_.empty());
      return false;
    }
    const FrameHeader header = reader_->peek_header();
    // What Channel checks before it copies a payload.
    if (frame_bytes(header.payload_bytes) > *available) {
      FUZZ_CHECK(forged_);
      return false;
    }
    std::vector<std::byte> payload(header.payload_bytes);
    reader_->copy_payload(payload);
    reader_->consume(header);
    if (!forged_) {
      FUZZ_CHECK(!expected_.empty());
      const Frame& frame = expected_.front();
      FUZZ_CHECK(header.payload_bytes == frame.header.payload_bytes);
      FUZZ_CHECK(header.type == frame.header.type);
      FUZZ_CHECK(header.flags == frame.header.flags);
      FUZZ_CHECK(header.message_id == frame.header.message_id);
      FUZZ_CHECK(payload == frame.payload);
      expected_.pop_front();
    }
    return true;
  }

  void forge() {
    auto& position = (in_.byte() & 1) != 0 ? control_->write_position : control_->read_position;
    const std::uint8_t how = in_.byte();
    const auto value = in_.integer<std::uint64_t>();
    if ((how & 1) != 0) {
      position.store(value);
    } else {
      position.store(position.load() + (value % (2 * capacity_ + 1)) - capacity_);  // near the truth
    }
    forged_ = true;
  }

  void check_accounting() {
    if (forged_) return;
    const auto free = writer_->free_bytes();
    const auto available = reader_->available();
    FUZZ_CHECK(free.has_value() && available.has_value());
    FUZZ_CHECK(*free + *available == capacity_);
    std::uint64_t queued = 0;
    for (const Frame& frame : expected_) queued += frame_bytes(frame.payload.size());
    FUZZ_CHECK(*available == queued);
  }

  fuzz::Input& in_;
  std::uint64_t capacity_;
  std::unique_ptr<std::byte[]> data_;
  std::unique_ptr<RingControl> control_;
  std::optional<RingWriter> writer_;
  std::optional<RingReader> reader_;
  std::deque<Frame> expected_;
  std::uint64_t next_id_ = 0;
  bool forged_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hserver::fuzz::Input in(data, size);
  Fuzz(in).run();
  return 0;
}
