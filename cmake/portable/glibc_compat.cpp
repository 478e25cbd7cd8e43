// What the portable Linux binaries (cmake/HServerPortable.cmake, docs/portability.md) need from a glibc newer
// than their floor, made from calls the floor has. Compiled once per floor (HSERVER_GLIBC_FLOOR_MINOR: 17 for
// the add-in, 27 for the programs); each definition exists only where the floor lacks the symbol, with hidden
// visibility, so it serves this binary only and never replaces the real glibc's for anyone else.
// No <sys/stat.h>: this file defines stat() and friends, which that header declares differently.
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ctime>

#ifndef HSERVER_GLIBC_FLOOR_MINOR
#error "HSERVER_GLIBC_FLOOR_MINOR (17 or 27) must be defined"
#endif

extern "C" {

// libgcc_eh.a of GCC 12 finds unwind tables with _dl_find_object (glibc 2.35) and has no fallback: without
// this, every C++ exception would terminate. The same answer from dl_iterate_phdr (glibc 2.2.5), which is what
// older libgcc did.
struct HServerFindObject {
  const void* pc;
  dl_find_object* result;
  int found;
};

static int hserver_find_object_in(dl_phdr_info* info, std::size_t, void* data) {
  auto* find = static_cast<HServerFindObject*>(data);
  const auto pc = reinterpret_cast<std::uintptr_t>(find->pc);
  const ElfW(Phdr)* eh_frame = nullptr;
  bool inside = false;
  std::uintptr_t start = UINTPTR_MAX;
  std::uintptr_t end = 0;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    if (phdr.p_type == PT_LOAD) {
      const std::uintptr_t begin = info->dlpi_addr + phdr.p_vaddr;
      if (begin < start) start = begin;
      if (begin + phdr.p_memsz > end) end = begin + phdr.p_memsz;
      if (pc >= begin && pc < begin + phdr.p_memsz) inside = true;
    } else if (phdr.p_type == PT_GNU_EH_FRAME) {
      eh_frame = &phdr;
    }
  }
  if (!inside) return 0;
  find->result->dlfo_flags = 0;
  find->result->dlfo_map_start = reinterpret_cast<void*>(start);
  find->result->dlfo_map_end = reinterpret_cast<void*>(end);
  find->result->dlfo_link_map = nullptr;
  find->result->dlfo_eh_frame =
      eh_frame != nullptr ? reinterpret_cast<void*>(info->dlpi_addr + eh_frame->p_vaddr) : nullptr;
  find->found = 1;
  return 1;
}

int _dl_find_object(void* pc, dl_find_object* result) {
  HServerFindObject find{pc, result, 0};
  dl_iterate_phdr(hserver_find_object_in, &find);
  return find.found ? 0 : -1;
}

// libstdc++ skips atomic reference counting while this is non-zero (glibc 2.32 keeps it up to date). Zero
// means "maybe several threads": always correct, only a little slower.
char __libc_single_threaded = 0;

// stat, fstat, lstat became functions in glibc 2.33; before, <sys/stat.h> inlined calls to __xstat and
// friends (glibc 2.2.5, version argument 1 on x86_64), which libstdc++'s <filesystem> and our code now call.
// struct stat is only passed through, so it stays incomplete here.
struct stat;
int __xstat(int version, const char* path, struct stat* buffer);
int __lxstat(int version, const char* path, struct stat* buffer);
int __fxstat(int version, int fd, struct stat* buffer);
constexpr int kStatVersion = 1;  // _STAT_VER_LINUX on x86_64
int stat(const char* path, struct stat* buffer) {
  return __xstat(kStatVersion, path, buffer);
}
int lstat(const char* path, struct stat* buffer) {
  return __lxstat(kStatVersion, path, buffer);
}
int fstat(int fd, struct stat* buffer) {
  return __fxstat(kStatVersion, fd, buffer);
}
// x86_64 has one struct stat: fstat64 is fstat (libstdc++ calls it for file sizes).
int fstat64(int fd, struct stat* buffer) {
  return __fxstat(kStatVersion, fd, buffer);
}

// Random bytes for std::random_device (libstdc++ asks arc4random, glibc 2.36) and getentropy (2.25): the
// getrandom system call (Linux 3.17), else /dev/urandom (older kernels).
static int hserver_random_bytes(void* buffer, std::size_t length) {
  auto* out = static_cast<unsigned char*>(buffer);
  while (length > 0) {
    const long got = syscall(SYS_getrandom, out, length, 0);
    if (got > 0) {
      out += got;
      length -= static_cast<std::size_t>(got);
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // ENOSYS on an old kernel: the device below
    }
  }
  if (length == 0) return 0;
  const int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  while (length > 0) {
    const ssize_t got = read(fd, out, length);
    if (got > 0) {
      out += got;
      length -= static_cast<std::size_t>(got);
    } else if (!(got < 0 && errno == EINTR)) {
      break;
    }
  }
  close(fd);
  return length == 0 ? 0 : -1;
}

#if HSERVER_GLIBC_FLOOR_MINOR < 25
int getentropy(void* buffer, std::size_t length) {
  if (length > 256) {  // the documented limit
    errno = EIO;
    return -1;
  }
  const int saved = errno;
  if (hserver_random_bytes(buffer, length) != 0) {
    errno = EIO;
    return -1;
  }
  errno = saved;
  return 0;
}
#endif

std::uint32_t arc4random() {
  std::uint32_t value = 0;
  if (hserver_random_bytes(&value, sizeof value) != 0) abort();  // glibc's arc4random cannot fail either
  return value;
}

#if HSERVER_GLIBC_FLOOR_MINOR < 30
// std::condition_variable waits on the steady clock with pthread_cond_clockwait (glibc 2.30). The condition
// variable keeps CLOCK_REALTIME (its default), so the steady deadline becomes a real-time one;
// libstdc++ checks the steady clock again after the wait, so a wall clock step only wakes it early or late.
int pthread_cond_clockwait(pthread_cond_t* cond, pthread_mutex_t* mutex, clockid_t clock,
                           const struct timespec* deadline) {
  if (clock == CLOCK_REALTIME) return pthread_cond_timedwait(cond, mutex, deadline);
  if (clock != CLOCK_MONOTONIC) return EINVAL;
  timespec now_steady{};
  timespec now_real{};
  clock_gettime(CLOCK_MONOTONIC, &now_steady);
  clock_gettime(CLOCK_REALTIME, &now_real);
  constexpr long kNano = 1'000'000'000;
  long long seconds = static_cast<long long>(now_real.tv_sec) + (deadline->tv_sec - now_steady.tv_sec);
  long nanos = now_real.tv_nsec + (deadline->tv_nsec - now_steady.tv_nsec);
  while (nanos < 0) {
    nanos += kNano;
    --seconds;
  }
  while (nanos >= kNano) {
    nanos -= kNano;
    ++seconds;
  }
  timespec real_deadline{};
  real_deadline.tv_sec = static_cast<time_t>(seconds);
  real_deadline.tv_nsec = nanos;
  return pthread_cond_timedwait(cond, mutex, &real_deadline);
}
#endif

#if HSERVER_GLIBC_COMPAT_EXECUTABLE
// Scrt1.o of glibc 2.34 and later calls __libc_start_main@GLIBC_2.34 with no init function, leaving the
// executable's constructors to that newer __libc_start_main. The old version (GLIBC_2.2.5), which the stubs
// bind, runs only the init function it is given, so it gets the one that older crt1.o got from
// libc_nonshared.a (__libc_csu_init): _init, then .init_array (the dynamic loader has already run
// .preinit_array). glibc 2.34 and later take the same path for such a legacy caller.
using HServerMain = int (*)(int, char**, char**);
using HServerInit = void (*)(int, char**, char**);
void _init();
extern HServerInit __init_array_start[];
extern HServerInit __init_array_end[];
int __real___libc_start_main(HServerMain main, int argc, char** argv, HServerInit init, void (*fini)(),
                             void (*rtld_fini)(), void* stack_end);

static void hserver_run_constructors(int argc, char** argv, char** envp) {
  _init();
  for (HServerInit* init = __init_array_start; init != __init_array_end; ++init) (*init)(argc, argv, envp);
}

int __wrap___libc_start_main(HServerMain main, int argc, char** argv, HServerInit init, void (*fini)(),
                             void (*rtld_fini)(), void* stack_end) {
  return __real___libc_start_main(main, argc, argv, init != nullptr ? init : hserver_run_constructors, fini, rtld_fini,
                                  stack_end);
}
#endif

}  // extern "C"
