// The add-in's end of the Linux attach socket (shm::attach) against a fake service in this process: the
// geometry is taken from the reply once and checked against the descriptor's size, refusals reach 1C as the
// service worded them, and another layout version gets the usual text.
#include "hserver/common/shm/attach.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>

#include "hserver/common/platform/process.hpp"
#include "hserver/common/platform/shared_memory.hpp"
#include "hserver/common/platform/unix_socket.hpp"
#include "hserver/common/shm/channel.hpp"

namespace hserver::shm {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr std::uint32_t kRing = 4096;

/// Listens where HSERVER_ATTACH_SOCKET points and answers one attach with `answer`.
class FakeService {
 public:
  explicit FakeService(std::function<void(int connection, const AttachHello&)> answer)
      : dir_(fs::temp_directory_path() / ("hserver-attach-test-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
    path_ = (dir_ / "a.sock").string();
    fs::remove(path_);
    ::setenv("HSERVER_ATTACH_SOCKET", path_.c_str(), 1);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
    listener_ = platform::UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_EQ(::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(listener_.get(), 4), 0);
    thread_ = std::thread([this, answer] {
      platform::UniqueFd connection(::accept(listener_.get(), nullptr, nullptr));
      AttachHello hello{};
      if (platform::receive_exactly(connection.get(), &hello, sizeof hello, 5s)) answer(connection.get(), hello);
    });
  }
  ~FakeService() {
    thread_.join();
    ::unsetenv("HSERVER_ATTACH_SOCKET");
    fs::remove_all(dir_);
  }

 private:
  fs::path dir_;
  std::string path_;
  platform::UniqueFd listener_;
  std::thread thread_;
};

AttachReply reply_of(AttachStatus status) {
  AttachReply reply{};
  reply.magic = kMagic;
  reply.layout_version = kLayoutVersion;
  reply.bytes = sizeof reply;
  reply.status = static_cast<std::uint32_t>(status);
  reply.ring_bytes = kRing;
  reply.segment_bytes = channel_segment_bytes(kRing);
  std::memcpy(reply.route_name, "api", 3);
  reply.port = 3190;
  return reply;
}

TEST(Attach, AChannelOfTheAnnouncedGeometryIsTaken) {
  auto channel = Channel::create_sealed(kRing, 0, 0, 1, platform::current_process());
  ASSERT_TRUE(channel.has_value()) << channel.error();
  FakeService service([&](int connection, const AttachHello& hello) {
    EXPECT_EQ(hello.layout_version, kLayoutVersion);
    EXPECT_EQ(std::string(hello.route_name), "api");
    const AttachReply reply = reply_of(AttachStatus::attached);
    platform::send_with_descriptor(connection, &reply, sizeof reply, channel->memory().descriptor());
  });
  auto attached = attach(std::nullopt, "api", 0, 5s);
  ASSERT_TRUE(attached.has_value()) << attached.error();
  EXPECT_EQ(attached->route.name, "api");
  EXPECT_EQ(attached->route.port, 3190);
  EXPECT_EQ(attached->channel->ring_bytes(), kRing);
  // The service, as the kernel names it: this process.
  EXPECT_EQ(attached->service.pid, static_cast<std::uint32_t>(::getpid()));
  // One memory, two mappings: what the service writes the add-in reads.
  channel->send(MessageType::request, 7, {std::byte{1}, std::byte{2}}, Channel::Flush::now);
  std::uint64_t got = 0;
  ASSERT_TRUE(attached->channel->pump([&](Message&& m) { got = m.id; }).has_value());
  EXPECT_EQ(got, 7u);
}

TEST(Attach, AChannelSmallerThanItsAnnouncedGeometryIsRefused) {
  // Rings of 4 KiB announced, a descriptor one page short of them: mapping it would put the response ring's
  // last page past the end of the memory (SIGBUS at the first touch).
  auto memory = platform::SharedMemory::create_sealed(channel_segment_bytes(kRing) - 4096);
  ASSERT_TRUE(memory.has_value()) << memory.error();
  FakeService service([&](int connection, const AttachHello&) {
    const AttachReply reply = reply_of(AttachStatus::attached);
    platform::send_with_descriptor(connection, &reply, sizeof reply, memory->descriptor());
  });
  auto attached = attach(3190, "", 0, 5s);
  ASSERT_FALSE(attached.has_value());
  EXPECT_NE(attached.error().find("bad geometry"), std::string::npos) << attached.error();
}

TEST(Attach, AGeometryThatDoesNotAddUpIsRefused) {
  auto memory = platform::SharedMemory::create_sealed(channel_segment_bytes(kRing * 4));
  ASSERT_TRUE(memory.has_value()) << memory.error();
  FakeService service([&](int connection, const AttachHello&) {
    AttachReply reply = reply_of(AttachStatus::attached);
    reply.segment_bytes = channel_segment_bytes(kRing * 4);  // the descriptor's size, but not the rings'
    platform::send_with_descriptor(connection, &reply, sizeof reply, memory->descriptor());
  });
  auto attached = attach(3190, "", 0, 5s);
  ASSERT_FALSE(attached.has_value());
  EXPECT_NE(attached.error().find("bad geometry"), std::string::npos) << attached.error();
}

TEST(Attach, ARefusalReachesTheAddinAsWorded) {
  const std::string text =
      "служба не обслуживает порт 1 / the service has no route on port 1; it serves: api (port 3190)";
  FakeService service([&](int connection, const AttachHello& hello) {
    EXPECT_EQ(hello.by_port, 1);
    EXPECT_EQ(hello.port, 1);
    AttachReply reply = reply_of(AttachStatus::refused);
    reply.text_bytes = static_cast<std::uint32_t>(text.size());
    std::string message(reinterpret_cast<const char*>(&reply), sizeof reply);
    message += text;
    platform::send_with_descriptor(connection, message.data(), message.size(), -1);
  });
  auto attached = attach(1, "", 0, 5s);
  ASSERT_FALSE(attached.has_value());
  EXPECT_EQ(attached.error(), text);
}

TEST(Attach, AnotherLayoutVersionGetsTheVersionText) {
  FakeService service([&](int connection, const AttachHello&) {
    AttachReply reply = reply_of(AttachStatus::version_mismatch);
    reply.layout_version = kLayoutVersion + 1;
    platform::send_with_descriptor(connection, &reply, sizeof reply, -1);
  });
  auto attached = attach(3190, "", 0, 5s);
  ASSERT_FALSE(attached.has_value());
  EXPECT_NE(attached.error().find("versions differ"), std::string::npos) << attached.error();
}

TEST(Attach, NoServiceMeansAClearError) {
  ::setenv("HSERVER_ATTACH_SOCKET", "/nonexistent-hserver/a.sock", 1);
  auto attached = attach(3190, "", 0, 1s);
  ::unsetenv("HSERVER_ATTACH_SOCKET");
  ASSERT_FALSE(attached.has_value());
  EXPECT_NE(attached.error().find("not running"), std::string::npos) << attached.error();
}

TEST(SealedMemory, CannotBeResized) {
  auto memory = platform::SharedMemory::create_sealed(1 << 16);
  ASSERT_TRUE(memory.has_value()) << memory.error();
  if (memory->name() != "memfd") GTEST_SKIP() << "no memfd_create on this kernel: the fallback cannot be sealed";
  EXPECT_NE(::ftruncate(memory->descriptor(), 0), 0);
  EXPECT_EQ(errno, EPERM);
  EXPECT_NE(::ftruncate(memory->descriptor(), 1 << 20), 0);
  EXPECT_EQ(errno, EPERM);
}

}  // namespace
}  // namespace hserver::shm
