// Security item 7: the shared memory of a running service cannot be reached, planted, shrunk or removed by
// another local user. On Linux nothing has a name: add-ins attach over a unix socket whose peer the service
// checks (SO_PEERCRED), and get their channel as a sealed memfd. An add-in running as another user attaches
// only when that user is in the service's shm group; objects others leave in /dev/shm do not stop the
// service, and a service never touches what it did not create (not even another service's prefix.x).
// Runs as root (the CI does): the other user is a child that drops to nobody (65534); skipped otherwise.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "hserver/common/platform/process.hpp"
#include "hserver/common/shm/layout.hpp"
#include "support/fixture.hpp"

namespace hserver::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr uid_t kOtherUid = 65534;  // nobody
constexpr gid_t kOtherGid = 65534;  // nogroup
constexpr int kHostAttachFailed = 3;

/// Mode, owner and size of a file (a socket, a folder, something in /dev/shm).
struct ObjectState {
  mode_t mode = 0;  // permission bits only
  uid_t uid = 0;
  gid_t gid = 0;
  off_t size = 0;
  friend bool operator==(const ObjectState&, const ObjectState&) = default;
};

std::ostream& operator<<(std::ostream& out, const ObjectState& s) {
  return out << "mode " << std::oct << s.mode << std::dec << " owner " << s.uid << ":" << s.gid << " size " << s.size;
}

/// One thing the other user tries; `run` returns 0 on success, else errno.
struct Probe {
  std::string what;
  std::function<int()> run;
  std::vector<int> refused_with;  ///< the errno values that count as refused
};

int result_of(int rc) {
  return rc < 0 ? errno : 0;
}
std::string errno_name(int e) {
  switch (e) {
    case 0:
      return "success";
    case EACCES:
      return "EACCES";
    case EPERM:
      return "EPERM";
    case EEXIST:
      return "EEXIST";
    case ENOENT:
      return "ENOENT";
    default:
      return std::to_string(e) + " (" + std::strerror(e) + ")";
  }
}

/// Runs `probes` in a child with another identity; one result per probe (-1: the child did not report it).
std::vector<int> run_as(uid_t uid, gid_t gid, const std::vector<gid_t>& groups, const std::vector<Probe>& probes) {
  std::vector<int> results(probes.size(), -1);
  int fds[2];
  if (::pipe(fds) != 0) return results;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(126);
    for (const auto& probe : probes) {
      const int r = probe.run();
      if (::write(fds[1], &r, sizeof r) != static_cast<ssize_t>(sizeof r)) ::_exit(125);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  for (std::size_t i = 0; pid > 0 && i < probes.size(); ++i) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 10'000) <= 0) break;
    int r = -1;
    if (::read(fds[0], &r, sizeof r) != static_cast<ssize_t>(sizeof r)) break;
    results[i] = r;
  }
  ::close(fds[0]);
  if (pid > 0) {
    int status = 0;
    for (int i = 0; i < 500 && ::waitpid(pid, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(10ms);
    if (::waitpid(pid, &status, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
  }
  return results;
}

/// A throwaway group, removed again when this goes out of scope.
class TempGroup {
 public:
  explicit TempGroup(std::string name) : name_(std::move(name)) {
    if (!fs::exists("/usr/sbin/groupadd") || !fs::exists("/usr/sbin/groupdel")) return;
    ChildProcess add({"/usr/sbin/groupadd", name_}, {}, "/dev/null");
    if (add.wait(20s) != 0) return;
    created_ = true;
    if (const group* g = ::getgrnam(name_.c_str())) gid_ = g->gr_gid;
  }
  ~TempGroup() {
    if (!created_) return;
    ChildProcess del({"/usr/sbin/groupdel", name_}, {}, "/dev/null");
    (void)del.wait(20s);
  }
  TempGroup(const TempGroup&) = delete;
  TempGroup& operator=(const TempGroup&) = delete;
  const std::string& name() const { return name_; }
  std::optional<gid_t> gid() const { return gid_; }

 private:
  std::string name_;
  bool created_ = false;
  std::optional<gid_t> gid_;
};

class ShmAccess : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (to run a child as another user)";
  }

  static std::optional<ObjectState> state_of(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
    return ObjectState{st.st_mode & 07777, st.st_uid, st.st_gid, st.st_size};
  }

  /// The host emulator with the real add-in, run as another user; waits for it to attach or to give up.
  /// Attached is read from its log (opened before the identity changes), not from a ready file: the
  /// other user may not be able to reach the test's directory.
  ChildProcess& start_host_as(const RunAs& who, bool expect_attach) {
    const std::vector<std::string> argv = {HSERVER_HOST_EXE, "--addin", HSERVER_ADDIN_SO,     "--handler",
                                           "echo",           "--port",  std::to_string(port_)};
    hosts_.push_back(std::make_unique<ChildProcess>(
        argv, addin_env(), work_dir_ + "/other-host" + std::to_string(hosts_.size()) + ".log", who));
    ChildProcess& host = *hosts_.back();
    const auto attached = [&] { return host.log().find("1c-host-emulator: attached (") != std::string::npos; };
    if (expect_attach) {
      const auto until = std::chrono::steady_clock::now() + 10s;
      while (!attached() && host.running() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(20ms);
      }
      EXPECT_TRUE(attached()) << "the host did not attach:\n" << host.log();
    } else {
      EXPECT_TRUE(host.wait(15s).has_value()) << "the host did not give up:\n" << host.log();
      EXPECT_FALSE(attached()) << "the host attached:\n" << host.log();
    }
    return host;
  }

  /// The socket is 0660, the service's user and `gid`; its folder 0750, not writable by anyone else.
  void expect_socket_modes(gid_t gid) {
    const auto socket = state_of(attach_socket_);
    const auto folder = state_of(attach_dir_);
    ASSERT_TRUE(socket && folder) << attach_socket_;
    EXPECT_EQ(socket->mode, 0660u) << *socket;
    EXPECT_EQ(socket->uid, ::geteuid()) << *socket;
    EXPECT_EQ(socket->gid, gid) << *socket;
    EXPECT_EQ(folder->mode, 0750u) << *folder;
    EXPECT_EQ(folder->gid, gid) << *folder;
    std::cout << "[shm-access] attach socket: " << *socket << "; its folder: " << *folder << std::endl;
  }

  /// Connects to the attach socket as the current identity: 0, or errno.
  int connect_attach_socket() const {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, attach_socket_.c_str(), attach_socket_.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    const int r = result_of(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address));
    ::close(fd);
    return r;
  }

  void expect_serving(const std::string& tag) {
    for (int i = 0; i < 10; ++i) {
      const auto reply = get("/" + tag + std::to_string(i), 10s);
      EXPECT_EQ(reply.status, 200) << reply.error << reply.body;
      EXPECT_EQ(reply.body, tag + std::to_string(i));
    }
  }
};

std::size_t count_lines(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

TEST_F(ShmAccess, AnotherUserIsRefusedOnTheAttachSocket) {
  start_service();
  start_host();  // a normal add-in (the service's user), attached over the socket
  ASSERT_EQ(get("/before").status, 200);
  EXPECT_TRUE(shm_objects().empty()) << "the service named an object in /dev/shm";
  expect_socket_modes(::getegid());

  // Outside the group, the folder (0750) keeps nobody from even reaching the socket.
  const std::vector<Probe> reach = {{"connect to the attach socket", [this] { return connect_attach_socket(); }, {}}};
  const int closed = run_as(kOtherUid, kOtherGid, {}, reach)[0];
  EXPECT_EQ(closed, EACCES) << errno_name(closed);
  std::cout << "[shm-access] uid " << kOtherUid << ": connect to the attach socket -> " << errno_name(closed)
            << std::endl;
  auto& far = start_host_as(RunAs{kOtherUid, kOtherGid, {}}, false);
  EXPECT_EQ(far.wait(0ms), kHostAttachFailed) << far.log();
  EXPECT_NE(far.log().find("Permission denied"), std::string::npos) << far.log();
  std::cout << "[shm-access] uid " << kOtherUid << " (folder closed): the add-in says: " << far.log();

  // Opened up by an administrator's mistake (folder 0755, socket 0666), the socket is reached, and the
  // service itself refuses the peer (SO_PEERCRED) with a reason in its log and for 1C.
  fs::permissions(attach_dir_, fs::perms(0755));
  fs::permissions(attach_socket_, fs::perms(0666));
  EXPECT_EQ(run_as(kOtherUid, kOtherGid, {}, reach)[0], 0);
  auto& near = start_host_as(RunAs{kOtherUid, kOtherGid, {}}, false);
  EXPECT_EQ(near.wait(0ms), kHostAttachFailed) << near.log();
  EXPECT_NE(near.log().find("may not attach"), std::string::npos) << near.log();
  EXPECT_GE(count_lines(service_->log(), "refused an attach from pid"), 1u) << service_->log();
  std::cout << "[shm-access] uid " << kOtherUid << " (socket reachable): the add-in says: " << near.log();

  expect_serving("after");
  EXPECT_TRUE(service_->running());
}

TEST_F(ShmAccess, ObjectsPlantedByAnotherUserNeitherStopTheServiceNorAreRemoved) {
  // What another user can leave in /dev/shm before the service starts: a registry with the magic and a live
  // process's stamp (the test's own), the names channels used to have, and anything else with the prefix.
  const std::string registry = "/dev/shm/" + prefix_ + ".registry";
  const std::vector<std::string> planted = {registry, "/dev/shm/" + prefix_ + ".ch.1.0.0.1",
                                            "/dev/shm/" + prefix_ + ".attach", "/dev/shm/" + prefix_ + ".x"};
  const shm::ProcessStamp alive = platform::current_process();
  const std::vector<Probe> plant = {{"plant the objects",
                                     [&] {
                                       ::umask(0);
                                       for (const auto& path : planted) {
                                         const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_RDWR, 0666);
                                         if (fd < 0) return errno;
                                         std::vector<std::byte> bytes(sizeof(shm::RegistryHeader));
                                         auto* h = reinterpret_cast<shm::RegistryHeader*>(bytes.data());
                                         h->prefix.magic = shm::kMagic;
                                         h->prefix.layout_version = shm::kLayoutVersion;
                                         h->prefix.kind = static_cast<std::uint32_t>(shm::SegmentKind::registry);
                                         h->prefix.ready.store(1);
                                         h->service = alive;
                                         const auto n = ::write(fd, bytes.data(), bytes.size());
                                         ::close(fd);
                                         if (n != static_cast<ssize_t>(bytes.size())) return EIO;
                                       }
                                       return 0;
                                     },
                                     {}}};
  ASSERT_EQ(run_as(kOtherUid, kOtherGid, {}, plant)[0], 0);
  std::map<std::string, ObjectState> before;
  for (const auto& path : planted) before[path] = *state_of(path);

  start_service();
  start_host();
  expect_serving("planted");
  for (const auto& path : planted) {
    const auto now = state_of(path);
    ASSERT_TRUE(now.has_value()) << path << " was removed by the service";
    EXPECT_EQ(*now, before[path]) << path;
  }
  std::cout << "[shm-access] " << planted.size()
            << " objects planted in /dev/shm by uid 65534 (one a registry with a live stamp): the service started, "
               "served, and left them as they were"
            << std::endl;
  for (const auto& path : planted) fs::remove(path);
}

TEST_F(ShmAccess, AServiceWithALongerPrefixSurvivesTheStartOfAnother) {
  // Service A: prefix <p>.x, started first, with an add-in attached.
  const std::string shorter = prefix_;
  prefix_ = shorter + ".x";
  const std::string own_dir = attach_dir_;
  attach_socket_ = own_dir + "/x.sock";
  start_service();
  start_host();
  expect_serving("a");

  // Service B: prefix <p>, its own port and sockets.
  const unsigned short port_b = free_port();
  ChildProcess b({HSERVER_SERVICE_EXE, "--listen", "127.0.0.1:" + std::to_string(port_b), "--mode", "legacy",
                  "--shm-prefix", shorter, "--metrics-listen", "", "--admin-socket", work_dir_ + "/admin-b.sock",
                  "--attach-socket", own_dir + "/b.sock", "--log-level", "debug"},
                 {}, work_dir_ + "/service-b.log");
  ASSERT_TRUE(wait_for_port(port_b, 10s)) << b.log();

  // A and its add-in are untouched: still attached, still serving.
  EXPECT_TRUE(service_->running()) << service_->log();
  EXPECT_TRUE(hosts_.back()->running()) << hosts_.back()->log();
  expect_serving("still");
  EXPECT_EQ(count_lines(service_->log(), " left ("), 0u) << service_->log();
  std::cout << "[shm-access] a service with prefix " << prefix_ << " kept its add-in and served while one with prefix "
            << shorter << " started" << std::endl;
}

TEST_F(ShmAccess, AnotherUserInTheShmGroupAttachesAndServes) {
  TempGroup group("hsit" + std::to_string(::getpid()));
  if (!group.gid()) GTEST_SKIP() << "cannot create a group with groupadd";
  const gid_t gid = *group.gid();
  start_service(ServiceOptions().with_args({"--shm-group", group.name()}));
  expect_socket_modes(gid);
  ASSERT_FALSE(HasFailure()) << "the socket does not belong to the group given by --shm-group " << group.name() << " ("
                             << gid << "): the option is not applied";

  // nobody, with the group as a supplementary group (as 1C's user would be): attaches and serves.
  auto& member = start_host_as(RunAs{kOtherUid, kOtherGid, {gid}}, true);
  expect_serving("member");

  // Without the group it is refused.
  auto& outsider = start_host_as(RunAs{kOtherUid, kOtherGid, {}}, false);
  EXPECT_EQ(outsider.wait(0ms), kHostAttachFailed) << outsider.log();
  EXPECT_TRUE(member.running()) << member.log();
  EXPECT_TRUE(shm_objects().empty());
  hosts_.clear();  // before the group goes
}

}  // namespace
}  // namespace hserver::test
