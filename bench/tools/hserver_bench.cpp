// hserver-bench: the parts of the benchmark wrk cannot do (bench/run.sh drives it).
//   tcp-echo-server --port P            a plain loopback TCP peer: reads a length-prefixed blob, sends it back
//   tcp-echo --port P --bytes N         the same bytes over plain TCP: the anchor of the large-body figure
//   post --port P --path /x --bytes N   one HTTP POST of N bytes and the N-byte answer, checked byte for byte
//   hold --port P --connections N       N keep-alive connections, one request each, then held open
//   requests --port P --count N         N GETs one after another on one connection (the syscall guard)
// Every mode prints one line of `key=value` figures; times are medians of --count rounds.
// Plain blocking sockets: the figures must measure the server, not a clever client.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + (errno != 0 ? std::string(": ") + std::strerror(errno) : std::string{}));
}

class Socket {
 public:
  explicit Socket(int fd = -1) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

Socket connect_to(std::uint16_t port) {
  Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.fd() < 0) fail("socket");
  const int one = 1;
  ::setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const sockaddr_in address = loopback(port);
  if (::connect(s.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) fail("connect");
  return s;
}

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("send");
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void read_exact(int fd, char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::recv(fd, data, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      errno = 0;
      fail("the peer closed the connection early");
    }
    if (n < 0) fail("recv");
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

std::vector<char> pattern(std::size_t bytes) {
  std::vector<char> data(bytes);
  std::uint32_t x = 2463534242u;  // xorshift: not compressible, not all one byte
  for (auto& c : data) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return data;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// One HTTP/1.1 response: status and body (Content-Length framing only: what the service sends).
struct Response {
  int status = 0;
  std::string body;
};

Response read_response(int fd, std::string& buffer) {
  std::size_t end;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    char chunk[16384];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = 0;
      fail("reading the response header");
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
    if (buffer.size() > 1 << 20) {
      errno = 0;
      fail("a response header beyond 1 MiB");
    }
  }
  Response response;
  response.status = std::atoi(buffer.c_str() + 9);
  std::size_t length = 0;
  std::string header = buffer.substr(0, end);
  std::transform(header.begin(), header.end(), header.begin(), [](unsigned char c) { return std::tolower(c); });
  if (const auto at = header.find("\r\ncontent-length:"); at != std::string::npos) {
    length = std::stoull(header.substr(at + 17));
  }
  buffer.erase(0, end + 4);
  response.body.resize(length);
  const std::size_t have = std::min(length, buffer.size());
  std::memcpy(response.body.data(), buffer.data(), have);
  buffer.erase(0, have);
  if (have < length) read_exact(fd, response.body.data() + have, length - have);
  return response;
}

std::uint16_t checked_port(int port) {
  if (port < 1 || port > 65535) throw std::invalid_argument("--port 1..65535");
  return static_cast<std::uint16_t>(port);
}

int tcp_echo_server(std::uint16_t port) {
  Socket listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int one = 1;
  ::setsockopt(listener.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const sockaddr_in address = loopback(port);
  if (::bind(listener.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) fail("bind");
  if (::listen(listener.fd(), 16) != 0) fail("listen");
  std::vector<char> data;
  while (!g_stop.load()) {
    Socket peer(::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC));
    if (peer.fd() < 0) {
      if (errno == EINTR) continue;
      fail("accept");
    }
    try {
      for (;;) {  // length-prefixed blobs until the client closes
        std::uint64_t size = 0;
        read_exact(peer.fd(), reinterpret_cast<char*>(&size), sizeof size);
        data.resize(size);
        read_exact(peer.fd(), data.data(), size);
        write_all(peer.fd(), data.data(), size);
      }
    } catch (const std::runtime_error&) {
      // the client is done with this connection
    }
  }
  return 0;
}

int tcp_echo(std::uint16_t port, std::size_t bytes, int count) {
  const auto data = pattern(bytes);
  std::vector<char> back(bytes);
  Socket s = connect_to(port);
  std::vector<double> times;
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    const std::uint64_t size = bytes;
    write_all(s.fd(), reinterpret_cast<const char*>(&size), sizeof size);
    write_all(s.fd(), data.data(), bytes);
    read_exact(s.fd(), back.data(), bytes);
    times.push_back(seconds_since(start));
    if (back != data) throw std::runtime_error("the echoed bytes differ");
  }
  std::printf("mode=tcp-echo bytes=%zu rounds=%d median_s=%.6f mib_per_s_each_way=%.1f\n", bytes, count, median(times),
              static_cast<double>(bytes) / (1 << 20) / median(times));
  return 0;
}

int post(std::uint16_t port, const std::string& path, std::size_t bytes, int count) {
  const auto data = pattern(bytes);
  Socket s = connect_to(port);
  std::string buffer;
  std::vector<double> times;
  const std::string head = "POST " + path +
                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n" +
                           "Content-Length: " + std::to_string(bytes) + "\r\n\r\n";
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    write_all(s.fd(), head.data(), head.size());
    write_all(s.fd(), data.data(), bytes);
    const Response response = read_response(s.fd(), buffer);
    times.push_back(seconds_since(start));
    if (response.status != 200) {
      throw std::runtime_error("status " + std::to_string(response.status) + ": " + response.body.substr(0, 200));
    }
    if (response.body.size() != bytes || std::memcmp(response.body.data(), data.data(), bytes) != 0) {
      throw std::runtime_error("the answer is not the body sent (" + std::to_string(response.body.size()) + " bytes)");
    }
  }
  std::printf("mode=post bytes=%zu rounds=%d median_s=%.6f mib_per_s_each_way=%.1f\n", bytes, count, median(times),
              static_cast<double>(bytes) / (1 << 20) / median(times));
  return 0;
}

int requests(std::uint16_t port, const std::string& path, int count) {
  Socket s = connect_to(port);
  std::string buffer;
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  int ok = 0;
  const auto start = Clock::now();
  for (int i = 0; i < count && !g_stop.load(); ++i) {
    write_all(s.fd(), request.data(), request.size());
    if (read_response(s.fd(), buffer).status == 200) ++ok;
  }
  std::printf("mode=requests count=%d ok=%d seconds=%.3f\n", count, ok, seconds_since(start));
  return ok == count ? 0 : 1;
}

int hold(std::uint16_t port, const std::string& path, int connections, double seconds, const std::string& ready) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  std::vector<Socket> open;
  open.reserve(static_cast<std::size_t>(connections));
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  int ok = 0;
  const auto start = Clock::now();
  for (int i = 0; i < connections && !g_stop.load(); ++i) {
    Socket s = connect_to(port);
    std::string buffer;
    write_all(s.fd(), request.data(), request.size());
    if (read_response(s.fd(), buffer).status == 200) ++ok;
    open.push_back(std::move(s));
  }
  std::printf("mode=hold connections=%zu ok=%d opened_in_s=%.2f\n", open.size(), ok, seconds_since(start));
  std::fflush(stdout);
  if (!ready.empty()) std::ofstream(ready) << open.size() << "\n";
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (!g_stop.load() && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return ok == connections ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hserver-bench: loopback measurements for bench/run.sh"};
  app.require_subcommand(1);
  int port = 0;
  std::size_t bytes = 10u << 20;
  int count = 5;
  std::string path = "/";
  int connections = 10000;
  double seconds = 10;
  std::string ready;
  auto* server = app.add_subcommand("tcp-echo-server", "plain TCP echo of length-prefixed blobs");
  auto* echo = app.add_subcommand("tcp-echo", "send --bytes over plain TCP and read them back, --count times");
  auto* post_command = app.add_subcommand("post", "POST --bytes to --path and check the echoed answer");
  auto* hold_command = app.add_subcommand("hold", "open --connections keep-alive connections and hold them");
  auto* requests_command = app.add_subcommand("requests", "--count GETs one after another on one connection");
  for (auto* command : {server, echo, post_command, hold_command, requests_command}) {
    command->add_option("--port", port)->required();
  }
  for (auto* command : {echo, post_command, requests_command}) {
    command->add_option("--bytes", bytes)->capture_default_str();
    command->add_option("--count", count)->capture_default_str()->check(CLI::Range(1, 1000000));
  }
  for (auto* command : {post_command, hold_command, requests_command}) {
    command->add_option("--path", path)->capture_default_str();
  }
  hold_command->add_option("--connections", connections)->capture_default_str()->check(CLI::Range(1, 100000));
  hold_command->add_option("--seconds", seconds, "hold this long (or until SIGTERM)")->capture_default_str();
  hold_command->add_option("--ready-file", ready, "written once every connection is open");
  CLI11_PARSE(app, argc, argv);

  // Without SA_RESTART, so a blocked accept() or recv() returns and the process ends.
  struct sigaction action {};
  action.sa_handler = [](int) { g_stop.store(true); };
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
  try {
    const std::uint16_t p = checked_port(port);
    if (*server) return tcp_echo_server(p);
    if (*echo) return tcp_echo(p, bytes, count);
    if (*post_command) return post(p, path, bytes, count);
    if (*requests_command) return requests(p, path, count);
    return hold(p, path, connections, seconds, ready);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hserver-bench: %s\n", e.what());
    return 1;
  }
}
