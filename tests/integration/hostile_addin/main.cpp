// hostile-addin: attaches to a route as the real add-in does (shm::attach: the attach socket and a sealed
// memfd), then breaks the protocol in a chosen way, writing into its own channel's memory directly where
// the Channel API would not let it, shrinking that memory, or misusing the attach socket. The bad add-in
// of tests/integration/hostile_addin_test.cpp.
//
// One run tries every input of one class. Each input: attach, wait (up to 2 s) for a request to be handed
// over, send `taken` for it on even inputs, misbehave, then wait until the service drops the channel (it
// closes the attach connection once it has let the add-in go) or, if it does not within --drop-wait-ms,
// detach cleanly ("kept").
//
// Output, one line per input, then a summary:
//   input class=<c> n=<i> name=<name> request=<id|none> taken=<0|1> frames=<k> outcome=<dropped|kept> ms=<t>
//   summary class=<c> inputs=<n> dropped=<d> kept=<k> frames=<f>
// Exit codes: 0 done; 2 usage; 3 attaching failed (the reason is printed).
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

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
#include "hserver/common/platform/unix_socket.hpp"
#include "hserver/common/shm/attach.hpp"
#include "hserver/common/shm/channel.hpp"

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

/// True once the service has closed our attach connection: it let us go and reaped the channel.
bool closed_by_service(int connection) {
  pollfd waiting{connection, POLLIN, 0};
  if (::poll(&waiting, 1, 0) <= 0) return false;
  char byte = 0;
  return ::recv(connection, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/// A raw connection to the attach socket, for the inputs that misuse it.
platform::UniqueFd connect_raw() {
  const std::string path = shm::default_attach_socket(shm::default_prefix());
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), std::min(path.size(), sizeof address.sun_path - 1));
  platform::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) return {};
  return fd;
}

shm::AttachHello hello_for(const std::string& route) {
  shm::AttachHello hello{};
  hello.magic = shm::kMagic;
  hello.layout_version = shm::kLayoutVersion;
  hello.bytes = sizeof hello;
  std::memcpy(hello.route_name, route.data(), std::min(route.size(), sizeof hello.route_name - 1));
  return hello;
}

/// Sends `hello` on a new connection and returns the status of the reply (-1: none) and its text.
std::pair<int, std::string> ask(const shm::AttachHello& hello, std::chrono::milliseconds timeout) {
  auto fd = connect_raw();
  if (!fd || !platform::send_with_descriptor(fd.get(), &hello, sizeof hello, -1)) return {-1, {}};
  shm::AttachReply reply{};
  if (!platform::receive_exactly(fd.get(), &reply, sizeof reply, timeout)) return {-1, {}};
  std::string text(std::min(reply.text_bytes, shm::kMaxAttachText), '\0');
  if (!text.empty() && !platform::receive_exactly(fd.get(), text.data(), text.size(), timeout)) text.clear();
  return {static_cast<int>(reply.status), text};
}

/// The add-in's end of the response ring, written by hand: positions, lengths, alignment as we please.
class RawWriter {
 public:
  RawWriter(shm::ChannelHeader& h, std::uint32_t ring_bytes)
      : control_(h.response_ring),
        data_(reinterpret_cast<std::byte*>(&h) + sizeof(shm::ChannelHeader) + ring_bytes),
        capacity_(ring_bytes),
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
  shm::Attachment attachment;
  shm::Channel* channel = nullptr;
  shm::ChannelHeader* header = nullptr;
  std::unique_ptr<RawWriter> writer;
  std::unique_ptr<platform::Doorbell> service_bell;
};

/// One input's state, passed to its action.
struct Ctx {
  Ctx(Attached& attached, std::mt19937_64& random, const shm::ProcessStamp& service_stamp)
      : a(attached), rng(random), service(service_stamp) {}
  Attached& a;
  std::optional<RequestEnvelope> request;
  std::mt19937_64& rng;
  shm::ProcessStamp service{};
  std::uint64_t frames = 0;
  bool beat_while_waiting = true;  // false: the input is "went silent"
  bool channel_trashed = false;    // true: the header is garbage, our own Channel must not be used any more

  std::uint64_t id_or(std::uint64_t fallback) const { return request ? request->id : fallback; }
  void ring() { a.service_bell->ring(); }
  bool gone() const { return closed_by_service(a.attachment.connection); }
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
  } else if (cls == "attach-socket") {
    // Any member of the group can connect to the attach socket: what it sends there must not be believed,
    // nor hold up anybody else's attach.
    in.push_back({"20-silent-connections-then-a-hello", false, [](Ctx& c) {
                    std::vector<platform::UniqueFd> silent;
                    for (int i = 0; i < 20; ++i) silent.push_back(connect_raw());
                    const auto started = Clock::now();
                    const auto [status, text] = ask(hello_for("no-such-route"), 10s);
                    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
                    std::cout << "note: refusal status " << status << " in " << ms.count()
                              << " ms while 20 connections said nothing: " << text << std::endl;
                    c.frames += 21;
                  }});
    in.push_back({"200-garbage-hellos", false, [](Ctx& c) {
                    for (int i = 0; i < 200; ++i) {
                      auto fd = connect_raw();
                      const auto garbage = c.random_bytes(sizeof(shm::AttachHello));
                      (void)platform::send_with_descriptor(fd.get(), garbage.data(), garbage.size(), -1);
                      ++c.frames;
                    }
                  }});
    in.push_back({"1000-hellos-of-another-layout", false, [](Ctx& c) {
                    int mismatches = 0;
                    for (int i = 0; i < 1000; ++i) {
                      auto hello = hello_for("x");
                      hello.layout_version = 99;
                      if (ask(hello, 2s).first == static_cast<int>(shm::AttachStatus::version_mismatch)) ++mismatches;
                      ++c.frames;
                      if (i % 100 == 0) c.a.channel->beat();
                    }
                    std::cout << "note: " << mismatches << " of 1000 hellos of layout 99 answered version_mismatch"
                              << std::endl;
                  }});
    in.push_back({"hellos-cut-short-and-oversized", false, [](Ctx& c) {
                    for (int i = 0; i < 100; ++i) {
                      auto fd = connect_raw();
                      auto hello = hello_for("x");
                      if (i % 2 == 1) hello.bytes = 0xFFFFFFFFu;  // claims a hello of 4 GiB
                      (void)platform::send_with_descriptor(fd.get(), &hello, i % 2 == 0 ? 20 : sizeof hello, -1);
                      ++c.frames;
                    }
                  }});
  } else if (cls == "shrink") {
    // The channel's memory is the add-in's to write, but not to resize: a shrunk segment would kill the
    // service (and every other add-in's 1C process, were it shared) with SIGBUS at its next access.
    const auto report = [](const char* what, int result) {
      std::cout << "note: " << what << " = " << result << (result != 0 ? std::string(" ") + std::strerror(errno) : "")
                << std::endl;
    };
    in.push_back({"ftruncate-own-channel-to-zero-then-answer", true, [report](Ctx& c) {
                    report("ftruncate(channel, 0)", ::ftruncate(c.a.channel->memory().descriptor(), 0));
                    ++c.frames;
                    c.answer_echo();
                  }});
    in.push_back({"ftruncate-own-channel-to-4k-then-answer", true, [report](Ctx& c) {
                    report("ftruncate(channel, 4096)", ::ftruncate(c.a.channel->memory().descriptor(), 4096));
                    ++c.frames;
                    c.answer_echo();
                  }});
    in.push_back({"ftruncate-own-channel-larger-then-answer", true, [report](Ctx& c) {
                    report("ftruncate(channel, 1 GiB)", ::ftruncate(c.a.channel->memory().descriptor(), 1 << 30));
                    ++c.frames;
                    c.answer_echo();
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

Expected<Attached, std::string> attach(const Options& o) {
  auto attachment = shm::attach(o.port, o.route, 0, 5s);
  if (!attachment) return Unexpected{attachment.error()};
  Attached a;
  a.attachment = std::move(*attachment);
  a.channel = a.attachment.channel.get();
  a.header = &a.channel->header();
  a.writer = std::make_unique<RawWriter>(*a.header, a.channel->ring_bytes());
  auto bell = platform::Doorbell::open(a.header->service_bell, {});
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
         "attach-socket shrink endless-flood\n";
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

  std::mt19937_64 rng(o.seed);
  std::uint64_t dropped = 0, kept = 0, frames = 0;
  for (std::size_t n = 0; n < inputs.size(); ++n) {
    const Input& input = inputs[n];
    auto attached = attach(o);
    if (!attached) {
      std::cout << "attaching failed: " << attached.error() << std::endl;
      return kExitAttachFailed;
    }
    Attached& a = *attached;
    Ctx c(a, rng, a.attachment.service);
    if (input.want_request) c.request = wait_request(a, 2s);
    const bool taken = c.request && n % 2 == 0;
    if (taken) c.send(kTaken, kWhole, c.request->id, {});
    c.frames = 0;
    const auto started = Clock::now();
    input.act(c);
    frames += c.frames;

    // Dropped by the service: it closes the attach connection (reaped). Else detach cleanly.
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
