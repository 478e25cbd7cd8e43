#pragma once
/// @brief The Native API as 1C (the caller) sees it, written down independently of the add-in's own
/// headers (addin/native is deliberately not included anywhere in the host): the tVariant layout, and
/// the vtable slot of every method the host calls or implements, per platform.
///
/// Why independent: a host compiled from the add-in's own class declarations would agree with the
/// add-in even when both are wrong for 1C (for example MinGW's two destructor slots where 1C, built
/// with MSVC, expects one). Here the layout is stated as numbers and the host calls through function
/// pointers read from the vtables, passing the subobject pointer as the first argument, as the
/// platform's C++ ABI does for a member call.

#include <cstddef>
#include <cstdint>
#include <ctime>

namespace hserver::host::abi {

#if defined(_WIN32)
using WChar = wchar_t;  // 1C on Windows: 2-byte wchar_t
#else
using WChar = char16_t;  // 1C on Linux: uint16_t units; char16_t has the same size and alignment
#endif
static_assert(sizeof(WChar) == 2);

#if defined(_WIN32) && (defined(_M_IX86) || defined(__i386__))
#define HSERVER_HOST_CALL __stdcall  // Native API methods are __stdcall on 32-bit Windows
#else
#define HSERVER_HOST_CALL
#endif

/// @brief A generic function pointer: the element type of the vtables the host reads and builds.
using Slot = void (*)();

// --- tVariant ---------------------------------------------------------------------------------------

enum Vt : std::uint16_t {
  kEmpty = 0,
  kNull = 1,
  kI2 = 2,
  kI4 = 3,
  kR4 = 4,
  kR8 = 5,
  kDate = 6,
  kTm = 7,
  kPstr = 8,
  kInterface = 9,
  kError = 10,
  kBool = 11,
  kVariant = 12,
  kI1 = 13,
  kUi1 = 14,
  kUi2 = 15,
  kUi4 = 16,
  kI8 = 17,
  kUi8 = 18,
  kInt = 19,
  kUint = 20,
  kHresult = 21,
  kPwstr = 22,
  kBlob = 23,
  kClsid = 24,
};

struct Guid {
  std::uint32_t a;
  std::uint16_t b;
  std::uint16_t c;
  std::uint8_t d[8];
};
struct VariantBytes {
  char* data;
  std::uint32_t length;  // bytes
};
struct VariantWide {
  WChar* data;
  std::uint32_t length;  // UTF-16 units
};
struct VariantInterface {
  void* pointer;
  Guid iid;
};

/// @brief The host's tVariant: the union (its largest member is `struct tm` on Linux), then
/// cbElements, then vt.
struct Variant {
  union {
    std::int8_t i8;
    std::int16_t i16;
    std::int32_t i32;
    std::int64_t i64;
    std::uint8_t u8;
    std::uint16_t u16;
    std::uint32_t u32;
    std::uint64_t u64;
    int int_value;
    unsigned uint_value;
    long hresult;
    float r4;
    double r8;
    bool boolean;
    Guid guid;
    std::tm tm;
    VariantInterface iface;
    VariantBytes bytes;
    VariantWide wide;
  };
  std::uint32_t cb_elements;
  std::uint16_t vt;
};

#if defined(__linux__) && defined(__x86_64__)
static_assert(sizeof(Variant) == 64);
static_assert(offsetof(Variant, cb_elements) == 56);
static_assert(offsetof(Variant, vt) == 60);
static_assert(offsetof(Variant, wide) + offsetof(VariantWide, length) == 8);
#elif defined(_WIN32)
static_assert(sizeof(Variant) == 48);
static_assert(offsetof(Variant, cb_elements) == 40);
static_assert(offsetof(Variant, vt) == 44);
static_assert(offsetof(Variant, wide) + offsetof(VariantWide, length) == sizeof(void*));
#elif defined(__linux__) && defined(__i386__)
// i386 System V: 8-byte members are 4-aligned inside structs, so no padding after the 44-byte struct tm.
static_assert(sizeof(Variant) == 52 && alignof(Variant) == 4);
static_assert(offsetof(Variant, cb_elements) == 44);
static_assert(offsetof(Variant, vt) == 48);
static_assert(offsetof(Variant, wide) + offsetof(VariantWide, length) == 4);
static_assert(offsetof(Variant, bytes) + offsetof(VariantBytes, length) == 4);
static_assert(sizeof(long) == 4);  // hresult, and the exports' return type, as 1C's own headers have them
#endif

// --- Vtable slots ------------------------------------------------------------------------------------
// Linux (GCC, Itanium ABI): a virtual destructor takes two slots (complete, deleting).
// Windows (MSVC, how 1C is built): one slot (scalar deleting destructor).

/// Byte offsets of the four base subobjects (each holds one vtable pointer) in the add-in object.
inline constexpr std::size_t kInitDoneOffset = 0;
inline constexpr std::size_t kLanguageExtenderOffset = 1 * sizeof(void*);
inline constexpr std::size_t kLocaleOffset = 2 * sizeof(void*);
inline constexpr std::size_t kUserLanguageOffset = 3 * sizeof(void*);

#if defined(_WIN32)
enum InitDoneSlot : int { kInit = 1, kSetMemManager = 2, kGetInfo = 3, kDone = 4 };
enum LanguageExtenderSlot : int {
  kRegisterExtensionAs = 1,
  kGetNProps = 2,
  kFindProp = 3,
  kGetPropName = 4,
  kGetPropVal = 5,
  kSetPropVal = 6,
  kIsPropReadable = 7,
  kIsPropWritable = 8,
  kGetNMethods = 9,
  kFindMethod = 10,
  kGetMethodName = 11,
  kGetNParams = 12,
  kGetParamDefValue = 13,
  kHasRetVal = 14,
  kCallAsProc = 15,
  kCallAsFunc = 16,
};
enum LocaleSlot : int { kSetLocale = 1 };
enum UserLanguageSlot : int { kSetUserInterfaceLanguageCode = 1 };
// Interfaces the host implements for the add-in.
inline constexpr int kDestructorSlots = 1;
enum MemoryManagerSlot : int { kAllocMemory = 1, kFreeMemory = 2, kMemoryManagerSlots = 3 };
enum AddInDefBaseSlot : int {
  kAddError = 1,
  kRead = 2,
  kWrite = 3,
  kRegisterProfileAs = 4,
  kSetEventBufferDepth = 5,
  kGetEventBufferDepth = 6,
  kExternalEvent = 7,
  kCleanEventBuffer = 8,
  kSetStatusLine = 9,
  kResetStatusLine = 10,
  kGetInterface = 11,  // IAddInDefBaseEx
  kAddInDefBaseSlots = 12,
};
#else
enum InitDoneSlot : int { kInit = 2, kSetMemManager = 3, kGetInfo = 4, kDone = 5 };
enum LanguageExtenderSlot : int {
  kRegisterExtensionAs = 2,
  kGetNProps = 3,
  kFindProp = 4,
  kGetPropName = 5,
  kGetPropVal = 6,
  kSetPropVal = 7,
  kIsPropReadable = 8,
  kIsPropWritable = 9,
  kGetNMethods = 10,
  kFindMethod = 11,
  kGetMethodName = 12,
  kGetNParams = 13,
  kGetParamDefValue = 14,
  kHasRetVal = 15,
  kCallAsProc = 16,
  kCallAsFunc = 17,
};
enum LocaleSlot : int { kSetLocale = 2 };
enum UserLanguageSlot : int { kSetUserInterfaceLanguageCode = 2 };
inline constexpr int kDestructorSlots = 2;
enum MemoryManagerSlot : int { kAllocMemory = 2, kFreeMemory = 3, kMemoryManagerSlots = 4 };
enum AddInDefBaseSlot : int {
  kAddError = 2,
  kRead = 3,
  kWrite = 4,
  kRegisterProfileAs = 5,
  kSetEventBufferDepth = 6,
  kGetEventBufferDepth = 7,
  kExternalEvent = 8,
  kCleanEventBuffer = 9,
  kSetStatusLine = 10,
  kResetStatusLine = 11,
  kGetInterface = 12,  // IAddInDefBaseEx
  kAddInDefBaseSlots = 13,
};
#endif

/// @brief The shape of an object the host hands to the add-in (IMemoryManager, IAddInDefBaseEx): a
/// vtable pointer first, as the add-in's compiler expects, then the host's own data.
struct HostInterface {
  const Slot* vtable;
  void* owner;
};

// Export signatures (extern "C", default calling convention).
using GetClassObjectFn = long (*)(const WChar* name, void** object);
using DestroyObjectFn = long (*)(void** object);
using GetClassNamesFn = const WChar* (*)();
using SetPlatformCapabilitiesFn = int (*)(int capabilities);
using GetAttachTypeFn = int (*)();

inline constexpr int kAppCapabilities3 = 3;
inline constexpr int kCanAttachAny = 3;

}  // namespace hserver::host::abi
