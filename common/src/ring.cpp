#include "hserver/common/shm/ring.hpp"

#include <algorithm>
#include <cstring>

namespace hserver::shm {

const char* to_string(RingError error) noexcept {
  switch (error) {
    case RingError::corrupt_positions:
      return "ring positions are inconsistent";
    case RingError::bad_frame_length:
      return "frame length exceeds the ring";
  }
  return "unknown ring error";
}

RingWriter::RingWriter(RingControl& control, std::byte* data, std::uint64_t capacity) noexcept
    : control_(control),
      data_(data),
      capacity_(capacity),
      write_position_(control.write_position.load(std::memory_order_relaxed)) {}

Expected<std::uint64_t, RingError> RingWriter::free_bytes() const noexcept {
  const std::uint64_t read = control_.read_position.load(std::memory_order_acquire);
  const std::uint64_t used = write_position_ - read;
  if (used > capacity_) return Unexpected{RingError::corrupt_positions};
  return capacity_ - used;
}

void RingWriter::copy_in(std::uint64_t position, const void* source, std::uint64_t bytes) noexcept {
  if (bytes == 0) return;  // an empty payload may come with a null pointer
  const std::uint64_t offset = position & (capacity_ - 1);
  const std::uint64_t first = std::min(bytes, capacity_ - offset);
  std::memcpy(data_ + offset, source, static_cast<std::size_t>(first));
  std::memcpy(data_, static_cast<const std::byte*>(source) + first, static_cast<std::size_t>(bytes - first));
}

void RingWriter::write(const FrameHeader& header, std::span<const std::byte> payload) noexcept {
  copy_in(write_position_, &header, sizeof header);
  copy_in(write_position_ + sizeof header, payload.data(), payload.size());
  write_position_ += frame_bytes(payload.size());
  control_.write_position.store(write_position_, std::memory_order_release);
}

RingReader::RingReader(RingControl& control, std::byte* data, std::uint64_t capacity) noexcept
    : control_(control),
      data_(data),
      capacity_(capacity),
      read_position_(control.read_position.load(std::memory_order_relaxed)) {}

Expected<std::uint64_t, RingError> RingReader::available() const noexcept {
  const std::uint64_t written = control_.write_position.load(std::memory_order_acquire);
  const std::uint64_t used = written - read_position_;
  if (used > capacity_) return Unexpected{RingError::corrupt_positions};
  return used;
}

void RingReader::copy_out(std::uint64_t position, void* target, std::uint64_t bytes) const noexcept {
  if (bytes == 0) return;
  const std::uint64_t offset = position & (capacity_ - 1);
  const std::uint64_t first = std::min(bytes, capacity_ - offset);
  std::memcpy(target, data_ + offset, static_cast<std::size_t>(first));
  std::memcpy(static_cast<std::byte*>(target) + first, data_, static_cast<std::size_t>(bytes - first));
}

FrameHeader RingReader::peek_header() const noexcept {
  FrameHeader header{};
  copy_out(read_position_, &header, sizeof header);
  return header;
}

void RingReader::copy_payload(std::span<std::byte> out) const noexcept {
  copy_out(read_position_ + sizeof(FrameHeader), out.data(), out.size());
}

void RingReader::consume(const FrameHeader& header) noexcept {
  read_position_ += frame_bytes(header.payload_bytes);
  control_.read_position.store(read_position_, std::memory_order_release);
}

}  // namespace hserver::shm
