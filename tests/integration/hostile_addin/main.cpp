// hostile-addin: attaches to a route as the real add-in does (RegistryClient::attach + Channel::open), then
// breaks the protocol in a chosen way, writing into its own channel's memory (and, for one class, the
// registry) directly where the Channel API would not let it. The bad add-in of
// tests/integration/hostile_addin_test.cpp.
//
// One run tries every input of one class. Each input: attach, wait (up to 2 s) for a request to be handed
// over, send `taken` for it on even inputs, misbehave, then wait until the service drops the channel (its
// name leaves /dev/shm) or, if it does not within --drop-wait-ms, detach cleanly ("kept").
//
// Output, one line per input, then a summary:
//   input class=<c> n=<i> name=<name> request=<id|none> taken=<0|1> frames=<k> outcome=<dropped|kept> ms=<t>
//   summary class=<c> inputs=<n> dropped=<d> kept=<k> frames=<f>
// Exit codes: 0 done; 2 usage; 3 attaching failed (the reason is printed).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hserver/common/envelope.hpp"
#include "hserver/common/platform/doorbell.hpp"
#include "hserver/common/platform/process.hpp"
#include "hserver/common/platform/shared_memory.hpp"
#include "hserver/common/shm/channel.hpp"
#include "hserver/common/shm/registry.hpp"

namespace {

using namespace std::chrono_literals;
using namespace hserver;
using Clock = std::chrono::steady_clock;

constexpr int kExitUsage = 2;
constexpr int kExitAttachFailed = 3;

struct Options {
  std::optional<std::uint16_t> port;
  std::string route;
  std::string cls;
  std::string only;  ///< run just the input of this name
  std::chrono::milliseconds drop_wait{3000};
  std::uint64_t seed = 1;
};

bool exists(const std::string& shm_name) {
  struct stat st {};
  return ::stat(("/dev/shm/" + shm_name).c_str(), &st) == 0;
}

std::size_t count_channels(const std::string& prefix) {
  std::size_t n = 0;
  if (DIR* dir = ::opendir("/dev/shm")) {
    const std::string start = prefix + ".ch.";
    while (const dirent* e = ::readdir(dir)) {
      if (std::strncmp(e->d_name, start.c_str(), start.size()) == 0) ++n;
    }
    ::closedir(dir);
  }
  return n;
}

/// The add-in's end of the response ring, written by hand: positions, lengths, alignment as we please.
class RawWriter {
 public:
  explicit RawWriter(shm::ChannelHeader& h)
      : control_(h.response_ring),
        data_(reinterpret_cast<std::byte*>(&h) + h.response_ring.data_offset),
        capacity_(h.response_ring.capacity),
        position_(h.response_ring.write_position.load(std::memory_order_relaxed)) {}

  std::uint64_t capacity() const { return capacity_; }
  std::uint64_t position() const { return position_; }
  std::uint64_t free_bytes() const {
    return capacity_ - (position_ - control_.read_position.load(std::memory_order_acquire));
  }
  bool drained() const { return control_.read_position.load(std::memory_order_acquire) == position_; }

  void put(std::uint64_t at, const void* source, std::uint64_t bytes) {
    if (bytes == 0) return;
    const std::uint64_t offset = at & (capacity_ - 1);
    const std::uint64_t first = std::min(bytes, capacity_ - offset);
    std::memcpy(data_ + offset, source, static_cast<std::size_t>(first));
    std::memcpy(data_, static_cast<const std::byte*>(source) + first, static_cast<std::size_t>(bytes - first));
  }
  /// Writes a frame at the current position and moves past it: padded as the protocol says, or by `advance`.
  void frame(std::uint16_t type, std::uint16_t flags, std::uint64_t id, const std::vector<std::byte>& payload,
             std::optional<std::uint64_t> advance = std::nullopt, std::uint32_t claimed_bytes = 0xFFFFFFFFu) {
    shm::FrameHeader header{};
    header.payload_bytes = claimed_bytes != 0xFFFFFFFFu ? claimed_bytes : static_cast<std::uint32_t>(payload.size());
    header.type = type;
    header.flags = flags;
    header.message_id = id;
    put(position_, &header, sizeof header);
    put(position_ + sizeof header, payload.data(), payload.size());
    position_ += advance ? *advance : shm::frame_bytes(payload.size());
  }
  void publish() { control_.write_position.store(position_, std::memory_order_release); }
  void publish_at(std::uint64_t position) { control_.write_position.store(position, std::memory_order_release); }

 private:
  shm::RingControl& control_;
  std::byte* data_;
  std::uint64_t capacity_;
  std::uint64_t position_;
};

struct Attached {
  shm::Claim claim;
  std::unique_ptr<shm::Channel> channel;
  shm::ChannelHeader* header = nullptr;
  std::unique_ptr<RawWriter> writer;
  std::unique_ptr<platform::Doorbell> service_bell;
};

/// One input's state, passed to its action.
struct Ctx {
  Ctx(Attached& attached, std::mt19937_64& random, const std::string& shm_prefix,
      platform::SharedMemory& registry_memory, const shm::ProcessStamp& service_stamp)
      : a(attached), rng(random), prefix(shm_prefix), registry(registry_memory), service(service_stamp) {}
  Attached& a;
  std::optional<RequestEnvelope> request;
  std::mt19937_64& rng;
  const std::string& prefix;
  platform::SharedMemory& registry;
  shm::ProcessStamp service{};
  std::uint64_t frames = 0;
  bool beat_while_waiting = true;  // false: the input is "went silent"
  bool channel_trashed = false;    // true: the header is garbage, our own Channel must not be used any more

  std::uint64_t id_or(std::uint64_t fallback) const { return request ? request->id : fallback; }
  void ring() { a.service_bell->ring(); }
  bool gone() const { return !exists(a.claim.channel_name); }
  std::vector<std::byte> random_bytes(std::size_t n) {
    std::vector<std::byte> out(n);
    for (auto& b : out) b = static_cast<std::byte>(rng());
    return out;
  }
  std::vector<std::byte> response(std::uint64_t id, const std::string& body, std::uint16_t status = 200) {
    ResponseEnvelope r;
    r.id = id;
    r.status = status;
    r.body = body;
    std::vector<std::byte> out;
    encode(r, out);
    return out;
  }
  /// One frame, published and rung.
  void send(std::uint16_t type, std::uint16_t flags, std::uint64_t id, const std::vector<std::byte>& payload) {
    a.writer->frame(type, flags, id, payload);
    a.writer->publish();
    ++frames;
    ring();
  }
  /// A valid echo answer (as the echo handler answers a legacy request) to the request in hand.
  void answer_echo() {
    if (!request) return;
    send(static_cast<std::uint16_t>(shm::MessageType::response), shm::kFrameFirst | shm::kFrameLast, request->id,
         response(request->id, request->body));
  }
  /// Waits (bounded) until the ring has room for `bytes`; false when the channel went away meanwhile.
  bool wait_room(std::uint64_t bytes, Clock::time_point deadline) {
    for (std::uint32_t spins = 0; a.writer->free_bytes() < bytes; ++spins) {
      ring();
      if ((spins & 63) == 63) {
        if (gone() || Clock::now() > deadline) return false;
        a.channel->beat();
        std::this_thread::sleep_for(100us);
      } else {
        std::this_thread::yield();
      }
    }
    return true;
  }
  /// `count` frames as fast as the service takes them: as many as fit, published at once; stops early when
  /// the channel goes away. `one` writes one frame of at most 64 bytes.
  void flood(std::uint64_t count, const std::function<void(std::uint64_t)>& one) {
    const auto deadline = Clock::now() + 20s;
    for (std::uint64_t i = 0; i < count;) {
      if (!wait_room(64, deadline)) return;
      for (std::uint64_t room = a.writer->free_bytes(); room >= 64 && i < count; room -= 64, ++i, ++frames) one(i);
      a.writer->publish();
      ring();
      a.channel->beat();
    }
  }
  /// Waits until the service has read everything published (bounded).
  void wait_drained() {
    const auto deadline = Clock::now() + 2s;
    while (!a.writer->drained() && !gone() && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  }
  shm::RegistryHeader& registry_header() { return *static_cast<shm::RegistryHeader*>(registry.data()); }
  /// Rings the registry's attach bell as an add-in does after claiming.
  void ring_attach() {
    auto bell = platform::Doorbell::open(registry_header().attach_bell, shm::attach_bell_name(prefix));
    if (bell) bell->ring();
  }
};

struct Input {
  std::string name;
  bool want_request = true;
  std::function<void(Ctx&)> act;
};

constexpr auto kResponse = static_cast<std::uint16_t>(shm::MessageType::response);
constexpr auto kTaken = static_cast<std::uint16_t>(shm::MessageType::taken);
constexpr std::uint16_t kWhole = shm::kFrameFirst | shm::kFrameLast;

std::vector<Input> inputs_of(const std::string& cls) {
  std::vector<Input> in;
  if (cls == "frame-length") {
    in.push_back({"claims-ring-capacity", true, [](Ctx& c) {
                    c.a.writer->frame(kResponse, kWhole, c.id_or(1), {}, sizeof(shm::FrameHeader),
                                      static_cast<std::uint32_t>(c.a.writer->capacity()));
                    c.a.writer->publish();
                    ++c.frames;
                    c.ring();
                  }});
    in.push_back({"claims-4-gib", true, [](Ctx& c) {
                    c.a.writer->frame(kResponse, kWhole, c.id_or(1), {}, sizeof(shm::FrameHeader), 0xFFFFFFF0u);
                    c.a.writer->publish();
                    ++c.frames;
                    c.ring();
                  }});
    in.push_back({"longer-than-the-full-ring", true, [](Ctx& c) {
                    const std::uint64_t cap = c.a.writer->capacity();
                    auto garbage = c.random_bytes(static_cast<std::size_t>(cap - sizeof(shm::FrameHeader)));
                    c.a.writer->frame(kResponse, kWhole, c.id_or(1), garbage, cap, static_cast<std::uint32_t>(cap));
                    c.a.writer->publish();
                    ++c.frames;
                    c.ring();
                  }});
    in.push_back({"fewer-bytes-published-than-claimed", true, [](Ctx& c) {
                    c.a.writer->frame(kResponse, kWhole, c.id_or(1), c.random_bytes(8), sizeof(shm::FrameHeader) + 8,
                                      100);
                    c.a.writer->publish();
                    ++c.frames;
                    c.ring();
                  }});
    in.push_back({"zero-length-answer", true, [](Ctx& c) { c.send(kResponse, kWhole, c.id_or(1), {}); }});
    in.push_back({"zero-length-first-then-foreign-fragment", true, [](Ctx& c) {
                    c.send(kResponse, shm::kFrameFirst, c.id_or(1), {});
                    c.send(kResponse, shm::kFrameLast, c.id_or(1) + 7, c.random_bytes(8));
                  }});
    in.push_back({"unpadded-frame", true, [](Ctx& c) {
                    c.a.writer->frame(kTaken, kWhole, c.id_or(1), c.random_bytes(5), sizeof(shm::FrameHeader) + 5);
                    c.a.writer->publish();
                    ++c.frames;
                    c.ring();
                  }});
    in.push_back({"next-frame-misaligned", true, [](Ctx& c) {
                    // A valid `taken` whose padding is left out, then a frame right behind it: the service reads
                    // the second header 3 bytes late.
                    c.a.writer->frame(kTaken, kWhole, c.id_or(1), c.random_bytes(5), sizeof(shm::FrameHeader) + 5);
                    c.a.writer->frame(kTaken, kWhole, c.id_or(1), c.random_bytes(8));
                    c.a.writer->publish();
                    c.frames += 2;
                    c.ring();
                  }});
    in.push_back({"fragment-without-first", true,
                  [](Ctx& c) { c.send(kResponse, shm::kFrameLast, c.id_or(1), c.random_bytes(16)); }});
    in.push_back({"new-message-inside-another", true, [](Ctx& c) {
                    c.send(kResponse, shm::kFrameFirst, c.id_or(1), c.random_bytes(16));
                    c.send(kResponse, shm::kFrameFirst, c.id_or(1), c.random_bytes(16));
                  }});
    in.push_back({"message-over-the-size-limit", true, [](Ctx& c) {
                    // Fragments of a quarter ring, without end: the service stops at its message limit.
                    const std::uint64_t chunk = c.a.writer->capacity() / 4;
                    const auto garbage = c.random_bytes(static_cast<std::size_t>(chunk));
                    const auto deadline = Clock::now() + 30s;
                    for (std::uint64_t i = 0; i < 4096; ++i) {
                      if (!c.wait_room(shm::frame_bytes(chunk), deadline)) return;
                      c.a.writer->frame(kResponse, static_cast<std::uint16_t>(i == 0 ? shm::kFrameFirst : 0),
                                        c.id_or(1), garbage);
                      c.a.writer->publish();
                      ++c.frames;
                      c.ring();
                      c.a.channel->beat();  // alive, only talking too much: the drop must be for the size
                    }
                  }});
  } else if (cls == "unknown-type") {
    for (const std::uint16_t type :
         std::initializer_list<std::uint16_t>{0, 5, 77, 0x7FFF, 0xFFFF, 1 /* request */, 3 /* cancel */}) {
      const std::string name = type == 1   ? "type-1-request-from-the-add-in"
                               : type == 3 ? "type-3-cancel-from-the-add-in"
                                           : "type-" + std::to_string(type);
      in.push_back({name, true, [type](Ctx& c) { c.send(type, kWhole, c.id_or(1), c.random_bytes(8)); }});
    }
  } else if (cls == "bad-id") {
    in.push_back({"answer-to-id-0", true, [](Ctx& c) { c.send(kResponse, kWhole, 0, c.response(0, "HIJACK")); }});
    in.push_back({"answer-to-id-max", true,
                  [](Ctx& c) { c.send(kResponse, kWhole, UINT64_MAX, c.response(UINT64_MAX, "HIJACK")); }});
    in.push_back({"answer-to-a-future-id", true, [](Ctx& c) {
                    const std::uint64_t id = c.id_or(1) + 1'000'000;
                    c.send(kResponse, kWhole, id, c.response(id, "HIJACK"));
                  }});
    in.push_back({"answer-to-another-add-ins-request", true, [](Ctx& c) {
                    const std::uint64_t id = c.id_or(2) - 1;  // ids are sequential: most likely the other host's
                    c.send(kResponse, kWhole, id, c.response(id, "HIJACK"));
                  }});
    in.push_back({"answer-twice", true, [](Ctx& c) {
                    c.answer_echo();
                    c.send(kResponse, kWhole, c.id_or(1), c.response(c.id_or(1), "HIJACK"));
                  }});
    in.push_back(
        {"taken-for-a-request-never-sent", true, [](Ctx& c) { c.send(kTaken, kWhole, c.id_or(1) + 12345, {}); }});
  } else if (cls == "flood") {
    in.push_back({"100k-answers-to-unknown-ids", true, [](Ctx& c) {
                    c.flood(100'000,
                            [&](std::uint64_t i) { c.a.writer->frame(kResponse, kWhole, 1'000'000'000 + i, {}); });
                  }});
    in.push_back({"100k-taken-for-the-request-in-hand-then-an-answer", true, [](Ctx& c) {
                    if (!c.request) return;
                    c.flood(100'000, [&](std::uint64_t) { c.a.writer->frame(kTaken, kWhole, c.request->id, {}); });
                    c.wait_drained();
                    c.answer_echo();
                  }});
    in.push_back({"100k-fragments-of-one-answer", true, [](Ctx& c) {
                    if (!c.request) return;
                    const auto eight = c.random_bytes(8);
                    c.flood(100'000, [&](std::uint64_t i) {
                      const int flags = i == 0 ? shm::kFrameFirst : i == 99'999 ? shm::kFrameLast : 0;
                      c.a.writer->frame(kResponse, static_cast<std::uint16_t>(flags), c.request->id, eight);
                    });
                  }});
    in.push_back({"100k-empty-answers-to-the-request-in-hand", true, [](Ctx& c) {
                    c.flood(100'000, [&](std::uint64_t) { c.a.writer->frame(kResponse, kWhole, c.id_or(1), {}); });
                  }});
  } else if (cls == "garbage-header") {
    in.push_back({"random-write-position", true, [](Ctx& c) {
                    c.a.writer->publish_at(c.rng());
                    c.ring();
                  }});
    in.push_back({"write-position-past-capacity", true, [](Ctx& c) {
                    c.a.writer->publish_at(c.a.writer->position() + c.a.writer->capacity() + 8);
                    c.ring();
                  }});
    in.push_back({"write-position-backwards", true, [](Ctx& c) {
                    c.send(kTaken, kWhole, c.id_or(1), {});
                    c.wait_drained();
                    c.a.writer->publish_at(c.a.writer->position() - 8);
                    c.ring();
                  }});
    in.push_back({"request-ring-read-position-random", true, [](Ctx& c) {
                    // Found when the service next writes to us: the answer makes it send another request.
                    c.a.header->request_ring.read_position.store(c.rng());
                    c.answer_echo();
                  }});
    in.push_back({"whole-header-random", true, [](Ctx& c) {
                    auto* from = reinterpret_cast<std::byte*>(c.a.header) + sizeof(shm::SegmentPrefix);
                    const auto garbage = c.random_bytes(sizeof(shm::ChannelHeader) - sizeof(shm::SegmentPrefix));
                    std::memcpy(from, garbage.data(), garbage.size());
                    c.channel_trashed = true;
                    c.beat_while_waiting = false;
                    ++c.frames;
                  }});
    in.push_back({"ring-full-of-garbage", true, [](Ctx& c) {
                    const auto garbage = c.random_bytes(static_cast<std::size_t>(c.a.writer->capacity()));
                    c.a.writer->put(c.a.writer->position(), garbage.data(), garbage.size());
                    c.a.writer->publish_at(c.a.writer->position() + c.a.writer->capacity());
                    ++c.frames;
                    c.ring();
                  }});
  } else if (cls == "silent") {
    in.push_back({"heartbeat-stops", true, [](Ctx& c) { c.beat_while_waiting = false; }});
    in.push_back({"heartbeat-stops-again", true, [](Ctx& c) { c.beat_while_waiting = false; }});
    in.push_back({"heartbeat-far-in-the-future-then-stops", true, [](Ctx& c) {
                    c.a.header->addin_heartbeat_ms.store(UINT64_MAX - 1);
                    c.beat_while_waiting = false;
                  }});
    in.push_back({"heartbeat-zero-then-stops", true, [](Ctx& c) {
                    c.a.header->addin_heartbeat_ms.store(0);
                    c.beat_while_waiting = false;
                  }});
    in.push_back({"stamp-of-a-live-process-and-future-heartbeat", true, [](Ctx& c) {
                    c.a.header->addin = c.service;  // the service's own stamp: alive as long as it is
                    c.a.header->addin_heartbeat_ms.store(shm::monotonic_ms() + 3'600'000);
                    c.beat_while_waiting = false;
                  }});
  } else if (cls == "valid-then-garbage") {
    in.push_back({"answer-then-random-frame", true, [](Ctx& c) {
                    c.answer_echo();
                    const auto garbage = c.random_bytes(64);
                    c.a.writer->put(c.a.writer->position(), garbage.data(), garbage.size());
                    c.a.writer->publish_at(c.a.writer->position() + 64);
                    ++c.frames;
                    c.ring();
                  }});
    in.push_back({"answer-then-unknown-type", true, [](Ctx& c) {
                    c.answer_echo();
                    c.send(9, kWhole, c.id_or(1), c.random_bytes(8));
                  }});
    in.push_back({"answer-then-overlong-frame", true, [](Ctx& c) {
                    c.answer_echo();
                    c.a.writer->frame(kResponse, kWhole, c.id_or(1), {}, sizeof(shm::FrameHeader), 1u << 20);
                    c.a.writer->publish();
                    ++c.frames;
                    c.ring();
                  }});
  } else if (cls == "bell-storm") {
    in.push_back({"1m-rings-of-the-service-bell-then-an-answer", true, [](Ctx& c) {
                    for (std::uint32_t i = 0; i < 1'000'000; ++i) {
                      c.ring();
                      if (i % 10'000 == 0) c.a.channel->beat();
                    }
                    c.frames += 1'000'000;
                    c.answer_echo();
                  }});
    in.push_back({"garbage-bell-words-then-an-answer", true, [](Ctx& c) {
                    c.a.header->service_bell.waiters.store(0xFFFFFFFFu);
                    c.a.header->service_bell.sequence.store(static_cast<std::uint32_t>(c.rng()));
                    c.a.header->addin_bell.waiters.store(0xFFFFFFFFu);
                    ++c.frames;
                    c.answer_echo();
                  }});
  } else if (cls == "registry") {
    // Any add-in can write the registry (it claims slots there): what it writes must not be believed.
    in.push_back({"route-count-4g", false, [](Ctx& c) {
                    auto& h = c.registry_header();
                    const std::uint32_t saved = h.route_count;
                    h.route_count = 0xFFFFFFFFu;
                    c.ring_attach();
                    std::this_thread::sleep_for(300ms);  // a few supervisor rounds
                    h.route_count = saved;
                    ++c.frames;
                  }});
    in.push_back({"slot-count-4g", false, [](Ctx& c) {
                    auto& route = c.registry_header().routes[c.a.claim.route_index];
                    const std::uint32_t saved = route.slot_count;
                    route.slot_count = 0xFFFFFFFFu;
                    c.ring_attach();
                    std::this_thread::sleep_for(300ms);
                    route.slot_count = saved;
                    ++c.frames;
                  }});
    in.push_back({"own-slot-claimed-again-1000-times", false, [](Ctx& c) {
                    auto& slot = c.registry_header().routes[c.a.claim.route_index].slots[c.a.claim.slot_index];
                    std::size_t most = 0;
                    for (int i = 0; i < 1000; ++i) {
                      slot.state.store(static_cast<std::uint32_t>(shm::SlotState::claimed));
                      c.ring_attach();
                      ++c.frames;
                      if (i % 50 == 0) {
                        c.a.channel->beat();
                        most = std::max(most, count_channels(c.prefix));
                      }
                      std::this_thread::sleep_for(200us);
                    }
                    std::this_thread::sleep_for(300ms);
                    most = std::max(most, count_channels(c.prefix));
                    std::cout << "note: at most " << most << " channel(s) of the prefix existed meanwhile" << std::endl;
                  }});
    in.push_back({"10k-version-mismatch-reports", false, [](Ctx& c) {
                    auto& h = c.registry_header();
                    for (int i = 0; i < 10'000; ++i) {
                      h.mismatch.addin_layout_version = 99;
                      h.mismatch.addin_pid = static_cast<std::uint32_t>(::getpid());
                      h.mismatch.count.fetch_add(1);
                      c.ring_attach();
                      ++c.frames;
                      if (i % 1000 == 0) c.a.channel->beat();
                      std::this_thread::sleep_for(50us);
                    }
                  }});
  } else if (cls == "endless-flood") {
    // Frames of 16 KiB whose payload is never written (whatever the ring holds): a header costs us 16
    // bytes, the service a 16 KiB copy, so the ring never runs dry while we go on.
    in.push_back({"16k-taken-frames-for-the-request-in-hand-for-30s", true, [](Ctx& c) {
                    if (!c.request) return;
                    constexpr std::uint32_t kPayload = 16 * 1024;
                    const std::uint64_t bytes = shm::frame_bytes(kPayload);
                    std::cout << "flooding" << std::endl;
                    const auto until = Clock::now() + 30s;
                    for (std::uint64_t spins = 0; Clock::now() < until; ++spins) {
                      std::uint64_t written = 0;
                      for (std::uint64_t room = c.a.writer->free_bytes(); room >= bytes; room -= bytes, ++written) {
                        c.a.writer->frame(kTaken, kWhole, c.request->id, {}, bytes, kPayload);
                      }
                      if (written != 0) {
                        c.a.writer->publish();
                        c.frames += written;
                        c.ring();
                      }
                      if (spins % 1024 == 0) {
                        c.a.channel->beat();
                        if (c.gone() || !platform::is_alive(c.service)) break;
                      }
                    }
                  }});
  }
  return in;
}

Expected<Attached, std::string> attach(shm::RegistryClient& registry, const Options& o) {
  auto claim = registry.attach(o.port, o.route, 0, 5s);
  if (!claim) return Unexpected{claim.error()};
  auto channel = shm::Channel::open(claim->channel_name);
  if (!channel) return Unexpected{channel.error()};
  Attached a;
  a.claim = *claim;
  a.channel = std::make_unique<shm::Channel>(std::move(*channel));
  a.header = &a.channel->header();
  a.writer = std::make_unique<RawWriter>(*a.header);
  auto bell = platform::Doorbell::open(a.header->service_bell, a.claim.channel_name + ".s");
  if (!bell) return Unexpected{bell.error()};
  a.service_bell = std::make_unique<platform::Doorbell>(std::move(*bell));
  a.channel->beat();
  a.channel->set_state(shm::EndState::attached);
  return a;
}

/// Reads what the service sends until a request arrives (bounded), beating meanwhile.
std::optional<RequestEnvelope> wait_request(Attached& a, std::chrono::milliseconds timeout) {
  std::optional<RequestEnvelope> got;
  const auto deadline = Clock::now() + timeout;
  while (!got && Clock::now() < deadline) {
    const std::uint32_t seen = a.channel->bell_sequence();
    auto progress = a.channel->pump([&](shm::Message&& m) {
      if (m.type != shm::MessageType::request || got) return;
      if (auto r = decode_request(m.payload)) got = std::move(*r);
    });
    if (!progress) return std::nullopt;
    a.channel->beat();
    if (!got) a.channel->wait(seen, 20ms);
  }
  return got;
}

int usage(const char* why) {
  std::cerr
      << "hostile-addin: " << why
      << "\nusage: hostile-addin (--port N | --route NAME) --class C [--only INPUT] [--drop-wait-ms N] [--seed N]\n"
         "classes: frame-length unknown-type bad-id flood garbage-header silent valid-then-garbage bell-storm "
         "registry endless-flood\n";
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return usage(("missing value of " + arg).c_str());
    const std::string value = argv[++i];
    try {
      if (arg == "--port") {
        o.port = static_cast<std::uint16_t>(std::stoul(value));
      } else if (arg == "--route") {
        o.route = value;
      } else if (arg == "--class") {
        o.cls = value;
      } else if (arg == "--only") {
        o.only = value;
      } else if (arg == "--drop-wait-ms") {
        o.drop_wait = std::chrono::milliseconds{std::stol(value)};
      } else if (arg == "--seed") {
        o.seed = std::stoull(value);
      } else {
        return usage(("unknown option " + arg).c_str());
      }
    } catch (const std::exception&) {
      return usage(("bad value of " + arg).c_str());
    }
  }
  if (!o.port && o.route.empty()) return usage("--port or --route is required");
  auto inputs = inputs_of(o.cls);
  if (inputs.empty()) return usage("unknown --class");
  if (!o.only.empty()) {
    std::erase_if(inputs, [&](const Input& input) { return input.name != o.only; });
    if (inputs.empty()) return usage("no input of that name in the class");
  }

  const std::string prefix = shm::default_prefix();
  auto registry = shm::RegistryClient::open(prefix);
  if (!registry) {
    std::cout << "attaching failed: " << registry.error() << std::endl;
    return kExitAttachFailed;
  }
  auto registry_memory = platform::SharedMemory::open(shm::registry_name(prefix));
  if (!registry_memory) {
    std::cout << "attaching failed: " << registry_memory.error() << std::endl;
    return kExitAttachFailed;
  }
  std::mt19937_64 rng(o.seed);
  std::uint64_t dropped = 0, kept = 0, frames = 0;
  for (std::size_t n = 0; n < inputs.size(); ++n) {
    const Input& input = inputs[n];
    auto attached = attach(*registry, o);
    if (!attached) {
      std::cout << "attaching failed: " << attached.error() << std::endl;
      return kExitAttachFailed;
    }
    Attached& a = *attached;
    Ctx c(a, rng, prefix, *registry_memory, registry->service());
    if (input.want_request) c.request = wait_request(a, 2s);
    const bool taken = c.request && n % 2 == 0;
    if (taken) c.send(kTaken, kWhole, c.request->id, {});
    c.frames = 0;
    const auto started = Clock::now();
    input.act(c);
    frames += c.frames;

    // Dropped by the service: the channel's name leaves /dev/shm (reaped). Else detach cleanly.
    bool gone = false;
    const auto deadline = Clock::now() + o.drop_wait;
    while (!(gone = c.gone()) && Clock::now() < deadline) {
      if (c.beat_while_waiting && !c.channel_trashed) a.channel->beat();
      std::this_thread::sleep_for(5ms);
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    if (!gone) {
      if (!c.channel_trashed) a.channel->set_state(shm::EndState::detached);
      const auto detach_deadline = Clock::now() + 5s;
      while (!c.gone() && Clock::now() < detach_deadline) std::this_thread::sleep_for(5ms);
    }
    (gone ? dropped : kept) += 1;
    std::cout << "input class=" << o.cls << " n=" << n << " name=" << input.name
              << " request=" << (c.request ? std::to_string(c.request->id) : std::string("none"))
              << " taken=" << (taken ? 1 : 0) << " frames=" << c.frames << " outcome=" << (gone ? "dropped" : "kept")
              << " ms=" << ms << std::endl;
  }
  std::cout << "summary class=" << o.cls << " inputs=" << inputs.size() << " dropped=" << dropped << " kept=" << kept
            << " frames=" << frames << std::endl;
  return 0;
}
