// Windows shared memory: a named, pagefile-backed file mapping `Global\<name>` (see win_util.hpp for the
// namespace), created only by the service with an explicit DACL, opened by add-ins with OpenFileMappingW.
//
// Raw Win32 rather than Boost.Interprocess: windows_shared_memory takes no DACL other than through its
// permissions type, and Boost's emulated shared_memory_object fails under Wine (see docs).
//
// Removing: Windows has no unlink. A named mapping disappears when its last handle and view close, so a
// dead service's segments vanish with it (or with the last add-in still mapping them). remove() is
// therefore a no-op returning false.
#include "hserver/common/platform/shared_memory.hpp"

#include "win_util.hpp"

namespace hserver::platform {

struct SharedMemory::Mapping {
  std::string name;
  win::UniqueHandle handle;
  void* view = nullptr;
  std::uint64_t bytes = 0;
  ~Mapping() {
    if (view != nullptr) ::UnmapViewOfFile(view);
  }
};

namespace {

// What an add-in needs: map read/write. Nothing else (no SECTION_EXTEND_SIZE, no WRITE_DAC).
constexpr DWORD kUserRights = SECTION_QUERY | SECTION_MAP_READ | SECTION_MAP_WRITE;

}  // namespace

SharedMemory::SharedMemory(std::unique_ptr<Mapping> mapping) : mapping_(std::move(mapping)) {}
SharedMemory::SharedMemory(SharedMemory&&) noexcept = default;
SharedMemory& SharedMemory::operator=(SharedMemory&&) noexcept = default;
SharedMemory::~SharedMemory() = default;

void* SharedMemory::data() const noexcept {
  return mapping_->view;
}
std::uint64_t SharedMemory::size() const noexcept {
  return mapping_->bytes;
}
const std::string& SharedMemory::name() const noexcept {
  return mapping_->name;
}

Expected<SharedMemory, std::string> SharedMemory::create(const std::string& name, std::uint64_t bytes,
                                                         const SegmentAccess& access) {
  auto security = win::make_security(access, kUserRights);
  if (!security) return Unexpected{"cannot create shared memory '" + name + "': " + security.error()};
  const std::wstring object = win::object_name(name);
  HANDLE handle =
      ::CreateFileMappingW(INVALID_HANDLE_VALUE, &(*security)->attributes, PAGE_READWRITE,
                           static_cast<DWORD>(bytes >> 32), static_cast<DWORD>(bytes & 0xffffffffu), object.c_str());
  const DWORD error = ::GetLastError();
  if (handle == nullptr) return Unexpected{win::describe_error("cannot create shared memory '" + name + "'", error)};
  auto mapping = std::make_unique<Mapping>();
  mapping->name = name;
  mapping->handle.reset(handle);
  if (error == ERROR_ALREADY_EXISTS) {
    // Still mapped by someone (e.g. an add-in of a previous service run that has not noticed yet): the
    // object is not ours and its contents are not fresh.
    return Unexpected{"cannot create shared memory '" + name +
                      "': it still exists (another process holds it open; it disappears with the last handle)"};
  }
  mapping->view = ::MapViewOfFile(handle, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 0);
  if (mapping->view == nullptr) {
    return Unexpected{win::describe_error("cannot map shared memory '" + name + "'", ::GetLastError())};
  }
  mapping->bytes = bytes;  // pagefile-backed sections are zero-filled
  return SharedMemory(std::move(mapping));
}

Expected<SharedMemory, std::string> SharedMemory::open(const std::string& name) {
  const std::wstring object = win::object_name(name);
  HANDLE handle = ::OpenFileMappingW(FILE_MAP_READ | FILE_MAP_WRITE, FALSE, object.c_str());
  if (handle == nullptr)
    return Unexpected{win::describe_error("cannot open shared memory '" + name + "'", ::GetLastError())};
  auto mapping = std::make_unique<Mapping>();
  mapping->name = name;
  mapping->handle.reset(handle);
  mapping->view = ::MapViewOfFile(handle, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 0);
  if (mapping->view == nullptr) {
    return Unexpected{win::describe_error("cannot map shared memory '" + name + "'", ::GetLastError())};
  }
  // The view's size is the creator's size rounded up to whole pages; callers check their header against
  // it (SegmentPrefix::total_bytes holds the exact size).
  MEMORY_BASIC_INFORMATION info{};
  if (::VirtualQuery(mapping->view, &info, sizeof info) == 0) {
    return Unexpected{win::describe_error("cannot query shared memory '" + name + "'", ::GetLastError())};
  }
  mapping->bytes = info.RegionSize;
  return SharedMemory(std::move(mapping));
}

bool SharedMemory::remove(const std::string&) {
  return false;  // no unlink on Windows: the name goes with the last handle (see the top of this file)
}

int SharedMemory::descriptor() const noexcept {
  return -1;
}

// The attach socket and its sealed memfds are Linux's; on Windows channels are named sections (they cannot
// shrink: a section's size is fixed at creation) with unguessable names.
Expected<SharedMemory, std::string> SharedMemory::create_sealed(std::uint64_t) {
  return Unexpected{std::string("unnamed sealed shared memory is not available on Windows")};
}
Expected<SharedMemory, std::string> SharedMemory::adopt(int) {
  return Unexpected{std::string("shared memory from a descriptor is not available on Windows")};
}

}  // namespace hserver::platform
