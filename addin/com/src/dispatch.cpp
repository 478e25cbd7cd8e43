// IDispatch over the same method table: scripts (VBScript, PowerShell) and late-binding callers see
// the names 1C sees, with the same argument rules and the same error texts.
#include <vector>

#include "hserver/addin/com/component.hpp"
#include "hserver/addin/com/variant_convert.hpp"
#include "hserver/addin/method_table.hpp"

namespace hserver::addin::com {

HRESULT STDMETHODCALLTYPE Component::GetTypeInfoCount(UINT* count) {
  if (count == nullptr) return E_POINTER;
  *count = 0;
  return S_OK;
}

HRESULT STDMETHODCALLTYPE Component::GetTypeInfo(UINT, LCID, ITypeInfo** info) {
  if (info != nullptr) *info = nullptr;
  return E_NOTIMPL;
}

HRESULT STDMETHODCALLTYPE Component::GetIDsOfNames(REFIID, LPOLESTR* names, UINT count, LCID, DISPID* ids) {
  if (names == nullptr || ids == nullptr || count == 0) return E_INVALIDARG;
  return guarded([&]() -> HRESULT {
    const std::u16string name(reinterpret_cast<const char16_t*>(names[0]));
    HRESULT result = S_OK;
    if (const auto method = MethodTable::instance().find_method(name)) {
      ids[0] = static_cast<DISPID>(*method) + 1;
    } else if (const auto property = MethodTable::instance().find_property(name)) {
      ids[0] = static_cast<DISPID>(*property) + kPropertyDispIdBase;
    } else {
      ids[0] = DISPID_UNKNOWN;
      result = DISP_E_UNKNOWNNAME;
    }
    // Named arguments are not supported.
    for (UINT i = 1; i < count; ++i) {
      ids[i] = DISPID_UNKNOWN;
      result = DISP_E_UNKNOWNNAME;
    }
    return result;
  });
}

HRESULT STDMETHODCALLTYPE Component::Invoke(DISPID id, REFIID, LCID, WORD flags, DISPPARAMS* params, VARIANT* result,
                                            EXCEPINFO* exception, UINT* argument_error) {
  return guarded([&]() -> HRESULT {
    const MethodTable& methods = MethodTable::instance();
    const bool put = (flags & (DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF)) != 0;
    // A property put carries its value as the one named argument DISPID_PROPERTYPUT; nothing else is named.
    const bool put_argument = put && params != nullptr && params->cNamedArgs == 1 &&
                              params->rgdispidNamedArgs != nullptr &&
                              params->rgdispidNamedArgs[0] == DISPID_PROPERTYPUT;
    if (params != nullptr && params->cNamedArgs != 0 && !put_argument) return DISP_E_NONAMEDARGS;
    last_reported_.clear();
    HRESULT outcome = S_OK;
    if (id >= kPropertyDispIdBase) {
      const long index = static_cast<long>(id - kPropertyDispIdBase);
      if (put) {
        if (params == nullptr || params->cArgs != 1) return DISP_E_BADPARAMCOUNT;
        outcome = set_property(index, &params->rgvarg[0]);
      } else if ((flags & DISPATCH_PROPERTYGET) != 0) {
        VARIANT ignored;
        outcome = get_property(index, result != nullptr ? result : &ignored);
        if (result == nullptr) VariantClear(&ignored);
      } else {
        return DISP_E_MEMBERNOTFOUND;
      }
    } else {
      const long index = static_cast<long>(id) - 1;
      if (index < 0 || static_cast<std::size_t>(index) >= methods.methods().size()) return DISP_E_MEMBERNOTFOUND;
      if ((flags & DISPATCH_METHOD) == 0) return DISP_E_MEMBERNOTFOUND;
      std::vector<Value> args;
      const UINT count = params != nullptr ? params->cArgs : 0;
      for (UINT i = 0; i < count; ++i) {
        // IDispatch passes arguments last first.
        auto value = from_variant(params->rgvarg[count - 1 - i]);
        if (!value) {
          if (argument_error != nullptr) *argument_error = count - 1 - i;
          return DISP_E_TYPEMISMATCH;
        }
        args.push_back(std::move(*value));
      }
      const bool returns = methods.methods()[static_cast<std::size_t>(index)].has_return;
      outcome = call(index, returns ? result : nullptr, std::move(args));
      if (!returns && result != nullptr) VariantInit(result);
    }
    if (FAILED(outcome) && exception != nullptr) {
      *exception = EXCEPINFO{};
      exception->wCode = 0;
      exception->scode = outcome;
      exception->bstrSource = SysAllocString(kExtensionName);
      exception->bstrDescription = u16_to_bstr(utf8_to_utf16_lossy(last_reported_));
      return DISP_E_EXCEPTION;
    }
    return outcome;
  });
}

}  // namespace hserver::addin::com
