#include "hserver/addin/com/component.hpp"

#include <exception>
#include <new>
#include <utility>

#include "hserver/addin/com/variant_convert.hpp"
#include "hserver/addin/method_table.hpp"
#include "hserver/common/utf.hpp"

namespace hserver::addin::com {
namespace {

const MethodTable& table() {
  return MethodTable::instance();
}

template <class Span>
bool in_range(long index, const Span& items) {
  return index >= 0 && static_cast<unsigned long>(index) < items.size();
}

std::string to_utf8(std::u16string_view text) {
  auto utf8 = utf16_to_utf8(text);
  return utf8 ? std::move(*utf8) : std::string("?");
}

/// 1C's alias argument: 0 English, 1 Russian.
bool valid_alias(long alias) {
  return alias == 0 || alias == 1;
}

template <class Interface>
void release(Interface*& pointer) noexcept {
  if (pointer != nullptr) std::exchange(pointer, nullptr)->Release();
}

}  // namespace

std::atomic<long>& module_references() noexcept {
  static std::atomic<long> count{0};
  return count;
}

Component::Component(HINSTANCE module) : sink_(module), core_(&sink_) {
  // Build the table now (inside the factory's try) so the unguarded getters only read it.
  static_cast<void>(MethodTable::instance());
  module_references().fetch_add(1);
}

Component::~Component() {
  // 1C calls Done before the last Release; if it did not, do Done's work here (on the STA thread, as
  // every Release of an apartment object).
  core_.stop();
  sink_.detach();
  release(status_line_);
  release(error_log_);
  release(connection_);
  module_references().fetch_sub(1);
}

// -----------------------------------------------------------------------------------------------------
// IUnknown

HRESULT STDMETHODCALLTYPE Component::QueryInterface(REFIID iid, void** out) {
  if (out == nullptr) return E_POINTER;
  *out = nullptr;
  if (IsEqualIID(iid, IID_IUnknown) || IsEqualIID(iid, kIidInitDone)) {
    *out = static_cast<IInitDone*>(this);
  } else if (IsEqualIID(iid, kIidLanguageExtender)) {
    *out = static_cast<ILanguageExtender*>(this);
  } else if (IsEqualIID(iid, IID_IDispatch)) {
    *out = static_cast<IDispatch*>(this);
  } else {
    return E_NOINTERFACE;
  }
  AddRef();
  return S_OK;
}

ULONG STDMETHODCALLTYPE Component::AddRef() {
  return references_.fetch_add(1) + 1;
}

ULONG STDMETHODCALLTYPE Component::Release() {
  const ULONG left = references_.fetch_sub(1) - 1;
  if (left == 0) delete this;
  return left;
}

// -----------------------------------------------------------------------------------------------------
// Errors

void Component::report(const std::string& message) noexcept {
  try {
    last_reported_ = message;
    if (error_log_ == nullptr) return;
    EXCEPINFO info{};
    info.wCode = kErrorCodeFail;
    info.scode = E_FAIL;  // nonzero: 1C raises an exception in the calling code
    info.bstrSource = SysAllocString(kExtensionName);
    info.bstrDescription = u16_to_bstr(utf8_to_utf16_lossy(message));
    error_log_->AddError(kExtensionName, &info);
    // AddError's EXCEPINFO is an [in] argument: the strings stay ours to free.
    SysFreeString(info.bstrSource);
    SysFreeString(info.bstrDescription);
  } catch (...) {
    // Out of memory while reporting: the method still fails, so 1C raises its generic error.
  }
}

void Component::report_notice() noexcept {
  try {
    const auto notice = core_.take_notice();
    if (!notice || error_log_ == nullptr) return;
    EXCEPINFO info{};
    info.wCode = kErrorCodeImportant;
    info.scode = S_OK;  // zero: a message for the user, not an exception
    info.bstrSource = SysAllocString(kExtensionName);
    info.bstrDescription = u16_to_bstr(utf8_to_utf16_lossy(*notice));
    error_log_->AddError(kExtensionName, &info);
    SysFreeString(info.bstrSource);
    SysFreeString(info.bstrDescription);
  } catch (...) {
    // Out of memory: the notice is lost, the call goes on.
  }
}

// -----------------------------------------------------------------------------------------------------
// IInitDone

HRESULT STDMETHODCALLTYPE Component::Init(IDispatch* connection) {
  return guarded([&]() -> HRESULT {
    if (connection == nullptr) return E_INVALIDARG;
    core_.stop();
    sink_.detach();
    release(status_line_);
    release(error_log_);
    release(connection_);
    connection->AddRef();
    connection_ = connection;
    connection->QueryInterface(kIidErrorLog, reinterpret_cast<void**>(&error_log_));
    connection->QueryInterface(kIidStatusLine, reinterpret_cast<void**>(&status_line_));
    IAsyncEvent* events = nullptr;
    connection->QueryInterface(kIidAsyncEvent, reinterpret_cast<void**>(&events));
    const bool window = sink_.attach(events);  // keeps its own reference
    if (events != nullptr) events->Release();
    if (events == nullptr) {
      report("1С не предоставила IAsyncEvent: события недоступны / 1C gave no IAsyncEvent: no events");
    } else if (!window) {
      report("Не удалось создать окно для событий / cannot create the event window");
    }
    return S_OK;
  });
}

HRESULT STDMETHODCALLTYPE Component::Done() {
  return guarded([&]() -> HRESULT {
    core_.stop();
    sink_.detach();
    release(status_line_);
    release(error_log_);
    release(connection_);
    return S_OK;
  });
}

HRESULT STDMETHODCALLTYPE Component::GetInfo(SAFEARRAY** info) {
  return guarded([&]() -> HRESULT {
    if (info == nullptr || *info == nullptr) return E_POINTER;
    // 2000: the technology version that allows more than one object of the component.
    VARIANT version;
    VariantInit(&version);
    version.vt = VT_I4;
    version.lVal = 2000;
    LONG lower = 0;
    if (FAILED(SafeArrayGetLBound(*info, 1, &lower))) return E_INVALIDARG;
    return SafeArrayPutElement(*info, &lower, &version);
  });
}

// -----------------------------------------------------------------------------------------------------
// ILanguageExtender

HRESULT STDMETHODCALLTYPE Component::RegisterExtensionAs(BSTR* name) {
  if (name == nullptr) return E_POINTER;
  *name = SysAllocString(kExtensionName);
  return *name != nullptr ? S_OK : E_OUTOFMEMORY;
}

HRESULT STDMETHODCALLTYPE Component::GetNProps(long* count) {
  if (count == nullptr) return E_POINTER;
  *count = static_cast<long>(table().properties().size());
  return S_OK;
}

HRESULT STDMETHODCALLTYPE Component::FindProp(BSTR name, long* index) {
  if (index == nullptr) return E_POINTER;
  return guarded([&]() -> HRESULT {
    const auto found = table().find_property(bstr_to_u16(name));
    *index = found ? static_cast<long>(*found) : -1L;  // -1: 1C says "no such property" itself
    return S_OK;
  });
}

HRESULT STDMETHODCALLTYPE Component::GetPropName(long index, long alias, BSTR* name) {
  if (name == nullptr) return E_POINTER;
  *name = nullptr;
  if (!in_range(index, table().properties()) || !valid_alias(alias)) return E_INVALIDARG;
  const PropertyDef& property = table().properties()[static_cast<std::size_t>(index)];
  *name = u16_to_bstr(alias == 1 ? property.russian : property.english);
  return *name != nullptr ? S_OK : E_OUTOFMEMORY;
}

HRESULT Component::get_property(long index, VARIANT* value) {
  if (value == nullptr) return E_POINTER;
  VariantInit(value);
  if (!in_range(index, table().properties())) return DISP_E_MEMBERNOTFOUND;
  sink_.refresh_depth();
  auto read = table().get_property(static_cast<std::size_t>(index), core_);
  if (!read) {
    report(read.error());
    return E_FAIL;
  }
  const auto written = to_variant(*read, *value);
  if (!written) {
    report(written.error());
    return E_FAIL;
  }
  return S_OK;
}

HRESULT STDMETHODCALLTYPE Component::GetPropVal(long index, VARIANT* value) {
  return guarded([&] { return get_property(index, value); });
}

HRESULT Component::set_property(long index, const VARIANT* value) {
  if (value == nullptr) return E_POINTER;
  if (!in_range(index, table().properties())) return DISP_E_MEMBERNOTFOUND;
  auto read = from_variant(*value);
  if (!read) {
    report(read.error());
    return E_INVALIDARG;
  }
  const auto written = table().set_property(static_cast<std::size_t>(index), core_, *read);
  if (!written) {
    report(written.error());
    return E_FAIL;
  }
  return S_OK;
}

HRESULT STDMETHODCALLTYPE Component::SetPropVal(long index, VARIANT* value) {
  return guarded([&] { return set_property(index, value); });
}

HRESULT STDMETHODCALLTYPE Component::IsPropReadable(long index, BOOL* readable) {
  if (readable == nullptr) return E_POINTER;
  *readable = in_range(index, table().properties()) ? TRUE : FALSE;
  return S_OK;
}

HRESULT STDMETHODCALLTYPE Component::IsPropWritable(long index, BOOL* writable) {
  if (writable == nullptr) return E_POINTER;
  *writable = in_range(index, table().properties()) && table().properties()[static_cast<std::size_t>(index)].writable()
                  ? TRUE
                  : FALSE;
  return S_OK;
}

HRESULT STDMETHODCALLTYPE Component::GetNMethods(long* count) {
  if (count == nullptr) return E_POINTER;
  *count = static_cast<long>(table().methods().size());
  return S_OK;
}

HRESULT STDMETHODCALLTYPE Component::FindMethod(BSTR name, long* index) {
  if (index == nullptr) return E_POINTER;
  return guarded([&]() -> HRESULT {
    const auto found = table().find_method(bstr_to_u16(name));
    *index = found ? static_cast<long>(*found) : -1L;
    return S_OK;
  });
}

HRESULT STDMETHODCALLTYPE Component::GetMethodName(long index, long alias, BSTR* name) {
  if (name == nullptr) return E_POINTER;
  *name = nullptr;
  if (!in_range(index, table().methods()) || !valid_alias(alias)) return E_INVALIDARG;
  const MethodDef& method = table().methods()[static_cast<std::size_t>(index)];
  *name = u16_to_bstr(method.name(static_cast<NameAlias>(alias)));
  return *name != nullptr ? S_OK : E_OUTOFMEMORY;
}

HRESULT STDMETHODCALLTYPE Component::GetNParams(long index, long* count) {
  if (count == nullptr) return E_POINTER;
  *count = 0;
  if (!in_range(index, table().methods())) return E_INVALIDARG;
  *count = static_cast<long>(table().methods()[static_cast<std::size_t>(index)].params.size());
  return S_OK;
}

HRESULT STDMETHODCALLTYPE Component::GetParamDefValue(long method_index, long param, VARIANT* value) {
  if (value == nullptr) return E_POINTER;
  VariantInit(value);
  return guarded([&]() -> HRESULT {
    if (!in_range(method_index, table().methods())) return E_INVALIDARG;
    const MethodDef& method = table().methods()[static_cast<std::size_t>(method_index)];
    if (!in_range(param, method.params)) return E_INVALIDARG;
    const auto& default_value = method.params[static_cast<std::size_t>(param)].default_value;
    // A required parameter has no default: S_OK with VT_EMPTY, as the original (a .NET add-in) answered for
    // every parameter, none of which it made optional; 1C reports a missing one itself. An optional one
    // always has a typed default (VT_BSTR "" and the like), never VT_EMPTY.
    if (!default_value) return S_OK;
    const auto written = to_variant(*default_value, *value);
    if (!written) {
      report(written.error());
      return E_FAIL;
    }
    return S_OK;
  });
}

HRESULT STDMETHODCALLTYPE Component::HasRetVal(long index, BOOL* has) {
  if (has == nullptr) return E_POINTER;
  *has = in_range(index, table().methods()) && table().methods()[static_cast<std::size_t>(index)].has_return;
  return S_OK;
}

HRESULT Component::read_params(long index, SAFEARRAY* params, std::vector<Value>& args) {
  if (params == nullptr) return S_OK;  // a method without parameters
  const MethodDef& method = table().methods()[static_cast<std::size_t>(index)];
  const std::string name = to_utf8(method.russian) + " / " + to_utf8(method.english);
  LONG lower = 0;
  LONG upper = -1;
  if (SafeArrayGetDim(params) != 1 || FAILED(SafeArrayGetLBound(params, 1, &lower)) ||
      FAILED(SafeArrayGetUBound(params, 1, &upper))) {
    report(name + ": неверный массив параметров / invalid parameter array");
    return E_INVALIDARG;
  }
  for (LONG i = lower; i <= upper; ++i) {
    VARIANT item;
    VariantInit(&item);
    if (FAILED(SafeArrayGetElement(params, &i, &item))) {
      report(name + ": неверный массив параметров / invalid parameter array");
      return E_INVALIDARG;
    }
    auto value = from_variant(item);
    VariantClear(&item);
    if (!value) {
      report(name + ", параметр / parameter " + std::to_string(i - lower + 1) + ": " + value.error());
      return E_INVALIDARG;
    }
    args.push_back(std::move(*value));
  }
  return S_OK;
}

HRESULT Component::call(long index, VARIANT* result, std::vector<Value> args) {
  const MethodDef& method = table().methods()[static_cast<std::size_t>(index)];
  if (result != nullptr) VariantInit(result);
  if (result != nullptr && !method.has_return) {
    report(to_utf8(method.russian) + " / " + to_utf8(method.english) +
           ": метод не возвращает значение / the method returns no value");
    return E_FAIL;
  }
  sink_.refresh_depth();
  report_notice();
  auto value = table().call(static_cast<std::size_t>(index), core_, args);
  if (!value) {
    report(value.error());
    return E_FAIL;
  }
  if (result == nullptr) return S_OK;  // a function called as a procedure: the value is dropped
  const auto written = to_variant(*value, *result);
  if (!written) {
    report(written.error());
    return E_FAIL;
  }
  return S_OK;
}

HRESULT STDMETHODCALLTYPE Component::CallAsProc(long index, SAFEARRAY** params) {
  return guarded([&]() -> HRESULT {
    if (!in_range(index, table().methods())) return DISP_E_MEMBERNOTFOUND;
    std::vector<Value> args;
    const HRESULT read = read_params(index, params != nullptr ? *params : nullptr, args);
    if (FAILED(read)) return read;
    return call(index, nullptr, std::move(args));
  });
}

HRESULT STDMETHODCALLTYPE Component::CallAsFunc(long index, VARIANT* result, SAFEARRAY** params) {
  if (result == nullptr) return E_POINTER;
  VariantInit(result);
  return guarded([&]() -> HRESULT {
    if (!in_range(index, table().methods())) return DISP_E_MEMBERNOTFOUND;
    std::vector<Value> args;
    const HRESULT read = read_params(index, params != nullptr ? *params : nullptr, args);
    if (FAILED(read)) return read;
    return call(index, result, std::move(args));
  });
}

}  // namespace hserver::addin::com
