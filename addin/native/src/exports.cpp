// The five functions 1C looks up in the library. Everything else is hidden (exports.map).

#include <atomic>
#include <new>

#include "hserver/addin/method_table.hpp"
#include "hserver/addin/native/component.hpp"
#include "hserver/addin/native/native_api.hpp"
#include "hserver/addin/native/variant_convert.hpp"

namespace {

// Static storage: 1C reads the names after the call returns and never frees them.
constexpr WCHAR_T kClassNames[] = HSERVER_NATIVE_WSTR("HServer");

// What the platform said it can do. Kept for a later use of IAddInDefBaseEx::GetInterface, which is
// only allowed when the platform declared eAppCapabilities1 or more.
std::atomic<int> g_platform_capabilities{eAppCapabilitiesInvalid};

}  // namespace

extern "C" {

long GetClassObject(const WCHAR_T* wsName, IComponentBase** pIntf) {
  try {
    if (pIntf == nullptr || wsName == nullptr) return 0;
    if (!hserver::addin::names_equal(hserver::addin::native::to_u16(wsName), hserver::addin::native::kClassName)) {
      return 0;
    }
    *pIntf = new hserver::addin::native::Component();
    return 1;
  } catch (...) {
    return 0;  // nothing to report to: no connection exists before Init
  }
}

long DestroyObject(IComponentBase** pIntf) {
  if (pIntf == nullptr || *pIntf == nullptr) return -1;
  try {
    // Through the complete type: with MinGW's MSVC-compatible layout the interfaces have no virtual
    // destructor.
    delete static_cast<hserver::addin::native::Component*>(*pIntf);
  } catch (...) {
    // ~Component does not throw; this only keeps the promise that nothing crosses the boundary.
  }
  *pIntf = nullptr;
  return 0;
}

const WCHAR_T* GetClassNames() {
  return kClassNames;
}

AppCapabilities SetPlatformCapabilities(const AppCapabilities capabilities) {
  g_platform_capabilities.store(capabilities, std::memory_order_relaxed);
  return eAppCapabilitiesLast;
}

AttachType GetAttachType() {
  return eCanAttachAny;
}

}  // extern "C"
