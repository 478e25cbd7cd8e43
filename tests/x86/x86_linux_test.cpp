// 32-bit code executed (issue 13): the add-in (core, Native API binding, common/) and the 1C host emulator
// built for i386 Linux run under qemu-i386, dlopen() as 1C does, and attach to this build's 64-bit
// service's shared memory. What runs here in 32 bits: every pointer-sized and `long` field of the Native
// API (tVariant of 52 bytes, cbElements at 44, vt at 48), the add-in's 32-bit view of the shared-memory
// layout (common/include/hserver/common/shm/layout*.hpp) against the 64-bit service's, its atomics and
// futex doorbells across the bitness boundary, and message fragmentation on both sides. What does not: the
// PE loader and the __stdcall layer of the Windows x86 dlls (tests/windows checks those statically).
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iostream>

#include "support/fixture.hpp"

namespace hserver::test {
namespace {

using namespace std::chrono_literals;

/// @brief The ELF header fields that tell a 32-bit x86 file: ELFCLASS32 and EM_386.
struct ElfIdentity {
  int elf_class = 0;
  int machine = 0;
};

ElfIdentity read_elf_identity(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  unsigned char header[20] = {};
  file.read(reinterpret_cast<char*>(header), sizeof header);
  if (!file || header[0] != 0x7f || header[1] != 'E' || header[2] != 'L' || header[3] != 'F') return {};
  return {header[4], header[18] | (header[19] << 8)};  // e_ident[EI_CLASS]; e_machine, little-endian
}

class X86Linux : public ServiceFixture {
 protected:
  /// @brief The i386 host emulator with the i386 add-in, under qemu-i386, attached to this test's
  /// service (by port, or by route name), waiting until it has attached.
  ChildProcess& start_x86_host(std::vector<std::string> args) {
    const std::string index = std::to_string(hosts_.size());
    const std::string ready = work_dir_ + "/x86host" + index + ".ready";
    std::vector<std::string> argv = {HSERVER_QEMU_I386, HSERVER_X86_HOST_EXE,
                                     "--addin",         HSERVER_X86_ADDIN_SO,
                                     "--handler",       "echo",
                                     "--ready-file",    ready};
    argv.insert(argv.end(), args.begin(), args.end());
    hosts_.push_back(std::make_unique<ChildProcess>(argv, addin_env(), work_dir_ + "/x86host" + index + ".log"));
    // qemu translates the host and the add-in on first use: a slower start than the native host's.
    EXPECT_TRUE(wait_for_file(ready, 30s)) << "the i386 host did not attach:\n" << hosts_.back()->log();
    return *hosts_.back();
  }

  /// @brief The host answers --max-requests and then calls Остановить and unloads the add-in by itself; its
  /// exit code is the verdict: 0 means the i386 add-in broke no Native API rule the emulator checks (memory
  /// from AllocMemory, variant types, event buffer). Not stopped by a signal: qemu-user 7.2 keeps the
  /// threads' TLS descriptors of an i386 program in one emulated GDT, so after a signal handler the main
  /// thread's %gs may point at another thread's TLS (pthread_join then fails with EDEADLK).
  static void expect_clean_exit(ChildProcess& host) {
    const auto code = host.wait(20s);
    ASSERT_TRUE(code.has_value()) << "the i386 host did not stop:\n" << host.log();
    EXPECT_EQ(*code, 0) << host.log();
    EXPECT_EQ(host.log().find("VIOLATION"), std::string::npos) << host.log();
  }

  /// @brief A body no step can pass by accident: every byte value, no period that fits a ring.
  static std::string pattern(std::size_t size) {
    std::string body(size, '\0');
    for (std::size_t i = 0; i < size; ++i) body[i] = static_cast<char>((i * 131 + i / 977) & 0xff);
    return body;
  }
};

constexpr const char* kHttpRoute = R"([{"name": "api", "listen": "127.0.0.1:$PORT", "mode": "http"}])";
// Over three rings (the service's default ring is 1 MiB) and not a multiple of any fragment size.
constexpr std::size_t kLargeBody = 3 * 1024 * 1024 + 12345;

TEST_F(X86Linux, TheBinariesUnderTestAre32BitX86) {
  for (const char* path : {HSERVER_X86_HOST_EXE, HSERVER_X86_ADDIN_SO}) {
    const ElfIdentity identity = read_elf_identity(path);
    EXPECT_EQ(identity.elf_class, 1) << path << ": not ELFCLASS32";
    EXPECT_EQ(identity.machine, 3) << path << ": not EM_386";
  }
}

TEST_F(X86Linux, LegacyExecuteEventsWithCyrillicCodeAttachedByPort) {
  start_service();
  auto& host = start_x86_host({"--port", std::to_string(port_), "--max-requests", "20"});  // the codes below
  std::vector<std::string> codes = {
      "Сообщить(\"Привет\");",
      "Результат = Справочники.Номенклатура.НайтиПоКоду(\"00-001\");\r\nПуть = \"a/b/c\"; Сумма = 1 + 2;",
      "Ё ё Й й — «кавычки» № 1",
  };
  std::string long_code;
  while (long_code.size() < 6000) long_code += "Сообщить(\"строка\");";
  codes.push_back(long_code);
  for (int i = 0; i < 16; ++i)
    codes.push_back("Запрос" + std::to_string(i) + " = \"Значение " + std::to_string(i) + "\";");

  ASSERT_EQ(codes.size(), 20u);  // the host's --max-requests
  std::size_t bytes = 0;
  for (const auto& code : codes) {
    const auto reply = get(legacy_target(code), 20s);
    ASSERT_EQ(reply.status, 200) << reply.error << reply.body.substr(0, 200) << "\n" << host.log();
    ASSERT_EQ(reply.body, code);
    EXPECT_EQ(reply.header("Content-Type"), "text/plain; charset=utf-8");
    bytes += code.size();
  }
  std::cout << "x86 legacy: " << codes.size() << " Execute events answered by ВернутьРезультат, " << bytes
            << " bytes of UTF-8 code text each way\n";
  expect_clean_exit(host);
}

TEST_F(X86Linux, HttpRouteRequestLargerThanARingBothWaysAttachedByRoute) {
  start_service(ServiceOptions().with_routes_json(kHttpRoute).with_request_timeout_ms(60'000));
  auto& host = start_x86_host({"--route", "api", "--max-requests", "2"});

  const auto small = http_request(port_, "GET", "/api/items?name=%D0%AF&n=1", {},
                                  {{"Content-Type", "text/plain; charset=utf-8"}, {"X-Trace", "x86-1"}}, 20s);
  ASSERT_EQ(small.status, 200) << small.error << "\n" << host.log();
  EXPECT_EQ(small.body, "");
  EXPECT_EQ(small.header("X-Echo-Method"), "GET");
  EXPECT_EQ(small.header("Content-Type"), "text/plain; charset=utf-8");

  const std::string body = pattern(kLargeBody);
  const auto reply = http_request(port_, "POST", "/api/upload?kind=bin", body,
                                  {{"Content-Type", "application/x-test"}, {"X-Trace", "x86-2"}}, 60s);
  ASSERT_EQ(reply.status, 200) << reply.error << reply.body.substr(0, 200) << "\n" << host.log();
  ASSERT_EQ(reply.body.size(), body.size());
  EXPECT_TRUE(reply.body == body) << "the body came back altered";
  EXPECT_EQ(reply.header("Content-Type"), "application/x-test");
  EXPECT_EQ(reply.header("X-Echo-Method"), "POST");
  std::cout << "x86 http: 2 requests (ПолучитьЗапрос, ПолучитьТелоЗапроса, ОтправитьОтвет), the POST body "
            << body.size() << " bytes each way\n";
  expect_clean_exit(host);
}

TEST_F(X86Linux, PullModeWithWaitForRequest) {
  start_service(ServiceOptions().with_routes_json(kHttpRoute).with_request_timeout_ms(60'000));
  auto& host = start_x86_host({"--route", "api", "--pull", "--max-requests", "9"});
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    const std::string body = pattern(1000 + i * 70'000) + "Тело " + std::to_string(i);
    const auto reply = http_request(port_, "PUT", "/api/pull/" + std::to_string(i), body,
                                    {{"Content-Type", "application/octet-stream"}}, 30s);
    ASSERT_EQ(reply.status, 200) << reply.error << "\n" << host.log();
    ASSERT_TRUE(reply.body == body) << "request " << i << ": the body came back altered";
    EXPECT_EQ(reply.header("X-Echo-Method"), "PUT");
    bytes += body.size();
  }
  const auto large = http_request(port_, "POST", "/api/pull/large", pattern(kLargeBody),
                                  {{"Content-Type", "application/octet-stream"}}, 60s);
  ASSERT_EQ(large.status, 200) << large.error << "\n" << host.log();
  EXPECT_TRUE(large.body == pattern(kLargeBody)) << "the large body came back altered";
  std::cout << "x86 pull: 9 requests taken by ОжидатьЗапрос, " << bytes + kLargeBody << " bytes of body each way\n";
  expect_clean_exit(host);
}

}  // namespace
}  // namespace hserver::test
