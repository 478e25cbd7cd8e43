// Writes the binary seeds of the fuzz corpora with the project's own encoders (envelope codec, ring
// writer), so that the fuzzers start from real payloads and frames. The text seeds (HTTP requests, paths,
// JSON) are kept by hand. Run by hand after a format change (see README.md):
//   hserver_fuzz_seeds tests/fuzz/corpus

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hserver/addin/native/native_api.hpp"
#include "hserver/common/envelope.hpp"
#include "hserver/common/shm/ring.hpp"

namespace {

using namespace hserver;
namespace fs = std::filesystem;

/// Little-endian fields in the order the fuzzers read them (fuzz_support.hpp, Input).
class Bytes {
 public:
  Bytes& byte(std::uint8_t b) {
    out_.push_back(static_cast<char>(b));
    return *this;
  }
  template <class T>
  Bytes& integer(T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i)
      byte(static_cast<std::uint8_t>(static_cast<std::uint64_t>(value) >> (8 * i)));
    return *this;
  }
  Bytes& raw(std::string_view bytes) {
    out_.append(bytes);
    return *this;
  }
  Bytes& raw(const std::vector<std::byte>& bytes) {
    for (const std::byte b : bytes) byte(static_cast<std::uint8_t>(b));
    return *this;
  }
  Bytes& text(std::string_view bytes) { return integer(static_cast<std::uint16_t>(bytes.size())).raw(bytes); }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

void write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream file(dir / name, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!file) {
    std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
    std::exit(1);
  }
}

std::vector<std::byte> encoded(const RequestEnvelope& request) {
  std::vector<std::byte> out;
  encode(request, out);
  return out;
}
std::vector<std::byte> encoded(const ResponseEnvelope& response) {
  std::vector<std::byte> out;
  encode(response, out);
  return out;
}

std::vector<RequestEnvelope> requests() {
  RequestEnvelope legacy;
  legacy.id = 1;
  legacy.mode = RouteMode::legacy;
  legacy.method = "GET";
  legacy.target = "/%D0%A1%D0%BE%D0%BE%D0%B1%D1%89%D0%B8%D1%82%D1%8C(1&&2)";
  legacy.remote_address = "127.0.0.1:53122";
  legacy.headers = {{"Host", "127.0.0.1:3188"}, {"User-Agent", "curl/7.88.1"}};
  legacy.body = "Сообщить(1+2)";

  RequestEnvelope http;
  http.id = 0x1234567890ULL;
  http.mode = RouteMode::http;
  http.method = "POST";
  http.target = "/api/orders?limit=10";
  http.remote_address = "[::1]:40000";
  http.headers = {{"Host", "localhost"}, {"Content-Type", "application/json"}, {"X-Tag", "a"}, {"X-Tag", "b"}};
  http.body = R"({"номер": 17, "сумма": 12.5})";

  RequestEnvelope empty;
  empty.mode = RouteMode::http;
  empty.method = "DELETE";
  empty.target = "/";
  return {legacy, http, empty};
}

std::vector<ResponseEnvelope> responses() {
  ResponseEnvelope text;
  text.id = 1;
  text.status = 200;
  text.body = "3";
  ResponseEnvelope json;
  json.id = 2;
  json.status = 201;
  json.headers = {
      {"Content-Type", "application/json"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}, {"Connection", "close"}};
  json.body = R"({"ok": true, "текст": "да"})";
  ResponseEnvelope no_content;
  no_content.id = 3;
  no_content.status = 204;
  no_content.body = "ignored";
  ResponseEnvelope bad;
  bad.id = 4;
  bad.status = 200;
  bad.headers = {{"X-Injected", "a\r\nSet-Cookie: evil=1"}, {"Bad Name", "x"}};
  ResponseEnvelope informational;
  informational.status = 101;
  informational.headers = {{"Upgrade", "websocket"}};
  ResponseEnvelope error;
  error.status = 502;
  error.body = "Error: worker died";
  return {text, json, no_content, bad, informational, error};
}

void envelope_seeds(const fs::path& corpus) {
  const fs::path codec = corpus / "envelope_codec";
  int n = 0;
  for (const auto& r : requests())
    write(codec, "request-" + std::to_string(n++) + ".bin", Bytes().raw(encoded(r)).str());
  n = 0;
  for (const auto& r : responses())
    write(codec, "response-" + std::to_string(n++) + ".bin", Bytes().raw(encoded(r)).str());

  const fs::path http = corpus / "http_response";
  n = 0;
  for (const auto& r : responses()) {
    // Context flags: bit 0 http route, bit 1 HTTP/1.0, bit 2 close, bit 3 HEAD.
    const std::uint8_t flags = static_cast<std::uint8_t>((n % 2 == 1 ? 1 : 0) | (n == 2 ? 8 : 0) | (n == 5 ? 6 : 0));
    write(http, "response-" + std::to_string(n++) + ".bin", Bytes().byte(flags).raw(encoded(r)).str());
  }
}

/// Ring contents as the real writer leaves them: the frames of `messages`, fragmented at `fragment` bytes.
std::string ring_bytes(std::uint32_t capacity, const std::vector<std::pair<shm::MessageType, std::string>>& messages,
                       std::size_t fragment) {
  shm::RingControl control{};
  control.capacity = capacity;
  std::vector<std::byte> data(capacity);
  shm::RingWriter writer(control, data.data(), capacity);
  std::uint64_t id = 1;
  for (const auto& [type, payload] : messages) {
    std::size_t offset = 0;
    do {
      const std::size_t chunk = std::min(fragment, payload.size() - offset);
      shm::FrameHeader header{};
      header.payload_bytes = static_cast<std::uint32_t>(chunk);
      header.type = static_cast<std::uint16_t>(type);
      header.flags = static_cast<std::uint16_t>((offset == 0 ? shm::kFrameFirst : 0) |
                                                (offset + chunk == payload.size() ? shm::kFrameLast : 0));
      header.message_id = id;
      writer.write(header, std::as_bytes(std::span(payload.data() + offset, chunk)));
      offset += chunk;
    } while (offset < payload.size());
    ++id;
  }
  const auto used = static_cast<std::size_t>(control.write_position.load());
  return std::string(reinterpret_cast<const char*>(data.data()), used);
}

std::string as_string(const std::vector<std::byte>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void channel_seeds(const fs::path& corpus) {
  const fs::path dir = corpus / "shm_channel";
  const std::string response = as_string(encoded(responses()[1]));
  const std::string request = as_string(encoded(requests()[1]));
  // Raw mode (bit 1): u32 limit (0: default), then the ring's bytes.
  write(dir, "raw-response.bin",
        Bytes()
            .byte(2)
            .integer<std::uint32_t>(0)
            .raw(ring_bytes(4096, {{shm::MessageType::taken, ""}, {shm::MessageType::response, response}}, 1024))
            .str());
  write(dir, "raw-fragments.bin",
        Bytes()
            .byte(2)
            .integer<std::uint32_t>(0)
            .raw(ring_bytes(4096, {{shm::MessageType::response, response}}, 24))
            .str());
  write(dir, "raw-request-to-addin.bin",
        Bytes()
            .byte(3)
            .integer<std::uint32_t>(100)
            .raw(ring_bytes(4096, {{shm::MessageType::request, request}, {shm::MessageType::cancel, ""}}, 64))
            .str());
  // Operations: 0 send (kind, id, u16 length, n given, bytes), 1 pump sender, 2 pump receiver, 3 scribble
  // (u16 offset, n, bytes), 4 forge (how, u64), 5 limit (u32).
  const auto send = [](Bytes& b, std::uint8_t kind, std::uint8_t id, std::string_view payload, std::uint16_t length) {
    b.byte(0)
        .byte(kind)
        .byte(id)
        .integer<std::uint16_t>(length)
        .byte(static_cast<std::uint8_t>(payload.size()))
        .raw(payload);
  };
  {
    Bytes b;
    b.byte(0);
    send(b, 1, 7, response.substr(0, 200), static_cast<std::uint16_t>(response.size()));
    send(b, 3, 7, "", 0);
    b.byte(1).byte(2);
    send(b, 0x11, 8, "x", 20000);  // Flush::now, many fragments
    b.byte(1).byte(2).byte(1).byte(2);
    write(dir, "ops-addin-sends.bin", b.str());
  }
  {
    Bytes b;
    b.byte(5);  // the service sends, 8 KiB rings
    send(b, 0, 1, request.substr(0, 200), static_cast<std::uint16_t>(request.size()));
    send(b, 2, 1, "", 0);
    b.byte(5).integer<std::uint32_t>(1000);
    send(b, 0, 2, "big", 5000);
    b.byte(1).byte(2).byte(1).byte(2);
    write(dir, "ops-service-sends-limit.bin", b.str());
  }
  {
    Bytes b;
    b.byte(0);
    send(b, 1, 9, "hello", 5);
    b.byte(1).byte(3).integer<std::uint16_t>(0).byte(4).raw(std::string("\xff\xff\xff\x7f", 4)).byte(2);
    write(dir, "ops-scribble.bin", b.str());
  }
  {
    Bytes b;
    b.byte(0);
    send(b, 1, 9, "hello", 5);
    b.byte(1).byte(4).byte(1).integer<std::uint64_t>(~std::uint64_t{0}).byte(2);
    write(dir, "ops-forged-position.bin", b.str());
  }
}

void ring_seeds(const fs::path& corpus) {
  const fs::path dir = corpus / "shm_ring";
  // capacity byte (32 << n), u64 start, then 0 write (u16 length, type, flags, bytes) / 1 read / 2 forge
  // (which, how, u64) / 3 read all.
  const auto frame = [](Bytes& b, std::uint16_t length, std::string_view bytes) {
    b.byte(0).integer<std::uint16_t>(length).byte(2).byte(3).raw(bytes.substr(0, length));
  };
  {
    Bytes b;
    b.byte(3).integer<std::uint64_t>(200);  // 256-byte ring, frames cross its end
    for (int i = 0; i < 6; ++i) {
      frame(b, 84, std::string(84, static_cast<char>('a' + i)));
      b.byte(1);
    }
    write(dir, "wrap.bin", b.str());
  }
  {
    Bytes b;
    b.byte(2).integer<std::uint64_t>(~std::uint64_t{0} - 40);  // positions wrap around 2^64
    frame(b, 20, "abcdefghijklmnopqrst");
    frame(b, 0, "");
    frame(b, 60, std::string(60, 'z'));
    b.byte(3);
    write(dir, "position-wrap.bin", b.str());
  }
  {
    Bytes b;
    b.byte(0).integer<std::uint64_t>(0);
    frame(b, 8, "12345678");
    frame(b, 8, "12345678");
    b.byte(2).byte(1).byte(1).integer<std::uint64_t>(1000).byte(3);
    write(dir, "forged.bin", b.str());
  }
}

void variant_seeds(const fs::path& corpus) {
  const fs::path dir = corpus / "native_variant";
  // u16 vt, flags (bit 0 null pointer, bit 1 refuse allocations), value, then the rest.
  const auto wide = [](std::u16string_view text) {
    Bytes b;
    b.integer<std::uint16_t>(static_cast<std::uint16_t>(text.size()));
    for (const char16_t u : text) b.integer<std::uint16_t>(u);
    return b.str();
  };
  write(dir, "pwstr.bin", Bytes().integer<TYPEVAR>(VTYPE_PWSTR).byte(0).raw(wide(u"Привет, мир 😀")).raw("tail").str());
  write(dir, "pwstr-lone-surrogate.bin",
        Bytes().integer<TYPEVAR>(VTYPE_PWSTR).byte(0).raw(wide(std::u16string(1, u'\xD800') + u"x")).str());
  write(dir, "pstr.bin", Bytes().integer<TYPEVAR>(VTYPE_PSTR).byte(0).text("Сообщить(1)").raw("\xD0\x9F").str());
  write(dir, "blob.bin", Bytes().integer<TYPEVAR>(VTYPE_BLOB).byte(2).text(std::string("\x00\xff\x10", 3)).str());
  write(dir, "i4.bin", Bytes().integer<TYPEVAR>(VTYPE_I4).byte(0).integer<std::int64_t>(-7).raw("42").str());
  write(dir, "ui8.bin", Bytes().integer<TYPEVAR>(VTYPE_UI8).byte(0).integer<std::uint64_t>(~std::uint64_t{0}).str());
  write(dir, "r8.bin", Bytes().integer<TYPEVAR>(VTYPE_R8).byte(0).integer<std::uint64_t>(0x4029000000000000).str());
  write(dir, "bool.bin", Bytes().integer<TYPEVAR>(VTYPE_BOOL).byte(0).integer<std::uint64_t>(1).str());
  write(dir, "date.bin", Bytes().integer<TYPEVAR>(VTYPE_DATE).byte(0).integer<std::uint64_t>(0).str());
  write(dir, "byref.bin", Bytes().integer<TYPEVAR>(VTYPE_I4 | VTYPE_BYREF).byte(0).integer<std::uint64_t>(0).str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <tests/fuzz/corpus>\n", argv[0]);
    return 2;
  }
  const fs::path corpus = argv[1];
  envelope_seeds(corpus);
  channel_seeds(corpus);
  ring_seeds(corpus);
  variant_seeds(corpus);
  return 0;
}
