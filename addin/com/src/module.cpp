// The dll's entry points: DllMain, the class factory, DllGetClassObject and DllCanUnloadNow.
#include <new>

#include "hserver/addin/com/component.hpp"
#include "hserver/addin/com/interfaces.hpp"

namespace hserver::addin::com {
namespace {

HINSTANCE g_module = nullptr;

/// The one class factory (static: its lifetime is the dll's; AddRef/Release only count server locks).
class ClassFactory final : public IClassFactory {
 public:
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID iid, void** out) override {
    if (out == nullptr) return E_POINTER;
    if (IsEqualIID(iid, IID_IUnknown) || IsEqualIID(iid, IID_IClassFactory)) {
      *out = static_cast<IClassFactory*>(this);
      AddRef();
      return S_OK;
    }
    *out = nullptr;
    return E_NOINTERFACE;
  }
  ULONG STDMETHODCALLTYPE AddRef() override { return static_cast<ULONG>(module_references().fetch_add(1) + 1); }
  ULONG STDMETHODCALLTYPE Release() override { return static_cast<ULONG>(module_references().fetch_sub(1) - 1); }

  HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown* outer, REFIID iid, void** out) override {
    if (out == nullptr) return E_POINTER;
    *out = nullptr;
    if (outer != nullptr) return CLASS_E_NOAGGREGATION;
    try {
      auto* component = new Component(g_module);
      const HRESULT result = component->QueryInterface(iid, out);
      component->Release();  // the reference the constructor gave; QueryInterface holds its own
      return result;
    } catch (const std::bad_alloc&) {
      return E_OUTOFMEMORY;
    } catch (...) {
      return E_FAIL;
    }
  }
  HRESULT STDMETHODCALLTYPE LockServer(BOOL lock) override {
    if (lock) {
      module_references().fetch_add(1);
    } else {
      module_references().fetch_sub(1);
    }
    return S_OK;
  }
};

ClassFactory g_factory;

}  // namespace

/// @brief The dll's instance handle (for the event window and for self-registration).
HINSTANCE module_handle() noexcept {
  return g_module;
}

}  // namespace hserver::addin::com

using hserver::addin::com::g_factory;

extern "C" BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID) {
  if (reason == DLL_PROCESS_ATTACH) {
    hserver::addin::com::g_module = instance;
    DisableThreadLibraryCalls(instance);
  }
  return TRUE;
}

STDAPI DllGetClassObject(REFCLSID clsid, REFIID iid, LPVOID* out) {
  if (out == nullptr) return E_POINTER;
  *out = nullptr;
  if (!IsEqualCLSID(clsid, hserver::addin::com::kClsid)) return CLASS_E_CLASSNOTAVAILABLE;
  return g_factory.QueryInterface(iid, out);
}

STDAPI DllCanUnloadNow() {
  return hserver::addin::com::module_references().load() == 0 ? S_OK : S_FALSE;
}
