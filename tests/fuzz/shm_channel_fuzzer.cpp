// Channel::pump, the frame parser and reassembler of the shared-memory channel, on a real channel segment
// with both ends in this process (as tests/unit/common/channel_test.cpp sets them up). The segment's name
// is removed as soon as both ends have mapped it, so nothing is left in /dev/shm whatever happens.
//
// Two modes, chosen by the first byte (bit 0: the service sends to the add-in rather than the add-in to
// the service; bit 1: raw mode; bit 2: 8 KiB rings instead of 4 KiB):
// - Raw: the rest of the input is what a hostile peer wrote into the receiver's inbound ring, published
//   whole. The messages delivered and the verdict (protocol error or not) must be exactly those of a
//   reference parser written from docs/shared-memory-protocol.md, and nothing may crash. (The segment is
//   not heap memory, so ASan cannot see a read past a ring here: shm_ring checks the rings' bounds.)
// - Operations: 0 send a message (kind byte: type, bit 4 Flush::now; id; u16 length up to four rings;
//   a count and that many leading payload bytes), 1 pump the sender, 2 pump the receiver, 3 scribble on
//   the inbound ring's bytes, 4 forge its write position, 5 lower the receiver's message size limit.
//   Untouched by forgeries, every message arrives once, whole, in order, with its type and id, and the
//   only protocol error is a message over the limit; once forged, pump may fail but must not crash.

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "hserver/common/platform/process.hpp"
#include "hserver/common/platform/shared_memory.hpp"
#include "hserver/common/shm/channel.hpp"

namespace {

using namespace hserver;
using namespace hserver::shm;

struct Ends {
  Channel service;
  Channel addin;
};

std::optional<Ends> open_channel(std::uint32_t ring_bytes) {
  static const ProcessStamp self = platform::current_process();
  static unsigned counter = 0;
  const std::string name = "hserver-fuzz." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  platform::SharedMemory::remove(name);
  auto service = Channel::create(name, ring_bytes, {}, 0, 0, 1, self);
  if (!service) return std::nullopt;
  auto addin = Channel::open(name);
  platform::SharedMemory::remove(name);  // both ends mapped: the name is no longer needed
  if (!addin) return std::nullopt;
  return Ends{std::move(*service), std::move(*addin)};
}

bool same(const Message& a, const Message& b) {
  return a.type == b.type && a.id == b.id && a.payload == b.payload;
}

/// The ring the receiver reads and a hostile sender writes: its control block and data.
struct Inbound {
  RingControl& control;
  std::byte* data;
};

Inbound inbound_of(Channel& receiver, bool receiver_is_service) {
  ChannelHeader& header = receiver.header();
  RingControl& control = receiver_is_service ? header.response_ring : header.request_ring;
  return {control, reinterpret_cast<std::byte*>(&header) + control.data_offset};
}

// ---- raw mode --------------------------------------------------------------------------------------------

struct Verdict {
  std::vector<Message> delivered;
  bool error = false;
};

/// Frames as the protocol document describes them, read from `ring[0, published)`.
Verdict reference_parse(const std::byte* ring, std::uint64_t published, std::uint64_t limit) {
  Verdict verdict;
  std::optional<Message> assembling;
  std::uint64_t pos = 0;
  while (published - pos >= sizeof(FrameHeader)) {
    FrameHeader header;
    std::memcpy(&header, ring + pos, sizeof header);
    const std::uint64_t length = (sizeof(FrameHeader) + std::uint64_t{header.payload_bytes} + 7) / 8 * 8;
    const bool first = (header.flags & 1) != 0;
    const bool last = (header.flags & 2) != 0;
    if (length > published - pos || header.type < 1 || header.type > 4 || first == assembling.has_value() ||
        (!first &&
         (assembling->id != header.message_id || static_cast<std::uint16_t>(assembling->type) != header.type))) {
      verdict.error = true;
      return verdict;
    }
    if (first) assembling = Message{static_cast<MessageType>(header.type), header.message_id, {}};
    if (assembling->payload.size() + header.payload_bytes > limit) {
      verdict.error = true;
      return verdict;
    }
    const std::byte* payload = ring + pos + sizeof(FrameHeader);
    assembling->payload.insert(assembling->payload.end(), payload, payload + header.payload_bytes);
    pos += length;
    if (last) {
      verdict.delivered.push_back(std::move(*assembling));
      assembling.reset();
    }
  }
  return verdict;
}

void raw(Channel& receiver, bool receiver_is_service, std::uint32_t ring_bytes, fuzz::Input& in) {
  const auto limit_field = in.integer<std::uint32_t>();
  const std::uint64_t limit = limit_field == 0 ? std::uint64_t{1} << 30 : limit_field;
  receiver.set_max_message_bytes(limit);
  const std::string_view bytes = in.bytes(ring_bytes);
  const Inbound ring = inbound_of(receiver, receiver_is_service);
  std::memcpy(ring.data, bytes.data(), bytes.size());
  ring.control.write_position.store(bytes.size());

  const Verdict expected = reference_parse(ring.data, bytes.size(), limit);
  Verdict got;
  for (int round = 0; round < 2 && !got.error; ++round) {
    auto pumped = receiver.pump([&](Message&& m) { got.delivered.push_back(std::move(m)); });
    if (!pumped) {
      FUZZ_CHECK(!pumped.error().what.empty());
      got.error = true;
    }
  }
  FUZZ_CHECK(got.error == expected.error);
  FUZZ_CHECK(got.delivered.size() == expected.delivered.size());
  for (std::size_t i = 0; i < got.delivered.size(); ++i) FUZZ_CHECK(same(got.delivered[i], expected.delivered[i]));
}

// ---- operations ------------------------------------------------------------------------------------------

class Operations {
 public:
  Operations(Channel& sender, Channel& receiver, bool receiver_is_service, std::uint32_t ring_bytes, fuzz::Input& in)
      : sender_(sender),
        receiver_(receiver),
        ring_(inbound_of(receiver, receiver_is_service)),
        ring_bytes_(ring_bytes),
        in_(in) {}

  void run() {
    for (int op = 0; op < 64 && !in_.empty() && !failed_; ++op) {
      switch (in_.byte() % 6) {
        case 0:
          send();
          break;
        case 1:
          pump_sender();
          break;
        case 2:
          pump_receiver();
          break;
        case 3:
          scribble();
          break;
        case 4:
          forge();
          break;
        default:
          limit_ = std::max<std::uint64_t>(in_.integer<std::uint32_t>(), 1);
          receiver_.set_max_message_bytes(limit_);
          break;
      }
    }
    if (failed_) return;
    // Drain: every queued byte must get through. Each round moves at least one fragment of a quarter ring.
    std::uint64_t queued = 0;
    for (const Message& m : sent_) queued += m.payload.size();
    const std::uint64_t rounds = queued / (ring_bytes_ / 4 - sizeof(FrameHeader)) + sent_.size() + 8;
    for (std::uint64_t i = 0; i < rounds && !failed_ && sender_.outbound_pending(); ++i) {
      pump_sender();
      pump_receiver();
    }
    if (!failed_) pump_receiver();
    if (failed_ || forged_) return;
    FUZZ_CHECK(!sender_.outbound_pending());
    FUZZ_CHECK(received_ == sent_.size());
  }

 private:
  void send() {
    const std::uint8_t kind = in_.byte();
    Message message{static_cast<MessageType>(1 + kind % 4), in_.byte(), {}};
    // Up to four rings' worth: fragmented, streamed while the receiver drains, yet quick to fuzz.
    message.payload.resize(in_.integer<std::uint16_t>() % (4 * std::size_t{ring_bytes_} + 1));
    const std::string_view given = in_.bytes(std::min<std::size_t>(message.payload.size(), in_.byte()));
    for (std::size_t i = 0; i < message.payload.size(); ++i) {
      message.payload[i] = i < given.size() ? static_cast<std::byte>(given[i]) : static_cast<std::byte>(i * 131 + kind);
    }
    sent_.push_back(message);
    sender_.send(message.type, message.id, std::move(message.payload),
                 (kind & 0x10) != 0 ? Channel::Flush::now : Channel::Flush::later);
  }

  void pump_sender() {
    auto pumped = sender_.pump([](Message&&) { FUZZ_CHECK(false); });  // nothing flows the other way
    if (!pumped) {
      FUZZ_CHECK(forged_);
      failed_ = true;
    }
  }

  void pump_receiver() {
    auto pumped = receiver_.pump([&](Message&& m) {
      FUZZ_CHECK(m.payload.size() <= limit_);
      if (forged_) return;
      FUZZ_CHECK(received_ < sent_.size());
      FUZZ_CHECK(same(m, sent_[received_]));
      ++received_;
    });
    if (pumped) return;
    failed_ = true;  // a channel that reported a protocol error is dropped
    if (forged_) return;
    // Honest frames fail only on a message over the limit: the next one due.
    const bool over_limit = pumped.error().what.find("exceeds") != std::string::npos && received_ < sent_.size() &&
                            sent_[received_].payload.size() > limit_;
    if (!over_limit) std::fprintf(stderr, "protocol error on honest frames: %s\n", pumped.error().what.c_str());
    FUZZ_CHECK(over_limit);
  }

  void scribble() {
    const std::uint64_t offset = in_.integer<std::uint16_t>();
    const std::string_view bytes = in_.bytes(in_.byte() % 32);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      ring_.data[(offset + i) & (ring_bytes_ - 1)] = static_cast<std::byte>(bytes[i]);
    }
    forged_ = true;
  }

  void forge() {
    const std::uint8_t how = in_.byte();
    const auto value = in_.integer<std::uint64_t>();
    auto& position = ring_.control.write_position;
    if ((how & 1) != 0) {
      position.store(value);
    } else {
      position.store(position.load() + value % (2 * std::uint64_t{ring_bytes_} + 1) - ring_bytes_);
    }
    forged_ = true;
  }

  Channel& sender_;
  Channel& receiver_;
  Inbound ring_;
  std::uint32_t ring_bytes_;
  fuzz::Input& in_;
  std::vector<Message> sent_;
  std::size_t received_ = 0;
  std::uint64_t limit_ = std::uint64_t{1} << 30;
  bool forged_ = false;
  bool failed_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  const std::uint8_t mode = in.byte();
  const bool service_sends = (mode & 1) != 0;
  const std::uint32_t ring_bytes = (mode & 4) != 0 ? 8192 : 4096;
  auto ends = open_channel(ring_bytes);
  FUZZ_CHECK(ends.has_value());
  Channel& sender = service_sends ? ends->service : ends->addin;
  Channel& receiver = service_sends ? ends->addin : ends->service;
  if ((mode & 2) != 0) {
    raw(receiver, !service_sends, ring_bytes, in);
  } else {
    Operations(sender, receiver, !service_sends, ring_bytes, in).run();
  }
  return 0;
}
