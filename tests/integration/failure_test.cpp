// What a user relies on when something goes wrong: a clear error with a fitting status, never a hang,
// and the service keeps serving.
#include <gtest/gtest.h>
#include <signal.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <filesystem>
#include <future>
#include <thread>

#include "hserver/common/platform/shared_memory.hpp"
#include "hserver/common/platform/unix_socket.hpp"
#include "hserver/common/shm/attach.hpp"
#include "support/fixture.hpp"

namespace hserver::test {
namespace {

using namespace std::chrono_literals;

class Failures : public ServiceFixture {};

TEST_F(Failures, NoAddinAttachedGives503AfterTheWait) {
  start_service(ServiceOptions().with_no_worker_wait_ms(300));
  const auto started = std::chrono::steady_clock::now();
  auto reply = get("/code");
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(reply.status, 503) << reply.error;
  EXPECT_EQ(reply.body.rfind("Error: ", 0), 0u) << reply.body;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 5s);
}

TEST_F(Failures, RequestWaitingForAFirstAddinIsServedWhenOneAttaches) {
  start_service(ServiceOptions().with_no_worker_wait_ms(8000));
  auto reply = std::async(std::launch::async, [&] { return get("/early", 20s); });
  std::this_thread::sleep_for(300ms);
  start_host();
  auto r = reply.get();
  EXPECT_EQ(r.status, 200) << r.error << r.body;
  EXPECT_EQ(r.body, "early");
}

TEST_F(Failures, StalledHandlerGives504AtTheDeadline) {
  start_service(ServiceOptions().with_request_timeout_ms(700));
  start_host(HostOptions().with_handler("stall"));
  const auto started = std::chrono::steady_clock::now();
  auto reply = get("/Пауза()");
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(reply.status, 504) << reply.error;
  EXPECT_EQ(reply.body.rfind("Error: ", 0), 0u) << reply.body;
  EXPECT_GE(waited, 600ms);
  EXPECT_LT(waited, 5s);
}

TEST_F(Failures, StopWithARequestInHandGivesAnErrorResponse) {
  start_service();
  auto& host = start_host(HostOptions().with_handler("stall"));
  auto reply = std::async(std::launch::async, [&] { return get("/held", 20s); });
  // Until the stalled handler holds the request (the emulator says so), however slow the build.
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (host.log().find("stalling on") == std::string::npos && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_NE(host.log().find("stalling on"), std::string::npos) << host.log();
  host.signal(SIGTERM);  // the host calls Остановить() and exits
  auto r = reply.get();
  EXPECT_EQ(r.status, 503) << r.error << r.body;
  // The words 1C users read in the docs: the attached session is a «рабочий сеанс».
  EXPECT_EQ(r.body, "Error: рабочий сеанс остановлен (Остановить) / the worker stopped");
  EXPECT_EQ(host.wait(10s), 0) << host.log();
}

TEST_F(Failures, KilledHostDoesNotTakeTheServiceDown) {
  start_service(ServiceOptions().with_no_worker_wait_ms(5000));
  auto& crashing = start_host(HostOptions().with_handler("crash"));
  auto reply = get("/boom", 20s);
  // The host had taken the request when it died: an error, never a silent second execution.
  EXPECT_EQ(reply.status, 502) << reply.error << reply.body;
  EXPECT_EQ(reply.body.rfind("Error: ", 0), 0u) << reply.body;
  EXPECT_TRUE(crashing.wait(5s).has_value());

  start_host();
  auto after = get("/alive", 20s);
  EXPECT_EQ(after.status, 200) << after.error << after.body;
  EXPECT_EQ(after.body, "alive");
  EXPECT_TRUE(service_->running());
}

TEST_F(Failures, AddinsReattachWhenTheServiceComesBackAndTell1CAtTheNextCall) {
  start_service();
  auto& host = start_host();
  ASSERT_EQ(get("/before").status, 200);

  service_->signal(SIGKILL);  // a crash: no goodbye in shared memory, stale objects left behind
  ASSERT_TRUE(service_->wait(5s).has_value());
  std::this_thread::sleep_for(500ms);  // the add-in notices (the service's process is gone) and retries
  start_service();                     // removes the dead service's objects and serves again

  // The add-in attaches again by itself (backoff starts at 200 ms, at most 5 s between attempts).
  HttpReply after;
  for (int i = 0; i < 100 && after.status != 200; ++i) {
    after = get("/after", 5s);
    if (after.status != 200) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(after.status, 200) << after.error << after.body << "\nhost:\n" << host.log();
  EXPECT_EQ(after.body, "after");
  EXPECT_TRUE(host.running());
  // 1C was told at its next call, without an exception (the call itself succeeded).
  EXPECT_NE(host.log().find("message from the add-in: связь со службой 1chserver прерывалась"), std::string::npos)
      << host.log();
  // The real cause is named: the process ended (a kill), not "the service has stopped".
  EXPECT_NE(host.log().find("прерывалась (процесс службы 1chserver завершился"), std::string::npos) << host.log();
}

TEST_F(Failures, AStoppedServiceIsNamedAsStoppedWhenItComesBack) {
  start_service();
  auto& host = start_host();
  ASSERT_EQ(get("/before").status, 200);
  service_->signal(SIGTERM);  // a clean stop: the service tells each add-in why it lets it go
  ASSERT_TRUE(service_->wait(10s).has_value());
  start_service();
  HttpReply after;
  for (int i = 0; i < 100 && after.status != 200; ++i) {
    after = get("/after", 5s);
    if (after.status != 200) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(after.status, 200) << after.error << after.body << "\nhost:\n" << host.log();
  EXPECT_NE(host.log().find("прерывалась (служба 1chserver остановлена / the 1chserver service has stopped)"),
            std::string::npos)
      << host.log();
}

TEST_F(Failures, StalledWorkerBlocksNobodyElseAndItsLateAnswerIsDropped) {
  start_service(ServiceOptions().with_request_timeout_ms(1'000));
  start_host(HostOptions().with_handler("slow").with_args({"--slow-ms", "2500"}));  // 1C busy for 2.5 s
  auto stuck = std::async(std::launch::async, [&] { return get("/stuck", 10s); });
  std::this_thread::sleep_for(300ms);  // the slow worker holds it: its one slot is full
  start_host();
  for (int i = 0; i < 20; ++i) {
    auto r = get("/quick" + std::to_string(i), 5s);
    EXPECT_EQ(r.status, 200) << r.error << r.body;  // served by the other worker meanwhile
  }
  auto late = stuck.get();
  EXPECT_EQ(late.status, 504) << late.error << late.body;
  // The slow worker answers at last: the add-in refuses the late answer and tells 1C why (the service
  // has cancelled the request at the deadline); 1C code gets that as the error of ВернутьРезультат.
  const std::string expected = "the deadline of request 1 passed and the client got 504; the answer is dropped";
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (hosts_[0]->log().find(expected) == std::string::npos && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_NE(hosts_[0]->log().find(expected), std::string::npos) << hosts_[0]->log();
  EXPECT_TRUE(hosts_[0]->running());
}

TEST_F(Failures, BadPercentEncodingIs400WithTheReason) {
  start_service();
  start_host();
  auto reply = get("/abc%G1");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body.rfind("Error: ", 0), 0u) << reply.body;
  auto invalid_utf8 = get("/%FF%FE");
  EXPECT_EQ(invalid_utf8.status, 400);
  EXPECT_EQ(invalid_utf8.body.rfind("Error: ", 0), 0u) << invalid_utf8.body;
  EXPECT_EQ(get("/still_fine").status, 200);
}

TEST_F(Failures, SigtermAnswersTheRequestInHandAndRemovesTheAttachSocket) {
  start_service(ServiceOptions().with_args({"--stop-grace-ms", "500"}));
  start_host(HostOptions().with_handler("stall"));
  EXPECT_TRUE(std::filesystem::exists(attach_socket_));
  EXPECT_TRUE(shm_objects().empty()) << "Linux channels have no names";
  auto reply = std::async(std::launch::async, [&] { return get("/in-hand", 20s); });
  std::this_thread::sleep_for(300ms);
  service_->signal(SIGTERM);
  auto r = reply.get();
  EXPECT_EQ(r.status, 503) << r.error << r.body;
  EXPECT_EQ(r.body.rfind("Error: ", 0), 0u) << r.body;
  EXPECT_EQ(service_->wait(10s), 0) << service_->log();
  EXPECT_FALSE(std::filesystem::exists(attach_socket_));
  EXPECT_TRUE(shm_objects().empty());
}

}  // namespace
}  // namespace hserver::test

namespace hserver::test {
namespace {

TEST_F(Failures, AddinOfAnotherLayoutVersionIsLoggedByTheService) {
  start_service();
  // Do what an add-in built for another layout does: a hello whose version-independent part says 99.
  shm::AttachHello hello{};
  hello.magic = shm::kMagic;
  hello.layout_version = 99;
  hello.bytes = 4096;  // whatever a future hello's size is: the service answers before reading it
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, attach_socket_.c_str(), attach_socket_.size() + 1);
  platform::UniqueFd connection(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::connect(connection.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  ASSERT_TRUE(platform::send_with_descriptor(connection.get(), &hello, sizeof hello, -1));
  shm::AttachReply reply{};
  ASSERT_TRUE(platform::receive_exactly(connection.get(), &reply, sizeof reply, 5s));
  EXPECT_EQ(reply.status, static_cast<std::uint32_t>(shm::AttachStatus::version_mismatch));
  EXPECT_EQ(reply.layout_version, shm::kLayoutVersion);
  const std::string expected = "refused an add-in (pid " + std::to_string(::getpid()) + ")";
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (service_->log().find(expected) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_NE(service_->log().find("built for shared-memory layout 99"), std::string::npos) << service_->log();
  EXPECT_EQ(get("/x", 5s).status, 503);  // and it keeps serving
}

}  // namespace
}  // namespace hserver::test
