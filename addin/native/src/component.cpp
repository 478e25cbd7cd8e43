#include "hserver/addin/native/component.hpp"

#include <exception>
#include <new>
#include <vector>

#include "hserver/addin/method_table.hpp"
#include "hserver/addin/native/variant_convert.hpp"
#include "hserver/common/utf.hpp"

namespace hserver::addin::native {
namespace {

const MethodTable& table() {
  return MethodTable::instance();
}

/// 1C's `long` indices checked against a table size; negative and too large are both "no such".
template <class Span>
bool in_range(long index, const Span& items) {
  return index >= 0 && static_cast<unsigned long>(index) < items.size();
}

std::string to_utf8(std::u16string_view text) {
  auto utf8 = utf16_to_utf8(text);
  return utf8 ? std::move(*utf8) : std::string("?");
}

}  // namespace

// -----------------------------------------------------------------------------------------------------
// NativeEventSink

void NativeEventSink::set_connection(IAddInDefBase* connection) noexcept {
  const std::lock_guard lock(mutex_);
  connection_ = connection;
}

IAddInDefBase* NativeEventSink::connection() const noexcept {
  const std::lock_guard lock(mutex_);
  return connection_;
}

bool NativeEventSink::raise_event(const std::string& source, const std::string& event, const std::string& data) {
  // Converted before taking the lock: only the 1C call itself needs it. Data is converted leniently:
  // a legacy request's code text comes from a URL and may hold bytes that are not UTF-8; refusing the
  // event would leave the request unanswered until its timeout.
  auto wsource = to_wchar_string(utf8_to_utf16_lossy(source));
  auto wevent = to_wchar_string(utf8_to_utf16_lossy(event));
  auto wdata = to_wchar_string(utf8_to_utf16_lossy(data));
  const std::lock_guard lock(mutex_);
  if (connection_ == nullptr) return false;
  return connection_->ExternalEvent(wsource.data(), wevent.data(), wdata.data());
}

void NativeEventSink::withdraw_events() {
  const std::lock_guard lock(mutex_);
  if (connection_ != nullptr) connection_->CleanEventBuffer();
}

long NativeEventSink::event_buffer_depth() {
  const std::lock_guard lock(mutex_);
  if (connection_ == nullptr) return 1;
  const long depth = connection_->GetEventBufferDepth();
  return depth < 1 ? 1 : depth;
}

// -----------------------------------------------------------------------------------------------------
// Component

Component::Component() : core_(&sink_) {
  // Builds the table now, inside GetClassObject's try: the getters below that are not guarded
  // (GetNProps, GetNParams, HasRetVal...) then only read it and cannot throw.
  static_cast<void>(MethodTable::instance());
}

Component::~Component() {
  // 1C calls Done before DestroyObject; if it did not, refuse events from here on so the core's
  // threads (stopped by ~Core right after) never call into a connection 1C may have dropped.
  sink_.set_connection(nullptr);
}

void Component::report(const std::string& message) noexcept {
  try {
    IAddInDefBase* connection = sink_.connection();
    if (connection == nullptr) return;
    const auto source = to_wchar_string(kErrorSource);
    const auto descr = to_wchar_string(utf8_to_utf16_lossy(message));
    connection->AddError(ADDIN_E_FAIL, source.c_str(), descr.c_str(), kErrorScode);
  } catch (...) {
    // Out of memory while reporting: the method still returns false, so 1C raises its generic error.
  }
}

void Component::report_notice() noexcept {
  try {
    const auto notice = core_.take_notice();
    IAddInDefBase* connection = sink_.connection();
    if (!notice || connection == nullptr) return;
    const auto source = to_wchar_string(kErrorSource);
    const auto descr = to_wchar_string(utf8_to_utf16_lossy(*notice));
    connection->AddError(ADDIN_E_IMPORTANT, source.c_str(), descr.c_str(), 0);
  } catch (...) {
    // Out of memory: the notice is lost, the call goes on.
  }
}

template <class Result, class Body>
Result Component::guarded(Result on_failure, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    report("Недостаточно памяти / out of memory");
  } catch (const std::exception& e) {
    report(std::string("Внутренняя ошибка компоненты: ") + e.what() + " / add-in internal error: " + e.what());
  } catch (...) {
    report("Внутренняя ошибка компоненты / add-in internal error");
  }
  return on_failure;
}

bool ADDIN_API Component::Init(void* disp) {
  return guarded(false, [&] {
    sink_.set_connection(static_cast<IAddInDefBase*>(disp));
    return disp != nullptr;
  });
}

bool ADDIN_API Component::setMemManager(void* mem) {
  memory_ = static_cast<IMemoryManager*>(mem);
  return mem != nullptr;
}

// 2000: the Native API version that allows more than one object of the component.
long ADDIN_API Component::GetInfo() {
  return 2000;
}

void ADDIN_API Component::Done() {
  guarded(0, [&] {
    core_.stop();
    return 0;
  });
  sink_.set_connection(nullptr);
}

bool ADDIN_API Component::RegisterExtensionAs(WCHAR_T** wsExtensionName) {
  return guarded(false, [&] {
    if (wsExtensionName == nullptr) return false;
    *wsExtensionName = allocate_wstring(memory_, kExtensionName);
    return *wsExtensionName != nullptr;
  });
}

long ADDIN_API Component::GetNProps() {
  return static_cast<long>(table().properties().size());
}

long ADDIN_API Component::FindProp(const WCHAR_T* wsPropName) {
  return guarded(-1L, [&] {
    const auto index = table().find_property(to_u16(wsPropName));
    return index ? static_cast<long>(*index) : -1L;
  });
}

const WCHAR_T* ADDIN_API Component::GetPropName(long lPropNum, long lPropAlias) {
  return guarded<const WCHAR_T*>(nullptr, [&]() -> const WCHAR_T* {
    if (!in_range(lPropNum, table().properties()) || (lPropAlias != 0 && lPropAlias != 1)) return nullptr;
    const PropertyDef& property = table().properties()[static_cast<std::size_t>(lPropNum)];
    return allocate_wstring(memory_, lPropAlias == 1 ? property.russian : property.english);
  });
}

bool ADDIN_API Component::GetPropVal(const long lPropNum, tVariant* pvarPropVal) {
  return guarded(false, [&] {
    if (pvarPropVal == nullptr || !in_range(lPropNum, table().properties())) return false;
    auto value = table().get_property(static_cast<std::size_t>(lPropNum), core_);
    if (!value) {
      report(value.error());
      return false;
    }
    const auto written = to_variant(*value, *pvarPropVal, memory_);
    if (!written) {
      report(written.error());
      return false;
    }
    return true;
  });
}

bool ADDIN_API Component::SetPropVal(const long lPropNum, tVariant* varPropVal) {
  return guarded(false, [&] {
    if (varPropVal == nullptr || !in_range(lPropNum, table().properties())) return false;
    auto value = from_variant(*varPropVal);
    if (!value) {
      report(value.error());
      return false;
    }
    const auto written = table().set_property(static_cast<std::size_t>(lPropNum), core_, *value);
    if (!written) {
      report(written.error());
      return false;
    }
    return true;
  });
}

bool ADDIN_API Component::IsPropReadable(const long lPropNum) {
  return in_range(lPropNum, table().properties());
}

bool ADDIN_API Component::IsPropWritable(const long lPropNum) {
  return in_range(lPropNum, table().properties()) &&
         table().properties()[static_cast<std::size_t>(lPropNum)].writable();
}

long ADDIN_API Component::GetNMethods() {
  return static_cast<long>(table().methods().size());
}

long ADDIN_API Component::FindMethod(const WCHAR_T* wsMethodName) {
  return guarded(-1L, [&] {
    const auto index = table().find_method(to_u16(wsMethodName));
    return index ? static_cast<long>(*index) : -1L;
  });
}

const WCHAR_T* ADDIN_API Component::GetMethodName(const long lMethodNum, const long lMethodAlias) {
  return guarded<const WCHAR_T*>(nullptr, [&]() -> const WCHAR_T* {
    if (!in_range(lMethodNum, table().methods()) || (lMethodAlias != 0 && lMethodAlias != 1)) return nullptr;
    const MethodDef& method = table().methods()[static_cast<std::size_t>(lMethodNum)];
    return allocate_wstring(memory_, method.name(static_cast<NameAlias>(lMethodAlias)));
  });
}

long ADDIN_API Component::GetNParams(const long lMethodNum) {
  if (!in_range(lMethodNum, table().methods())) return 0;
  return static_cast<long>(table().methods()[static_cast<std::size_t>(lMethodNum)].params.size());
}

bool ADDIN_API Component::GetParamDefValue(const long lMethodNum, const long lParamNum, tVariant* pvarParamDefValue) {
  return guarded(false, [&] {
    if (pvarParamDefValue == nullptr || !in_range(lMethodNum, table().methods())) return false;
    const MethodDef& method = table().methods()[static_cast<std::size_t>(lMethodNum)];
    if (!in_range(lParamNum, method.params)) return false;
    const auto& default_value = method.params[static_cast<std::size_t>(lParamNum)].default_value;
    // A required parameter: false, and 1C reports the missing argument itself. An optional one always has a
    // typed default (never VTYPE_EMPTY, which strict hosts read as "no default").
    if (!default_value) return false;
    const auto written = to_variant(*default_value, *pvarParamDefValue, memory_);
    if (!written) {
      report(written.error());
      return false;
    }
    return true;
  });
}

bool ADDIN_API Component::HasRetVal(const long lMethodNum) {
  return in_range(lMethodNum, table().methods()) && table().methods()[static_cast<std::size_t>(lMethodNum)].has_return;
}

bool ADDIN_API Component::CallAsProc(const long lMethodNum, tVariant* paParams, const long lSizeArray) {
  return guarded(false, [&] { return call(lMethodNum, nullptr, paParams, lSizeArray); });
}

bool ADDIN_API Component::CallAsFunc(const long lMethodNum, tVariant* pvarRetValue, tVariant* paParams,
                                     const long lSizeArray) {
  return guarded(false, [&] {
    if (pvarRetValue == nullptr) return false;
    return call(lMethodNum, pvarRetValue, paParams, lSizeArray);
  });
}

bool Component::call(long method_index, tVariant* result, tVariant* params, long count) {
  if (!in_range(method_index, table().methods())) {
    report("Нет метода с номером " + std::to_string(method_index) + " / no method number " +
           std::to_string(method_index));
    return false;
  }
  const MethodDef& method = table().methods()[static_cast<std::size_t>(method_index)];
  const std::string name = to_utf8(method.russian) + " / " + to_utf8(method.english);
  if (result != nullptr && !method.has_return) {
    report(name + ": метод не возвращает значение / the method returns no value");
    return false;
  }
  if (count < 0 || (count > 0 && params == nullptr)) {
    report(name + ": неверный массив параметров / invalid parameter array");
    return false;
  }

  std::vector<Value> args;
  args.reserve(static_cast<std::size_t>(count));
  for (long i = 0; i < count; ++i) {
    auto value = from_variant(params[i]);
    if (!value) {
      report(name + ", параметр / parameter " + std::to_string(i + 1) + ": " + value.error());
      return false;
    }
    args.push_back(std::move(*value));
  }

  report_notice();
  auto value = table().call(static_cast<std::size_t>(method_index), core_, args);
  if (!value) {
    report(value.error());
    return false;
  }
  if (result == nullptr) return true;  // a function called as a procedure: 1C drops the value
  const auto written = to_variant(*value, *result, memory_);
  if (!written) {
    report(name + ": " + written.error());
    return false;
  }
  return true;
}

void ADDIN_API Component::SetLocale(const WCHAR_T* loc) {
  guarded(0, [&] {
    locale_ = to_u16(loc);
    return 0;
  });
}

void ADDIN_API Component::SetUserInterfaceLanguageCode(const WCHAR_T* lang) {
  guarded(0, [&] {
    language_ = to_u16(lang);
    return 0;
  });
}

}  // namespace hserver::addin::native
