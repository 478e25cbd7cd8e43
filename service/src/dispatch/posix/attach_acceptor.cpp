// Linux attach: a unix-domain stream socket in a folder only the service (or root) may write. Each add-in
// connects, the kernel tells us who it is (SO_PEERCRED), it says which route it wants (AttachHello), and it
// gets either a refusal text or its own channel: a sealed memfd (it cannot shrink it under us) passed with
// SCM_RIGHTS, with the ring size in the reply. No object has a name, so none can be planted, guessed or
// removed by someone else; the connection stays open while the add-in is attached and closes when the
// service lets it go. See docs/shared-memory-protocol.md and docs/security.md.
#include "dispatch/attach_acceptor.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "hserver/common/platform/process.hpp"
#include "hserver/common/platform/unix_socket.hpp"
#include "hserver/common/shm/attach.hpp"

namespace hserver::service {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kTick = 250ms;            // housekeeping at least this often
constexpr auto kHelloTimeout = 2s;       // a peer that connects must say hello within this
constexpr std::size_t kMaxPending = 64;  // connections waiting for their hello; beyond, the oldest goes
constexpr auto kRefusalLogEvery = 1s;    // refusals (strangers, other versions): one log line a second at most

std::string os_error(int error) {
  return std::system_category().message(error);
}

std::string default_attach_path(const std::string& prefix) {
  return "/run/1chserver/" + prefix + ".attach";
}

std::vector<char> lookup_buffer() {
  return std::vector<char>(16 * 1024);
}

gid_t attach_group(const std::string& name) {
  if (name.empty()) return ::getegid();
  auto buffer = lookup_buffer();
  group entry{};
  group* found = nullptr;
  ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (found == nullptr) throw std::runtime_error("shm.posix_group '" + name + "' does not exist");
  return found->gr_gid;
}

/// True when the account `uid` has `gid` as its primary group or among its groups (the group database's
/// view, as getgrouplist gives it).
bool account_in_group(uid_t uid, gid_t gid) {
  auto buffer = lookup_buffer();
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) return false;
  if (found->pw_gid == gid) return true;
  int count = 64;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  if (::getgrouplist(found->pw_name, found->pw_gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<std::size_t>(count));
    if (::getgrouplist(found->pw_name, found->pw_gid, groups.data(), &count) < 0) return false;
  }
  groups.resize(static_cast<std::size_t>(count));
  return std::find(groups.begin(), groups.end(), gid) != groups.end();
}

/// True when process `pid` has `gid` among its supplementary groups right now (/proc/<pid>/status), which
/// is what let it connect to a 0660 socket of that group; the group database may not list it (a process
/// given the group by setgroups, as a service manager does).
bool process_in_group(pid_t pid, gid_t gid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Groups:", 0) != 0) continue;
    std::istringstream groups(line.substr(7));
    for (unsigned long g = 0; groups >> g;) {
      if (g == gid) return true;
    }
    return false;
  }
  return false;
}

/// The folder of the socket and every folder above it must be writable by nobody but root and the
/// service's user: whoever may write there could replace the socket with their own and be the "service"
/// that add-ins attach to. Above the socket's own folder a sticky folder (/tmp) is fine: others cannot
/// rename or remove what is not theirs there.
void check_folders(const std::filesystem::path& folder) {
  const uid_t self = ::geteuid();
  for (auto at = folder; !at.empty(); at = at.parent_path()) {
    struct stat st {};
    if (::stat(at.c_str(), &st) != 0)
      throw std::runtime_error("cannot inspect " + at.string() + ": " + os_error(errno));
    const bool own = st.st_uid == 0 || st.st_uid == self;
    const bool others_write = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
    const bool sticky = (st.st_mode & S_ISVTX) != 0;
    if (!own || (others_write && (at == folder || !sticky))) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      throw std::runtime_error("the attach socket's folder " + at.string() + " (owner uid " +
                               std::to_string(st.st_uid) + ", mode " + mode +
                               ") may be written by others than root and the service's user: another user "
                               "could put their own socket there. Use a folder owned by the service's user or "
                               "root, mode 0750 (attach_socket)");
    }
    if (at == at.root_path()) break;
  }
}

}  // namespace

class SocketAttachAcceptor final : public AttachAcceptor {
 public:
  SocketAttachAcceptor(const ServiceConfig& config, AttachHandler& handler)
      : config_(config),
        handler_(handler),
        path_(config.attach_socket.empty() ? default_attach_path(config.shm_prefix) : config.attach_socket),
        group_(attach_group(config.shm_posix_group)) {
    for (const auto& route : config.routes) {
      routes_.push_back(shm::RouteInfo{route.name, route.port, route.mode, config.max_workers_per_route});
    }
    slots_.resize(routes_.size());
    for (auto& route_slots : slots_) route_slots.resize(config.max_workers_per_route);
    listen_on_socket();
    int pipe_ends[2];
    if (::pipe2(pipe_ends, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe: " + os_error(errno));
    wake_read_ = platform::UniqueFd(pipe_ends[0]);
    wake_write_ = platform::UniqueFd(pipe_ends[1]);
    spdlog::info("add-ins attach at {} (group {}), rings of {} KiB", path_, group_, config.ring_bytes / 1024);
  }

  void start() override {
    thread_ = std::thread([this] { run(); });
  }

  ~SocketAttachAcceptor() override {
    stop();
    // Only the socket we bound: if the file was replaced meanwhile (by root), it is not ours to remove.
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && st.st_ino == socket_inode_ && st.st_dev == socket_device_) {
      ::unlink(path_.c_str());
    }
  }

  void stop() override {
    if (stop_.exchange(true)) return;
    wake();
    if (thread_.joinable()) thread_.join();
  }

  void wake() override {
    const char byte = 1;
    (void)!::write(wake_write_.get(), &byte, 1);
  }

  void release(std::uint32_t route, std::uint32_t slot) override {
    Slot& s = slots_.at(route).at(slot);
    s.connection = platform::UniqueFd();  // the add-in sees its attach connection close
    s.used = false;
  }

 private:
  struct Slot {
    bool used = false;
    std::uint32_t generation = 0;
    platform::UniqueFd connection;
  };

  void listen_on_socket() {
    const std::filesystem::path folder = std::filesystem::path(path_).parent_path();
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path_.empty() || folder.empty() || path_.size() >= sizeof address.sun_path) {
      throw std::runtime_error("attach_socket '" + path_ + "' must be an absolute path of at most " +
                               std::to_string(sizeof address.sun_path - 1) + " bytes");
    }
    std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
    struct stat st {};
    if (::stat(folder.c_str(), &st) != 0) {
      // Not there (a service started by hand, without systemd's RuntimeDirectory): made like systemd does.
      if (::mkdir(folder.c_str(), 0750) != 0 && errno != EEXIST) {
        throw std::runtime_error("cannot create the attach socket's folder " + folder.string() + ": " +
                                 os_error(errno) + " (set attach_socket to a path the service may use)");
      }
      if (::chown(folder.c_str(), static_cast<uid_t>(-1), group_) != 0 || ::chmod(folder.c_str(), 0750) != 0) {
        throw std::runtime_error("cannot give " + folder.string() + " to the shm group: " + os_error(errno));
      }
    }
    check_folders(folder);
    // 1C's users must be able to pass through the folder to reach the socket: a folder of the service's own
    // (systemd's RuntimeDirectory, group = the unit's Group=) is given to the shm group when that differs.
    if (::stat(folder.c_str(), &st) == 0 && st.st_uid == ::geteuid() && st.st_gid != group_) {
      if (::chown(folder.c_str(), static_cast<uid_t>(-1), group_) != 0) {
        spdlog::warn("cannot give {} to group {} ({}): 1C users outside its group {} cannot reach the attach socket",
                     folder.string(), group_, os_error(errno), st.st_gid);
      }
    }
    // What is at the path: our own dead socket (removed), a live service (refused), or anything else (not
    // ours: never removed).
    if (::lstat(path_.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode) || st.st_uid != ::geteuid()) {
        throw std::runtime_error(path_ + " exists and is not a socket of the service's user; it is not removed: " +
                                 "remove it yourself or set attach_socket");
      }
      platform::UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
        auto peer = platform::peer_credentials(probe.get());
        throw std::runtime_error("another 1chserver (pid " + (peer ? std::to_string(peer->pid) : std::string("?")) +
                                 ") listens on " + path_ + "; stop it or choose another shm_prefix");
      }
      ::unlink(path_.c_str());
    }
    listener_ = platform::UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!listener_) throw std::runtime_error("socket: " + os_error(errno));
    if (::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot bind the attach socket " + path_ + ": " + os_error(errno));
    }
    // Until chmod the socket has the umask's mode; a peer that connects meanwhile is still checked.
    if (::chown(path_.c_str(), static_cast<uid_t>(-1), group_) != 0 || ::chmod(path_.c_str(), 0660) != 0 ||
        ::lstat(path_.c_str(), &st) != 0) {
      const std::string why = os_error(errno);
      ::unlink(path_.c_str());
      throw std::runtime_error("cannot give the attach socket " + path_ + " to group " + std::to_string(group_) + ": " +
                               why);
    }
    socket_inode_ = st.st_ino;
    socket_device_ = st.st_dev;
    if (::listen(listener_.get(), 64) != 0) throw std::runtime_error("listen: " + os_error(errno));
  }

  void run() {
    while (!stop_.load()) {
      // The listener, the wake pipe, and the connections whose hello has not arrived yet: a peer that
      // connects and says nothing (or says it slowly) holds nobody up, it is dropped at its deadline.
      std::vector<pollfd> waiting = {{listener_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
      for (const auto& p : pending_) waiting.push_back({p.connection.get(), POLLIN, 0});
      if (::poll(waiting.data(), waiting.size(), static_cast<int>(kTick.count())) > 0) {
        char drain[64];
        while (::read(wake_read_.get(), drain, sizeof drain) > 0) {
        }
        for (std::size_t i = pending_.size(); i-- > 0;) {
          if (waiting[2 + i].revents != 0 && !stop_.load()) read_hello(i);
        }
        for (int accepted = 0; accepted < 64 && !stop_.load(); ++accepted) {
          platform::UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
          if (!connection) break;
          welcome(std::move(connection));
        }
      }
      const auto now = Clock::now();
      std::erase_if(pending_, [&](const Pending& p) { return p.deadline < now; });
      handler_.housekeeping();
    }
  }

  struct Pending {
    platform::UniqueFd connection;
    platform::PeerCredentials peer;
    Clock::time_point deadline;
  };

  /// A new connection: a stranger is refused at once; anyone else gets kHelloTimeout to say hello.
  void welcome(platform::UniqueFd connection) {
    auto peer = platform::peer_credentials(connection.get());
    if (!peer) return;
    if (!allowed(*peer)) {
      log_refusal(
          fmt::format("refused an attach from pid {} (uid {}): neither the service's user nor a member of "
                      "its shm group (gid {})",
                      peer->pid, peer->uid, group_));
      refuse(connection, shm::access_denied_text("uid " + std::to_string(peer->uid) + " may not attach"));
      return;
    }
    if (pending_.size() >= kMaxPending) pending_.erase(pending_.begin());  // the oldest goes
    pending_.push_back(Pending{std::move(connection), *peer, Clock::now() + kHelloTimeout});
  }

  /// Pending connection `index` has something to read: the hello's version-independent part decides
  /// whether it is an add-in of our version; a whole hello is served. Anything else drops the connection.
  void read_hello(std::size_t index) {
    Pending& p = pending_[index];
    shm::AttachHello hello{};
    constexpr std::size_t kStable = offsetof(shm::AttachHello, bytes) + sizeof hello.bytes;
    const ssize_t peeked = ::recv(p.connection.get(), &hello, sizeof hello, MSG_PEEK | MSG_DONTWAIT);
    const auto drop = [&] { pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(index)); };
    if (peeked <= 0) {
      if (peeked == 0 || (errno != EAGAIN && errno != EINTR)) drop();  // closed, or broken
      return;
    }
    const auto got = static_cast<std::size_t>(peeked);
    if (got < kStable) return;                      // the rest of it may still come, until the deadline
    if (hello.magic != shm::kMagic) return drop();  // not an add-in: nothing to say to it
    if (hello.layout_version != shm::kLayoutVersion) {
      log_refusal(
          fmt::format("refused an add-in (pid {}) built for shared-memory layout {}; this service uses "
                      "layout {}: install matching versions",
                      p.peer.pid, hello.layout_version, shm::kLayoutVersion));
      const shm::AttachReply reply = empty_reply(shm::AttachStatus::version_mismatch);
      (void)platform::send_with_descriptor(p.connection.get(), &reply, sizeof reply, -1);
      return drop();
    }
    if (hello.bytes != sizeof hello) return drop();
    if (got < sizeof hello) return;
    platform::UniqueFd connection = std::move(p.connection);
    const platform::PeerCredentials peer = p.peer;
    drop();
    (void)::recv(connection.get(), &hello, sizeof hello, MSG_DONTWAIT);  // what was peeked: there in full
    serve(std::move(connection), peer, hello);
  }

  /// One whole hello from a peer allowed to attach: a refusal text, or its channel.
  void serve(platform::UniqueFd connection, const platform::PeerCredentials& peer, const shm::AttachHello& hello) {
    const std::string name(hello.route_name, strnlen(hello.route_name, sizeof hello.route_name));
    const auto route = shm::find_route(routes_, hello.by_port != 0 ? std::optional(hello.port) : std::nullopt, name);
    if (!route) return refuse(connection, route.error());
    if (!handler_.accepting()) return refuse(connection, shm::service_stopping_text());
    auto& route_slots = slots_[*route];
    const auto free = std::find_if(route_slots.begin(), route_slots.end(), [](const Slot& s) { return !s.used; });
    if (free == route_slots.end()) {
      return refuse(connection, shm::slots_taken_text(routes_[*route].name, config_.max_workers_per_route));
    }
    const auto slot = static_cast<std::uint32_t>(free - route_slots.begin());
    // The add-in's identity is the kernel's (SO_PEERCRED), never what it writes.
    const shm::ProcessStamp addin = platform::process_stamp(static_cast<std::uint32_t>(peer.pid));
    if (addin.pid == 0) return;  // gone already
    auto channel = shm::Channel::create_sealed(config_.ring_bytes, *route, slot, free->generation + 1, addin);
    if (!channel) {
      spdlog::error("route '{}': cannot attach add-in pid {}: {}", routes_[*route].name, addin.pid, channel.error());
      return refuse(connection, "the service refused the attach: it could not create the channel");
    }
    shm::AttachReply reply = empty_reply(shm::AttachStatus::attached);
    reply.ring_bytes = config_.ring_bytes;
    reply.segment_bytes = shm::channel_segment_bytes(config_.ring_bytes);
    reply.route_index = *route;
    reply.slot_index = slot;
    reply.generation = ++free->generation;
    reply.port = routes_[*route].port;
    reply.mode = static_cast<std::uint8_t>(routes_[*route].mode);
    std::memcpy(reply.route_name, routes_[*route].name.data(), routes_[*route].name.size());
    reply.slot_count = config_.max_workers_per_route;
    // The worker keeps the memory (and its descriptor) until housekeeping, on this thread, reaps it.
    const int memory = channel->memory().descriptor();
    if (!handler_.adopt(*route, slot, std::move(*channel))) return refuse(connection, shm::service_stopping_text());
    free->used = true;
    if (!platform::send_with_descriptor(connection.get(), &reply, sizeof reply, memory)) {
      spdlog::warn("route '{}': add-in pid {} went away while attaching", routes_[*route].name, addin.pid);
    }
    free->connection = std::move(connection);
    spdlog::info("route '{}': add-in pid {} attached (slot {})", routes_[*route].name, addin.pid, slot);
  }

  bool allowed(const platform::PeerCredentials& peer) const {
    return peer.uid == 0 || peer.uid == ::geteuid() || peer.gid == group_ || process_in_group(peer.pid, group_) ||
           account_in_group(peer.uid, group_);
  }

  static shm::AttachReply empty_reply(shm::AttachStatus status) {
    shm::AttachReply reply{};
    reply.magic = shm::kMagic;
    reply.layout_version = shm::kLayoutVersion;
    reply.bytes = sizeof reply;
    reply.status = static_cast<std::uint32_t>(status);
    return reply;
  }

  static void refuse(const platform::UniqueFd& connection, const std::string& text) {
    shm::AttachReply reply = empty_reply(shm::AttachStatus::refused);
    const std::string bounded = text.substr(0, shm::kMaxAttachText);
    reply.text_bytes = static_cast<std::uint32_t>(bounded.size());
    std::string message(reinterpret_cast<const char*>(&reply), sizeof reply);
    message += bounded;
    (void)platform::send_with_descriptor(connection.get(), message.data(), message.size(), -1);
  }

  /// At most one line a second (a local user can connect in a loop), with the count of those it leaves out.
  void log_refusal(const std::string& line) {
    const auto now = Clock::now();
    if (now < next_refusal_log_) {
      ++refusals_unlogged_;
      return;
    }
    next_refusal_log_ = now + kRefusalLogEvery;
    const auto more = std::exchange(refusals_unlogged_, 0);
    spdlog::error("{}{}", line, more == 0 ? std::string{} : fmt::format(" (and {} more refusals since)", more));
  }

  const ServiceConfig& config_;
  AttachHandler& handler_;
  std::string path_;
  gid_t group_;
  std::vector<shm::RouteInfo> routes_;
  std::vector<std::vector<Slot>> slots_;  // acceptor thread only
  std::vector<Pending> pending_;          // acceptor thread only
  platform::UniqueFd listener_;
  platform::UniqueFd wake_read_, wake_write_;
  ino_t socket_inode_ = 0;
  dev_t socket_device_ = 0;
  Clock::time_point next_refusal_log_{};
  std::uint64_t refusals_unlogged_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::unique_ptr<AttachAcceptor> AttachAcceptor::create(const ServiceConfig& config, AttachHandler& handler) {
  return std::make_unique<SocketAttachAcceptor>(config, handler);
}

}  // namespace hserver::service
