// POSIX shared memory with the system calls themselves (shm_open / memfd_create, fchmod so the mode is
// exact whatever the umask, mmap). Named objects live in /dev/shm on Linux; the service's channels are
// unnamed sealed memfds (create_sealed), handed to add-ins over the attach socket.
#include "hserver/common/platform/shared_memory.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <random>
#include <system_error>
#include <vector>

// Our glibc floor is 2.17, which has neither the memfd_create() wrapper nor, in its headers, the sealing
// constants: the values are the kernel's ABI (include/uapi/linux/memfd.h, fcntl.h).
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#endif
#ifndef SYS_memfd_create
#if defined(__x86_64__)
#define SYS_memfd_create 319
#elif defined(__i386__)
#define SYS_memfd_create 356
#elif defined(__aarch64__)
#define SYS_memfd_create 279
#endif
#endif

namespace hserver::platform {

struct SharedMemory::Mapping {
  std::string name;
  int fd = -1;
  void* address = nullptr;
  std::uint64_t bytes = 0;
  Mapping(std::string n, int descriptor) : name(std::move(n)), fd(descriptor) {}
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (address != nullptr) ::munmap(address, static_cast<std::size_t>(bytes));
    if (fd >= 0) ::close(fd);
  }
};

namespace {

std::string error_text(int error) {
  return std::system_category().message(error);
}

/// The id of a group by name (thread-safe lookup), or nullopt when there is no such group.
std::optional<gid_t> group_id(const std::string& name) {
  std::vector<char> buffer(16 * 1024);
  group entry{};
  group* found = nullptr;
  while (::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) == ERANGE &&
         buffer.size() < (1u << 20))
    buffer.resize(buffer.size() * 2);
  if (found == nullptr) return std::nullopt;
  return found->gr_gid;
}

std::string object_path(const std::string& name) {
  return "/" + name;
}

int memfd_create_raw(const char* name, unsigned flags) {
#ifdef SYS_memfd_create
  return static_cast<int>(::syscall(SYS_memfd_create, name, flags));
#else
  (void)name;
  (void)flags;
  errno = ENOSYS;
  return -1;
#endif
}

}  // namespace

SharedMemory::SharedMemory(std::unique_ptr<Mapping> mapping) : mapping_(std::move(mapping)) {}
SharedMemory::SharedMemory(SharedMemory&&) noexcept = default;
SharedMemory& SharedMemory::operator=(SharedMemory&&) noexcept = default;
SharedMemory::~SharedMemory() = default;

void* SharedMemory::data() const noexcept {
  return mapping_->address;
}
std::uint64_t SharedMemory::size() const noexcept {
  return mapping_->bytes;
}
const std::string& SharedMemory::name() const noexcept {
  return mapping_->name;
}
int SharedMemory::descriptor() const noexcept {
  return mapping_->fd;
}

Expected<SharedMemory, std::string> SharedMemory::map_whole(std::unique_ptr<Mapping> mapping, std::uint64_t bytes) {
  void* address = ::mmap(nullptr, static_cast<std::size_t>(bytes), PROT_READ | PROT_WRITE, MAP_SHARED, mapping->fd, 0);
  if (address == MAP_FAILED)
    return Unexpected{"cannot map shared memory '" + mapping->name + "': " + error_text(errno)};
  mapping->address = address;
  mapping->bytes = bytes;
  return SharedMemory(std::move(mapping));
}

Expected<SharedMemory, std::string> SharedMemory::create(const std::string& name, std::uint64_t bytes,
                                                         const SegmentAccess& access) {
  const std::string path = object_path(name);
  const int fd = ::shm_open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, static_cast<mode_t>(access.mode));
  if (fd < 0) return Unexpected{"cannot create shared memory '" + name + "': " + error_text(errno)};
  auto mapping = std::make_unique<Mapping>(name, fd);
  const auto fail = [&](const std::string& what, int error) -> Expected<SharedMemory, std::string> {
    ::shm_unlink(path.c_str());  // ours: created above with O_EXCL
    return Unexpected{what + ": " + error_text(error)};
  };
  if (::fchmod(fd, static_cast<mode_t>(access.mode)) != 0) return fail("cannot set the mode of '" + name + "'", errno);
  if (!access.posix_group.empty()) {
    // The group of 1C's users: with mode 0660 they, and nobody else but the service's user, may open it.
    const auto gid = group_id(access.posix_group);
    if (!gid) {
      ::shm_unlink(path.c_str());
      return Unexpected{"cannot give shared memory '" + name + "' to the group '" + access.posix_group +
                        "': no such group"};
    }
    if (::fchown(fd, static_cast<uid_t>(-1), *gid) != 0) {
      return fail("cannot give shared memory '" + name + "' to the group '" + access.posix_group + "'", errno);
    }
  }
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) return fail("cannot size '" + name + "'", errno);  // zero-fills
  auto mapped = map_whole(std::move(mapping), bytes);
  if (!mapped) ::shm_unlink(path.c_str());
  return mapped;
}

Expected<SharedMemory, std::string> SharedMemory::open(const std::string& name) {
  const int fd = ::shm_open(object_path(name).c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) return Unexpected{"cannot open shared memory '" + name + "': " + error_text(errno)};
  auto mapping = std::make_unique<Mapping>(name, fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Unexpected{"cannot open shared memory '" + name + "': " + error_text(errno)};
  if (st.st_size <= 0) return Unexpected{"cannot open shared memory '" + name + "': it is empty"};
  return map_whole(std::move(mapping), static_cast<std::uint64_t>(st.st_size));
}

bool SharedMemory::remove(const std::string& name) {
  return ::shm_unlink(object_path(name).c_str()) == 0;
}

Expected<SharedMemory, std::string> SharedMemory::create_sealed(std::uint64_t bytes) {
  int fd = memfd_create_raw("1chserver-channel", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  std::string name = "memfd";
  if (fd < 0 && errno != ENOSYS) return Unexpected{"cannot create a memfd: " + error_text(errno)};
  if (fd < 0) {
    // No memfd_create (kernel < 3.17): an object nobody can guess, owner-only, whose name is gone before
    // anyone could look for it. It cannot be sealed: see the header.
    std::random_device random;
    for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
      char path[64];
      std::snprintf(path, sizeof path, "/1chserver-unlinked-%08x%08x%08x%08x", random(), random(), random(), random());
      fd = ::shm_open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
      if (fd >= 0) ::shm_unlink(path);
      if (fd < 0 && errno != EEXIST) return Unexpected{"cannot create shared memory: " + error_text(errno)};
    }
    if (fd < 0) return Unexpected{std::string("cannot create shared memory: no free random name")};
    name = "unlinked shm";
  }
  auto mapping = std::make_unique<Mapping>(name, fd);
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    return Unexpected{"cannot size the channel memory: " + error_text(errno)};
  }
  if (name == "memfd" && ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    return Unexpected{"cannot seal the channel memory: " + error_text(errno)};
  }
  return map_whole(std::move(mapping), bytes);
}

Expected<SharedMemory, std::string> SharedMemory::adopt(int descriptor) {
  auto mapping = std::make_unique<Mapping>("memory from the service", descriptor);
  struct stat st {};
  if (::fstat(descriptor, &st) != 0) return Unexpected{"cannot inspect the channel memory: " + error_text(errno)};
  if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
    return Unexpected{std::string("the descriptor from the service is not shared memory")};
  }
  return map_whole(std::move(mapping), static_cast<std::uint64_t>(st.st_size));
}

}  // namespace hserver::platform
