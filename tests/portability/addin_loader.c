/* The smallest 1C-like host of the Native API add-in, run inside an old Debian root by old_root.sh:
 * dlopen(RTLD_NOW) — which resolves every undefined symbol and symbol version at once, as 1C's loader
 * does, so a GLIBC_2.34 or GLIBCXX_3.4.29 need fails here and not at the first call — then the five
 * exports, one object created through GetClassObject and called through its vtable (GetInfo,
 * GetNMethods: code of the add-in's C++ runtime runs), and DestroyObject.
 * Usage: addin_loader <library.so>; prints what it did, exit code 0 only if every step worked.
 *
 * Built on this (Debian 12, glibc 2.36) machine, it must itself run on glibc 2.17..2.31, so it asks for
 * no glibc symbol version newer than GLIBC_2.2.5: dlopen/dlsym/dlerror are bound to their 2.2.5
 * versions (libdl.so.2 before glibc 2.34, libc.so.6 after), and the program has its own _start, since
 * the system's Scrt1.o calls __libc_start_main@GLIBC_2.34. x86-64 only. */
#include <stdio.h>
#include <string.h>

#define RTLD_NOW 0x00002

__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dlerror,dlerror@GLIBC_2.2.5");
void* dlopen(const char* file, int mode);
void* dlsym(void* handle, const char* name);
char* dlerror(void);

int main(int argc, char** argv);

/* glibc's own x86-64 start code, with __libc_start_main's oldest version and no init/fini (the program
 * has no constructors). */
__asm__(
    ".symver __libc_start_main,__libc_start_main@GLIBC_2.2.5\n"
    ".text\n"
    ".globl _start\n"
    ".type _start,@function\n"
    "_start:\n"
    "  xorl %ebp, %ebp\n"
    "  movq %rdx, %r9\n"
    "  popq %rsi\n"
    "  movq %rsp, %rdx\n"
    "  andq $-16, %rsp\n"
    "  pushq %rax\n"
    "  pushq %rsp\n"
    "  xorl %r8d, %r8d\n"
    "  xorl %ecx, %ecx\n"
    "  leaq main(%rip), %rdi\n"
    "  call *__libc_start_main@GOTPCREL(%rip)\n"
    "  hlt\n");

typedef unsigned short wchar16; /* WCHAR_T of the Native API on Linux: UTF-16 code units */
typedef long (*GetClassObjectFn)(const wchar16*, void**);
typedef long (*DestroyObjectFn)(void**);
typedef const wchar16* (*GetClassNamesFn)(void);
typedef int (*SetPlatformCapabilitiesFn)(int);
typedef int (*GetAttachTypeFn)(void);
typedef long (*MethodFn)(void*);

/* Vtable slots (GCC's layout: two destructor slots first); the same as tests/host_emulator's abi.hpp. */
enum { kGetInfoSlot = 4, kGetNMethodsSlot = 10 };

static int fail(const char* what) {
  fprintf(stderr, "FAIL: %s\n", what);
  return 1;
}

static void* symbol(void* library, const char* name) {
  void* address = dlsym(library, name);
  printf("  %s: %s\n", name, address ? "found" : "MISSING");
  return address;
}

static long call_slot(void* subobject, int slot) {
  void (**vtable)(void) = *(void (***)(void))subobject;
  return ((MethodFn)vtable[slot])(subobject);
}

int main(int argc, char** argv) {
  if (argc != 2) return fail("usage: addin_loader <library.so>");
  void* library = dlopen(argv[1], RTLD_NOW);
  if (!library) {
    fprintf(stderr, "FAIL: dlopen(RTLD_NOW): %s\n", dlerror());
    return 1;
  }
  printf("dlopen(%s, RTLD_NOW): ok\n", argv[1]);

  GetClassObjectFn get_class_object = (GetClassObjectFn)symbol(library, "GetClassObject");
  DestroyObjectFn destroy_object = (DestroyObjectFn)symbol(library, "DestroyObject");
  GetClassNamesFn get_class_names = (GetClassNamesFn)symbol(library, "GetClassNames");
  SetPlatformCapabilitiesFn set_capabilities = (SetPlatformCapabilitiesFn)symbol(library, "SetPlatformCapabilities");
  GetAttachTypeFn get_attach_type = (GetAttachTypeFn)symbol(library, "GetAttachType");
  if (!get_class_object || !destroy_object || !get_class_names || !set_capabilities || !get_attach_type) {
    return fail("an export is missing");
  }

  printf("SetPlatformCapabilities(3) = %d, GetAttachType() = %d\n", set_capabilities(3), get_attach_type());
  const wchar16* names = get_class_names();
  if (!names || !names[0]) return fail("GetClassNames returned no names");

  /* Every class of the '|'-separated list: created, called, destroyed. */
  int classes = 0;
  for (const wchar16* start = names; *start;) {
    wchar16 name[256];
    char shown[256];
    size_t length = 0;
    while (start[length] && start[length] != '|' && length < 255) {
      name[length] = start[length];
      shown[length] = start[length] < 128 ? (char)start[length] : '?';
      ++length;
    }
    name[length] = 0;
    shown[length] = 0;
    start += length;
    if (*start == '|') ++start;

    void* object = NULL;
    long created = get_class_object(name, &object);
    printf("GetClassObject(\"%s\") = %ld\n", shown, created);
    if (created == 0 || !object) return fail("GetClassObject made no object");
    long info = call_slot(object, kGetInfoSlot);
    long methods = call_slot((char*)object + sizeof(void*), kGetNMethodsSlot);
    printf("  GetInfo() = %ld, GetNMethods() = %ld\n", info, methods);
    if (info != 2000) return fail("GetInfo is not 2000");
    if (methods <= 0) return fail("the object has no methods");
    if (destroy_object(&object) != 0 || object) return fail("DestroyObject failed");
    printf("  DestroyObject: ok\n");
    ++classes;
  }
  printf("PASS: %d class(es) created and destroyed\n", classes);
  return 0;
}
