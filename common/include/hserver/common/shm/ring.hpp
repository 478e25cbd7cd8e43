#pragma once
/// @brief Single-producer/single-consumer frame rings over RingControl. Frames may wrap around the end
/// of the data area. Each side keeps its own position locally and only publishes it, so a peer that
/// scribbles on the shared positions is detected (positions that do not add up), never trusted.

#include <cstddef>
#include <cstdint>
#include <span>

#include "hserver/common/expected.hpp"
#include "hserver/common/shm/layout.hpp"

namespace hserver::shm {

enum class RingError {
  corrupt_positions,  ///< the peer published a position that cannot be (more used than the capacity)
  bad_frame_length,   ///< a frame header claims more bytes than the ring holds or than were published
};
const char* to_string(RingError error) noexcept;

inline constexpr std::uint64_t frame_bytes(std::uint64_t payload) noexcept {
  return (sizeof(FrameHeader) + payload + kFrameAlignment - 1) & ~std::uint64_t{kFrameAlignment - 1};
}

/// @brief The producer end. One thread at a time. `capacity` is the geometry this side decided (service) or
/// validated once into private memory (add-in): never read back from the shared RingControl, where a peer
/// could change it under us.
class RingWriter {
 public:
  RingWriter(RingControl& control, std::byte* data, std::uint64_t capacity) noexcept;
  /// @brief Bytes free for frames now, or an error when the consumer's position is impossible.
  Expected<std::uint64_t, RingError> free_bytes() const noexcept;
  /// @brief Write one frame; the caller checked frame_bytes(payload.size()) <= free_bytes().
  void write(const FrameHeader& header, std::span<const std::byte> payload) noexcept;
  std::uint64_t capacity() const noexcept { return capacity_; }

 private:
  void copy_in(std::uint64_t position, const void* source, std::uint64_t bytes) noexcept;
  RingControl& control_;
  std::byte* data_;
  std::uint64_t capacity_;
  std::uint64_t write_position_;
};

/// @brief The consumer end. One thread at a time. `capacity` as for RingWriter.
class RingReader {
 public:
  RingReader(RingControl& control, std::byte* data, std::uint64_t capacity) noexcept;
  /// @brief Bytes published and not yet consumed, or an error when the producer's position is impossible.
  Expected<std::uint64_t, RingError> available() const noexcept;
  /// @brief Read the header of the next frame (available() must be >= sizeof(FrameHeader)).
  FrameHeader peek_header() const noexcept;
  /// @brief Copy the payload of the frame peeked; `out.size()` is header.payload_bytes.
  void copy_payload(std::span<std::byte> out) const noexcept;
  /// @brief Consume the frame peeked (header + payload + padding) and publish the new position.
  void consume(const FrameHeader& header) noexcept;
  std::uint64_t capacity() const noexcept { return capacity_; }

 private:
  void copy_out(std::uint64_t position, void* target, std::uint64_t bytes) const noexcept;
  RingControl& control_;
  const std::byte* data_;
  std::uint64_t capacity_;
  std::uint64_t read_position_;
};

}  // namespace hserver::shm
