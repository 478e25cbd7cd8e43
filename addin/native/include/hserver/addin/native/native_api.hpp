#pragma once
/// @brief Our own declarations of 1C's Native API types and interfaces (see shared spec abi-1c.md).
///
/// Written from the documented facts rather than copied from 1C's SDK headers, and checked with
/// static_assert here and, independently, by the host emulator (tests/host_emulator), which calls
/// through vtable slot numbers it writes down itself. Names follow the SDK so code reads like 1C's
/// documentation. Global namespace on purpose: these are the C++ ABI of the exported entry points.
///
/// Portability rules kept here, because a same-compiler test cannot catch them:
/// - WCHAR_T is wchar_t on Windows and a 2-byte unit elsewhere (char16_t: same size and alignment as the
///   SDK's uint16_t, and std::u16string_view works on it directly).
/// - `long` stays `long` (4 bytes on Windows, 8 on Linux x64): it is in 1C's signatures.
/// - Methods are __stdcall on 32-bit Windows (ADDIN_API).
/// - 1C on Windows is built with MSVC, where a virtual destructor takes one vtable slot; GCC (Linux, and
///   MinGW) gives it two. HSERVER_NATIVE_DESTRUCTOR keeps the MSVC layout when building with MinGW.

#include <cstddef>
#include <cstdint>
#include <ctime>

#if defined(_WIN32)
using WCHAR_T = wchar_t;
#define HSERVER_NATIVE_WSTR(literal) L##literal
#else
using WCHAR_T = char16_t;
#define HSERVER_NATIVE_WSTR(literal) u##literal
#endif
static_assert(sizeof(WCHAR_T) == 2, "1C strings are UTF-16: WCHAR_T must be a 2-byte unit");

#if defined(_WIN32) && (defined(_M_IX86) || defined(__i386__))
#define ADDIN_API __stdcall
#else
#define ADDIN_API
#endif

#if defined(_WIN32) && !defined(_MSC_VER)
// MinGW: one placeholder slot where MSVC puts its scalar deleting destructor; 1C never deletes these
// objects through it (it calls DestroyObject), and a real virtual destructor would take two slots.
#define HSERVER_NATIVE_DESTRUCTOR(Class) \
 protected:                              \
  ~Class() = default;                    \
                                         \
 public:                                 \
  virtual void ADDIN_API msvc_destructor_slot_() {}
#else
#define HSERVER_NATIVE_DESTRUCTOR(Class) \
 public:                                 \
  virtual ~Class() = default;
#endif

using TYPEVAR = unsigned short;
using DATE = double;

/// Variant type codes (tVariant::vt).
enum ENUMVAR : TYPEVAR {
  VTYPE_EMPTY = 0,
  VTYPE_NULL = 1,
  VTYPE_I2 = 2,
  VTYPE_I4 = 3,
  VTYPE_R4 = 4,
  VTYPE_R8 = 5,
  VTYPE_DATE = 6,
  VTYPE_TM = 7,
  VTYPE_PSTR = 8,
  VTYPE_INTERFACE = 9,
  VTYPE_ERROR = 10,
  VTYPE_BOOL = 11,
  VTYPE_VARIANT = 12,
  VTYPE_I1 = 13,
  VTYPE_UI1 = 14,
  VTYPE_UI2 = 15,
  VTYPE_UI4 = 16,
  VTYPE_I8 = 17,
  VTYPE_UI8 = 18,
  VTYPE_INT = 19,
  VTYPE_UINT = 20,
  VTYPE_HRESULT = 21,
  VTYPE_PWSTR = 22,
  VTYPE_BLOB = 23,
  VTYPE_CLSID = 24,
  VTYPE_VECTOR = 0x1000,
  VTYPE_ARRAY = 0x2000,
  VTYPE_BYREF = 0x4000,
  VTYPE_TYPEMASK = 0x0fff,
};

/// A GUID with the Windows layout (16 bytes, 4-byte alignment); declared here to avoid <windows.h>.
struct IID {
  std::uint32_t Data1;
  std::uint16_t Data2;
  std::uint16_t Data3;
  std::uint8_t Data4[8];
};
static_assert(sizeof(IID) == 16);

// Named helper structs: ISO C++ has no anonymous structs; only the layout matters to 1C.
struct tVariantInterface {
  void* pInterfaceVal;
  IID InterfaceID;
};
struct tVariantString {
  char* pstrVal;
  std::uint32_t strLen;  ///< bytes
};
struct tVariantWString {
  WCHAR_T* pwstrVal;
  std::uint32_t wstrLen;  ///< UTF-16 units, without the terminating zero
};

/// @brief 1C's variant. Owned by whoever allocated it; strings and blobs the add-in returns in it must
/// come from IMemoryManager::AllocMemory (1C frees them).
struct tVariant {
  union {
    std::int8_t i8Val;
    std::int16_t shortVal;
    std::int32_t lVal;
    int intVal;
    unsigned int uintVal;
    std::int64_t llVal;
    std::uint8_t ui8Val;
    std::uint16_t ushortVal;
    std::uint32_t ulVal;
    std::uint64_t ullVal;
    std::int32_t errCode;
    long hRes;
    float fltVal;
    double dblVal;
    bool bVal;
    char chVal;
    wchar_t wchVal;
    DATE date;
    IID IDVal;
    tVariant* pvarVal;
    struct tm tmVal;
    tVariantInterface iface;
    tVariantString str;
    tVariantWString wstr;
  };
  std::uint32_t cbElements;  ///< dimension of a one-dimensional array
  TYPEVAR vt;
};

#if defined(_WIN32) && defined(_WIN64)
static_assert(sizeof(tVariant) == 48 && offsetof(tVariant, cbElements) == 40 && offsetof(tVariant, vt) == 44);
static_assert(offsetof(tVariant, str) + offsetof(tVariantString, strLen) == 8);
#elif defined(_WIN32)
static_assert(sizeof(tVariant) == 48 && offsetof(tVariant, cbElements) == 40 && offsetof(tVariant, vt) == 44);
static_assert(offsetof(tVariant, str) + offsetof(tVariantString, strLen) == 4);
#elif defined(__linux__) && defined(__x86_64__)
static_assert(sizeof(tVariant) == 64 && offsetof(tVariant, cbElements) == 56 && offsetof(tVariant, vt) == 60);
static_assert(offsetof(tVariant, str) + offsetof(tVariantString, strLen) == 8);
static_assert(offsetof(tVariant, wstr) + offsetof(tVariantWString, wstrLen) == 8);
#elif defined(__linux__) && defined(__i386__)
static_assert(sizeof(tVariant) == 52 && offsetof(tVariant, cbElements) == 44 && offsetof(tVariant, vt) == 48);
static_assert(offsetof(tVariant, str) + offsetof(tVariantString, strLen) == 4);
#endif

/// @brief 1C's allocator for everything the add-in hands over. Owned by 1C; valid from setMemManager
/// until the object is destroyed.
class IMemoryManager {
  HSERVER_NATIVE_DESTRUCTOR(IMemoryManager)
  virtual bool ADDIN_API AllocMemory(void** pMemory, unsigned long ulCountByte) = 0;
  virtual void ADDIN_API FreeMemory(void** pMemory) = 0;
};

/// @brief What 1C offers the add-in (given in Init). Owned by 1C; valid until Done.
/// ExternalEvent may be called from any thread (1C's sample does it from a timer thread).
class IAddInDefBase {
  HSERVER_NATIVE_DESTRUCTOR(IAddInDefBase)
  virtual bool ADDIN_API AddError(unsigned short wcode, const WCHAR_T* source, const WCHAR_T* descr, long scode) = 0;
  virtual bool ADDIN_API Read(WCHAR_T* wszPropName, tVariant* pVal, long* pErrCode, WCHAR_T** errDescriptor) = 0;
  virtual bool ADDIN_API Write(WCHAR_T* wszPropName, tVariant* pVar) = 0;
  virtual bool ADDIN_API RegisterProfileAs(WCHAR_T* wszProfileName) = 0;
  virtual bool ADDIN_API SetEventBufferDepth(long lDepth) = 0;
  virtual long ADDIN_API GetEventBufferDepth() = 0;
  virtual bool ADDIN_API ExternalEvent(WCHAR_T* wszSource, WCHAR_T* wszMessage, WCHAR_T* wszData) = 0;
  virtual void ADDIN_API CleanEventBuffer() = 0;
  virtual bool ADDIN_API SetStatusLine(WCHAR_T* wszStatusLine) = 0;
  virtual void ADDIN_API ResetStatusLine() = 0;
};

/// Interfaces of the IInterface family have no virtual destructor.
class IInterface {};

/// @brief IAddInDefBase of newer platforms (when SetPlatformCapabilities said >= eAppCapabilities1).
class IAddInDefBaseEx : public IAddInDefBase {
 public:
  enum Interfaces {
    eIMsgBox = 0,
    eIPlatformInfo = 1,
    eIAttachedInfo = 2,
  };
  virtual IInterface* ADDIN_API GetInterface(Interfaces iface) = 0;
};

/// Add-in message codes for AddError (the 1000-1009 range; 1007-1009 show a dialog).
enum : unsigned short {
  ADDIN_E_NONE = 1000,
  ADDIN_E_ORDINARY = 1001,
  ADDIN_E_ATTENTION = 1002,
  ADDIN_E_IMPORTANT = 1003,
  ADDIN_E_VERY_IMPORTANT = 1004,
  ADDIN_E_INFO = 1005,
  ADDIN_E_FAIL = 1006,
  ADDIN_E_MSGBOX_ATTENTION = 1007,
  ADDIN_E_MSGBOX_INFO = 1008,
  ADDIN_E_MSGBOX_FAIL = 1009,
};

class IInitDoneBase {
  HSERVER_NATIVE_DESTRUCTOR(IInitDoneBase)
  virtual bool ADDIN_API Init(void* disp) = 0;
  virtual bool ADDIN_API setMemManager(void* mem) = 0;
  virtual long ADDIN_API GetInfo() = 0;
  virtual void ADDIN_API Done() = 0;
};

class ILanguageExtenderBase {
  HSERVER_NATIVE_DESTRUCTOR(ILanguageExtenderBase)
  virtual bool ADDIN_API RegisterExtensionAs(WCHAR_T** wsExtensionName) = 0;
  virtual long ADDIN_API GetNProps() = 0;
  virtual long ADDIN_API FindProp(const WCHAR_T* wsPropName) = 0;
  virtual const WCHAR_T* ADDIN_API GetPropName(long lPropNum, long lPropAlias) = 0;
  virtual bool ADDIN_API GetPropVal(const long lPropNum, tVariant* pvarPropVal) = 0;
  virtual bool ADDIN_API SetPropVal(const long lPropNum, tVariant* varPropVal) = 0;
  virtual bool ADDIN_API IsPropReadable(const long lPropNum) = 0;
  virtual bool ADDIN_API IsPropWritable(const long lPropNum) = 0;
  virtual long ADDIN_API GetNMethods() = 0;
  virtual long ADDIN_API FindMethod(const WCHAR_T* wsMethodName) = 0;
  virtual const WCHAR_T* ADDIN_API GetMethodName(const long lMethodNum, const long lMethodAlias) = 0;
  virtual long ADDIN_API GetNParams(const long lMethodNum) = 0;
  virtual bool ADDIN_API GetParamDefValue(const long lMethodNum, const long lParamNum, tVariant* pvarParamDefValue) = 0;
  virtual bool ADDIN_API HasRetVal(const long lMethodNum) = 0;
  virtual bool ADDIN_API CallAsProc(const long lMethodNum, tVariant* paParams, const long lSizeArray) = 0;
  virtual bool ADDIN_API CallAsFunc(const long lMethodNum, tVariant* pvarRetValue, tVariant* paParams,
                                    const long lSizeArray) = 0;
};

class LocaleBase {
  HSERVER_NATIVE_DESTRUCTOR(LocaleBase)
  virtual void ADDIN_API SetLocale(const WCHAR_T* loc) = 0;
};

class UserLanguageBase {
  HSERVER_NATIVE_DESTRUCTOR(UserLanguageBase)
  virtual void ADDIN_API SetUserInterfaceLanguageCode(const WCHAR_T* lang) = 0;
};

/// @brief The add-in object 1C creates with GetClassObject: four vtable pointers, in this base order.
class IComponentBase : public IInitDoneBase, public ILanguageExtenderBase, public LocaleBase, public UserLanguageBase {
  HSERVER_NATIVE_DESTRUCTOR(IComponentBase)
};

enum AppCapabilities : int {
  eAppCapabilitiesInvalid = -1,
  eAppCapabilities1 = 1,
  eAppCapabilities2 = 2,
  eAppCapabilities3 = 3,
  eAppCapabilitiesLast = eAppCapabilities3,
};

enum AttachType : int {
  eCanAttachNotIsolated = 1,
  eCanAttachIsolated = 2,
  eCanAttachAny = 3,
};

#if defined(_WIN32)
#define HSERVER_NATIVE_EXPORT  // exported by name through a .def file (undecorated on x86 too)
#else
#define HSERVER_NATIVE_EXPORT __attribute__((visibility("default")))
#endif

// The exports 1C looks up by name (extern "C", default calling convention). The linker version script
// (exports.map) keeps every other symbol of the library local.
extern "C" {
HSERVER_NATIVE_EXPORT long GetClassObject(const WCHAR_T* wsName, IComponentBase** pIntf);
HSERVER_NATIVE_EXPORT long DestroyObject(IComponentBase** pIntf);
HSERVER_NATIVE_EXPORT const WCHAR_T* GetClassNames();
HSERVER_NATIVE_EXPORT AppCapabilities SetPlatformCapabilities(const AppCapabilities capabilities);
HSERVER_NATIVE_EXPORT AttachType GetAttachType();
}
