// Security item 7: the shared memory of a running service cannot be opened, replaced or changed by another
// user; an add-in running as another user attaches only when that user is in the service's shm group.
// Runs as root (the CI does): the other user is a child that drops to nobody (65534); skipped otherwise.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <thread>

#include "hserver/common/shm/registry.hpp"
#include "support/fixture.hpp"

namespace hserver::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr uid_t kOtherUid = 65534;  // nobody
constexpr gid_t kOtherGid = 65534;  // nogroup
constexpr int kHostAttachFailed = 3;

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
int close_result(int fd) {
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
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

  /// Every object of this test's prefix in /dev/shm, with its mode, owner and size.
  std::map<std::string, ObjectState> snapshot() const {
    std::map<std::string, ObjectState> out;
    for (const auto& name : shm_objects()) {
      struct stat st {};
      if (::stat(("/dev/shm/" + name).c_str(), &st) != 0) continue;
      out[name] = ObjectState{st.st_mode & 07777, st.st_uid, st.st_gid, st.st_size};
    }
    return out;
  }

  /// The host emulator with the real add-in, run as another user; waits for it to attach or to give up.
  /// Attached is read from its log (opened before the identity changes), not from a ready file: the
  /// other user may not be able to reach the test's directory.
  ChildProcess& start_host_as(const RunAs& who, bool expect_attach) {
    const std::vector<std::string> argv = {HSERVER_HOST_EXE, "--addin", HSERVER_ADDIN_SO,     "--handler",
                                           "echo",           "--port",  std::to_string(port_)};
    hosts_.push_back(std::make_unique<ChildProcess>(argv, std::vector<std::string>{"HSERVER_SHM_PREFIX=" + prefix_},
                                                    work_dir_ + "/other-host" + std::to_string(hosts_.size()) + ".log",
                                                    who));
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

  /// Every object has exactly mode 0660, the service's user and `gid`.
  void expect_modes(const std::map<std::string, ObjectState>& objects, gid_t gid) {
    for (const auto& [name, state] : objects) {
      EXPECT_EQ(state.mode, 0660u) << name << ": " << state;
      EXPECT_EQ(state.uid, ::geteuid()) << name << ": " << state;
      EXPECT_EQ(state.gid, gid) << name << ": " << state;
      std::cout << "[shm-access] " << name << ": " << state << std::endl;
    }
  }

  /// What another user tries against the registry and one channel.
  std::vector<Probe> probes(const std::string& registry, const std::string& channel) {
    registry_path_ = "/dev/shm/" + registry;
    channel_path_ = "/dev/shm/" + channel;
    registry_shm_ = "/" + registry;
    channel_shm_ = "/" + channel;
    fake_path_ = "/dev/shm/hsit-fake-" + std::to_string(::getpid());
    const std::vector<int> acc{EACCES}, perm{EPERM, EACCES};
    return {
        {"open the registry read-only", [this] { return close_result(::open(registry_path_.c_str(), O_RDONLY)); }, acc},
        {"open the registry read-write (shm_open)",
         [this] { return close_result(::shm_open(registry_shm_.c_str(), O_RDWR, 0)); }, acc},
        {"open the registry write-only", [this] { return close_result(::open(registry_path_.c_str(), O_WRONLY)); },
         acc},
        {"open a channel read-only", [this] { return close_result(::open(channel_path_.c_str(), O_RDONLY)); }, acc},
        {"open a channel read-write (shm_open)",
         [this] { return close_result(::shm_open(channel_shm_.c_str(), O_RDWR, 0)); }, acc},
        {"create a fake registry (O_CREAT|O_EXCL)",
         [this] { return close_result(::shm_open(registry_shm_.c_str(), O_CREAT | O_EXCL | O_RDWR, 0666)); },
         {EEXIST}},
        {"create-or-truncate the registry (O_CREAT|O_TRUNC)",
         [this] { return close_result(::shm_open(registry_shm_.c_str(), O_CREAT | O_TRUNC | O_RDWR, 0666)); }, acc},
        {"create-or-truncate a channel (O_CREAT|O_TRUNC)",
         [this] { return close_result(::open(channel_path_.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0666)); }, acc},
        {"truncate the registry", [this] { return result_of(::truncate(registry_path_.c_str(), 0)); }, acc},
        {"chmod the registry 0666", [this] { return result_of(::chmod(registry_path_.c_str(), 0666)); }, {EPERM}},
        {"remove the registry (shm_unlink)", [this] { return result_of(::shm_unlink(registry_shm_.c_str())); }, perm},
        {"remove a channel (unlink)", [this] { return result_of(::unlink(channel_path_.c_str())); }, perm},
        {"replace the registry by a fake (rename over it)",
         [this] {
           const int fd = ::open(fake_path_.c_str(), O_CREAT | O_EXCL | O_RDWR, 0666);
           if (fd < 0) return errno;
           ::close(fd);
           const int r = result_of(::rename(fake_path_.c_str(), registry_path_.c_str()));
           ::unlink(fake_path_.c_str());
           return r;
         },
         perm},
    };
  }

  std::string registry_path_, channel_path_, registry_shm_, channel_shm_, fake_path_;
};

std::size_t count_lines(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

std::string channel_of(const std::map<std::string, ObjectState>& objects) {
  for (const auto& [name, state] : objects) {
    if (name.find(".ch.") != std::string::npos) return name;
  }
  return {};
}

TEST_F(ShmAccess, AnotherUserCanNeitherOpenNorReplaceNorChangeTheObjects) {
  start_service();
  start_host();  // a normal add-in (the service's user), so a channel exists too
  ASSERT_EQ(get("/before").status, 200);
  const auto before = snapshot();
  const std::string registry = shm::registry_name(prefix_);
  ASSERT_TRUE(before.count(registry)) << "no registry in /dev/shm";
  const std::string channel = channel_of(before);
  ASSERT_FALSE(channel.empty()) << "no channel in /dev/shm";
  expect_modes(before, ::getegid());

  // Raw system calls as nobody.
  const auto tries = probes(registry, channel);
  const auto results = run_as(kOtherUid, kOtherGid, {}, tries);
  for (std::size_t i = 0; i < tries.size(); ++i) {
    const bool refused = std::find(tries[i].refused_with.begin(), tries[i].refused_with.end(), results[i]) !=
                         tries[i].refused_with.end();
    EXPECT_TRUE(refused) << tries[i].what << ": " << errno_name(results[i]);
    std::cout << "[shm-access] uid " << kOtherUid << ": " << tries[i].what << " -> " << errno_name(results[i])
              << std::endl;
  }

  // The real add-in in the host emulator, as nobody: refused, with the reason.
  auto& other = start_host_as(RunAs{kOtherUid, kOtherGid, {}}, false);
  EXPECT_EQ(other.wait(0ms), kHostAttachFailed) << other.log();
  EXPECT_NE(other.log().find("Permission denied"), std::string::npos) << other.log();
  std::cout << "[shm-access] uid " << kOtherUid << ": the add-in says: " << other.log();

  // Nothing of the prefix changed: same names, modes, owners, sizes.
  const auto after = snapshot();
  EXPECT_EQ(after, before);
  EXPECT_FALSE(fs::exists(fake_path_));

  // And the service goes on serving its normal add-in.
  for (int i = 0; i < 10; ++i) {
    const auto reply = get("/after" + std::to_string(i), 10s);
    EXPECT_EQ(reply.status, 200) << reply.error << reply.body;
    EXPECT_EQ(reply.body, "after" + std::to_string(i));
  }
  EXPECT_TRUE(service_->running());
}

// Another user cannot read the registry but can guess the next channel's name and create it first. The
// service must never use that object: it refuses the attach (create fails: the name exists) and removes the
// name when it may (root); the add-in tries again and gets a channel the service created.
TEST_F(ShmAccess, AChannelNameTakenAheadByAnotherUserIsNeverUsed) {
  start_service();
  start_host();                                                                                // slot 0, generation 1
  const std::string squatted = prefix_ + ".ch." + std::to_string(service_->pid()) + ".0.1.1";  // the next attach
  const std::string path = "/dev/shm/" + squatted;
  const std::vector<Probe> create = {{"create the next channel's name, mode 0666",
                                      [&path] {
                                        ::umask(0);
                                        return close_result(::open(path.c_str(), O_CREAT | O_EXCL | O_RDWR, 0666));
                                      },
                                      {}}};
  ASSERT_EQ(run_as(kOtherUid, kOtherGid, {}, create)[0], 0);

  start_host(HostOptions().with_args({"--wait-attach"}));  // retries every 200 ms
  const auto objects = snapshot();
  expect_modes(objects, ::getegid());  // every object of the prefix is the service's, 0660: nothing of nobody's
  const std::size_t refusals = count_lines(service_->log(), "File exists");
  const auto now_there = objects.find(squatted);
  const bool taken_back = now_there != objects.end() && now_there->second.uid == ::geteuid();
  std::cout << "[shm-access] a channel name created ahead by uid " << kOtherUid << ": " << refusals
            << " attach(es) refused, then the add-in attached on a channel the service created; the fake "
            << (taken_back ? "was removed and the name is now the service's own channel"
                           : (fs::exists(path) ? "is still there, unused" : "was removed"))
            << std::endl;
  for (int i = 0; i < 10; ++i) {
    const auto reply = get("/squat" + std::to_string(i), 10s);
    EXPECT_EQ(reply.status, 200) << reply.error << reply.body;
  }
}

TEST_F(ShmAccess, AnotherUserInTheShmGroupAttachesAndServes) {
  TempGroup group("hsit" + std::to_string(::getpid()));
  if (!group.gid()) GTEST_SKIP() << "cannot create a group with groupadd";
  const gid_t gid = *group.gid();
  start_service(ServiceOptions().with_args({"--shm-group", group.name()}));
  const auto at_start = snapshot();
  ASSERT_TRUE(at_start.count(shm::registry_name(prefix_)));
  expect_modes(at_start, gid);
  ASSERT_FALSE(HasFailure()) << "the objects do not belong to the group given by --shm-group " << group.name() << " ("
                             << gid << "): the option is not applied";

  // nobody, with the group as a supplementary group (as 1C's user would be): attaches and serves.
  auto& member = start_host_as(RunAs{kOtherUid, kOtherGid, {gid}}, true);
  for (int i = 0; i < 10; ++i) {
    const auto reply = get("/member" + std::to_string(i), 10s);
    EXPECT_EQ(reply.status, 200) << reply.error << reply.body << "\n" << member.log();
    EXPECT_EQ(reply.body, "member" + std::to_string(i));
  }
  const auto attached = snapshot();
  const std::string channel = channel_of(attached);
  expect_modes(attached, gid);
  ASSERT_FALSE(channel.empty()) << "the add-in of the group member did not attach:\n" << member.log();

  // As a member, the user opens both read-write (what the add-in does); without the group it is refused.
  const auto tries = probes(shm::registry_name(prefix_), channel);
  const std::vector<Probe> opens = {tries[1], tries[4]};
  const auto as_member = run_as(kOtherUid, kOtherGid, {gid}, opens);
  for (std::size_t i = 0; i < opens.size(); ++i) {
    EXPECT_EQ(as_member[i], 0) << opens[i].what << " (in the group): " << errno_name(as_member[i]);
    std::cout << "[shm-access] uid " << kOtherUid << " in group " << gid << ": " << opens[i].what << " -> "
              << errno_name(as_member[i]) << std::endl;
  }
  const auto results = run_as(kOtherUid, kOtherGid, {}, tries);
  for (std::size_t i = 0; i < tries.size(); ++i) {
    const bool refused = std::find(tries[i].refused_with.begin(), tries[i].refused_with.end(), results[i]) !=
                         tries[i].refused_with.end();
    EXPECT_TRUE(refused) << tries[i].what << " (not in the group): " << errno_name(results[i]);
    std::cout << "[shm-access] uid " << kOtherUid << " not in the group: " << tries[i].what << " -> "
              << errno_name(results[i]) << std::endl;
  }
  EXPECT_EQ(snapshot(), attached);
  EXPECT_TRUE(member.running()) << member.log();
  hosts_.clear();  // before the group goes
}

}  // namespace
}  // namespace hserver::test
