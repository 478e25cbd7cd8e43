#include "hserver/comhost/addin.hpp"

#include <stdexcept>
#include <utility>

namespace hserver::comhost {
namespace {

std::string hex(HRESULT value) {
  char text[16];
  wsprintfA(text, "0x%08lX", static_cast<unsigned long>(value));
  return text;
}

/// A BSTR argument that frees itself.
struct Bstr {
  BSTR text;
  explicit Bstr(const std::string& value) {
    const std::wstring wide = widen(value);
    text = SysAllocStringLen(wide.data(), static_cast<UINT>(wide.size()));
  }
  ~Bstr() { SysFreeString(text); }
  Bstr(const Bstr&) = delete;
  Bstr& operator=(const Bstr&) = delete;
};

std::string take_bstr(BSTR text) {
  std::string out = narrow(text);
  SysFreeString(text);
  return out;
}

}  // namespace

Addin::Addin(const wchar_t* prog_id, Connection& connection, Violations& violations)
    : connection_(connection), violations_(violations) {
  CLSID clsid;
  HRESULT result = CLSIDFromProgID(prog_id, &clsid);
  if (FAILED(result)) throw std::runtime_error("ProgID not registered (CLSIDFromProgID " + hex(result) + ")");
  IUnknown* object = nullptr;
  result = CoCreateInstance(clsid, nullptr, CLSCTX_INPROC_SERVER, IID_IUnknown, reinterpret_cast<void**>(&object));
  if (FAILED(result)) throw std::runtime_error("CoCreateInstance failed: " + hex(result));
  object->QueryInterface(abi::kIidInitDone, reinterpret_cast<void**>(&init_));
  object->QueryInterface(abi::kIidLanguageExtender, reinterpret_cast<void**>(&extender_));
  object->Release();
  if (init_ == nullptr || extender_ == nullptr) {
    if (init_ != nullptr) init_->Release();
    if (extender_ != nullptr) extender_->Release();
    throw std::runtime_error("the object does not answer IInitDone and ILanguageExtender");
  }
}

Addin::~Addin() {
  close();
}

bool Addin::initialize() {
  const HRESULT init = init_->Init(static_cast<IDispatch*>(&connection_));
  if (FAILED(init)) {
    violations_.add("Init failed: " + hex(init));
    return false;
  }
  initialized_ = true;
  // The add-in reports trouble setting itself up (no event window, no IAsyncEvent) through AddError.
  for (const auto& error : connection_.take_errors()) violations_.add("Init reported: " + error.description);
  // 1C passes a one-element SAFEARRAY of VARIANT and reads index 0.
  SAFEARRAY* info = SafeArrayCreateVector(VT_VARIANT, 0, 1);
  const HRESULT got = init_->GetInfo(&info);
  LONG index = 0;
  VARIANT version;
  VariantInit(&version);
  SafeArrayGetElement(info, &index, &version);
  if (FAILED(got) || version.vt != VT_I4 || version.lVal != 2000) {
    violations_.add("GetInfo did not put VT_I4 2000 at index 0 (hr " + hex(got) + ", vt " + std::to_string(version.vt) +
                    ")");
  }
  VariantClear(&version);
  SafeArrayDestroy(info);

  BSTR name = nullptr;
  const HRESULT registered = extender_->RegisterExtensionAs(&name);
  const std::string text = take_bstr(name);
  if (FAILED(registered) || text != "1CHServer") {
    violations_.add("RegisterExtensionAs gave \"" + text + "\" (hr " + hex(registered) + "), not 1CHServer");
  }
  return true;
}

void Addin::check_surface() {
  const auto expect_method = [&](const std::string& name, bool present) {
    const Bstr text(name);
    long index = -2;
    extender_->FindMethod(text.text, &index);
    if ((index >= 0) != present) violations_.add("FindMethod(" + name + ") gave " + std::to_string(index));
    return index;
  };
  const auto expect_prop = [&](const std::string& name, bool present) {
    const Bstr text(name);
    long index = -2;
    extender_->FindProp(text.text, &index);
    if ((index >= 0) != present) violations_.add("FindProp(" + name + ") gave " + std::to_string(index));
    return index;
  };
  // Both languages, any case, resolve to the same index.
  if (expect_method("зАпУсТиТь", true) != expect_method("START", true)) violations_.add("Запустить != Start");
  if (expect_method("вернутьрезультат", true) != expect_method("returnRESULT", true)) {
    violations_.add("ВернутьРезультат != ReturnResult");
  }
  expect_method("ОТПРАВИТЬОТВЕТ", true);
  expect_method("NoSuchMethod", false);
  if (expect_prop("пОрТ", true) != expect_prop("port", true)) violations_.add("Порт != Port");
  expect_prop("ВЕРСИЯ", true);
  expect_prop("NoSuchProperty", false);

  // Every name the add-in gives back finds its own index.
  long methods = 0;
  extender_->GetNMethods(&methods);
  if (methods <= 0) violations_.add("GetNMethods gave " + std::to_string(methods));
  for (long i = 0; i < methods; ++i) {
    for (long alias = 0; alias <= 1; ++alias) {
      BSTR name = nullptr;
      extender_->GetMethodName(i, alias, &name);
      const std::string text = take_bstr(name);
      if (text.empty() || expect_method(text, true) != i) violations_.add("GetMethodName(" + std::to_string(i) + ")");
    }
  }
  long props = 0;
  extender_->GetNProps(&props);
  for (long i = 0; i < props; ++i) {
    BSTR name = nullptr;
    extender_->GetPropName(i, 1, &name);
    const std::string text = take_bstr(name);
    if (text.empty() || expect_prop(text, true) != i) violations_.add("GetPropName(" + std::to_string(i) + ")");
    BOOL writable = TRUE;
    extender_->IsPropWritable(i, &writable);
    // СобытияЖурнала (the original's Log events, off by default) is the one writable property.
    if ((writable != FALSE) != (text == "СобытияЖурнала")) {
      violations_.add("property " + text + (writable ? " claims to be writable" : " is not writable"));
    }
  }

  // The original's three methods keep its shape: functions (HasRetVal), 1, 0 and 1 parameters.
  for (const auto& [name, params] :
       {std::pair<std::string, long>{"Запустить", 1}, {"Остановить", 0}, {"ВернутьРезультат", 1}}) {
    const long index = expect_method(name, true);
    long count = -1;
    BOOL returns = FALSE;
    extender_->GetNParams(index, &count);
    extender_->HasRetVal(index, &returns);
    if (count != params || !returns) {
      violations_.add(name + ": " + std::to_string(count) + " parameter(s), HasRetVal " + std::to_string(returns) +
                      " (the original: " + std::to_string(params) + ", TRUE)");
    }
  }
  // Every default is typed: S_OK with VT_EMPTY only for a required parameter (as the original answered).
  for (long m = 0; m < methods; ++m) {
    long count = 0;
    extender_->GetNParams(m, &count);
    for (long p = 0; p < count; ++p) {
      VARIANT def;
      VariantInit(&def);
      const HRESULT hr = extender_->GetParamDefValue(m, p, &def);
      if (FAILED(hr)) violations_.add("GetParamDefValue(" + std::to_string(m) + ", " + std::to_string(p) + ") failed");
      VariantClear(&def);
    }
  }
  const long send = expect_method("ОтправитьОтвет", true);
  for (long p = 2; p <= 3; ++p) {
    VARIANT def;
    VariantInit(&def);
    extender_->GetParamDefValue(send, p, &def);
    if (def.vt != VT_BSTR || SysStringLen(def.bstrVal) != 0) {
      violations_.add("ОтправитьОтвет parameter " + std::to_string(p + 1) + ": default of vt " +
                      std::to_string(def.vt) + ", not an empty VT_BSTR");
    }
    VariantClear(&def);
  }

  // Errors: a read-only property and a bad argument must fail with an AddError carrying a message.
  VARIANT value;
  VariantInit(&value);
  value.vt = VT_I4;
  value.lVal = 1;
  connection_.take_errors();
  const HRESULT set = extender_->SetPropVal(expect_prop("Порт", true), &value);
  const std::string set_error = finish("SetPropVal(Порт)", set);
  if (SUCCEEDED(set)) violations_.add("SetPropVal(Порт) succeeded on a read-only property");
  const CallResult bad = call("Запустить", {Value{std::string("not a port")}});
  if (bad.ok) violations_.add("Запустить(\"not a port\") succeeded");

  const CallResult version = get("Version");
  if (!version.ok || !std::holds_alternative<std::string>(version.value)) violations_.add("Version is not a string");
}

std::string Addin::finish(const std::string& what, HRESULT result) {
  const auto errors = connection_.take_errors();
  if (SUCCEEDED(result)) return {};
  if (errors.empty()) {
    violations_.add(what + " failed (" + hex(result) + ") without an IErrorLog::AddError report");
    return "(no error report)";
  }
  const ErrorRecord& error = errors.back();
  if (error.code != 1006 || error.scode == 0 || error.source != "1CHServer") {
    violations_.add(what + ": AddError with wCode " + std::to_string(error.code) + ", scode " + hex(error.scode) +
                    ", source " + error.source + " (expected 1006, nonzero, 1CHServer)");
  }
  return error.description;
}

CallResult Addin::call(const std::string& name, const std::vector<Value>& args) {
  CallResult outcome;
  const Bstr text(name);
  long index = -1;
  extender_->FindMethod(text.text, &index);
  if (index < 0) {
    outcome.error = "no method " + name;
    violations_.add(outcome.error);
    return outcome;
  }
  long count = 0;
  extender_->GetNParams(index, &count);
  if (static_cast<std::size_t>(count) < args.size()) {
    outcome.error = name + ": too many arguments for the add-in's " + std::to_string(count);
    return outcome;
  }
  SAFEARRAY* params = count > 0 ? SafeArrayCreateVector(VT_VARIANT, 0, static_cast<ULONG>(count)) : nullptr;
  for (long i = 0; i < count; ++i) {
    VARIANT item;
    VariantInit(&item);
    if (static_cast<std::size_t>(i) < args.size()) {
      item = to_variant(args[static_cast<std::size_t>(i)]);
    } else {
      extender_->GetParamDefValue(index, i, &item);  // what 1C passes for an omitted argument
    }
    SafeArrayPutElement(params, &i, &item);
    VariantClear(&item);
  }
  connection_.take_errors();
  BOOL returns = FALSE;
  extender_->HasRetVal(index, &returns);
  VARIANT result;
  VariantInit(&result);
  const HRESULT hr = returns ? extender_->CallAsFunc(index, &result, &params) : extender_->CallAsProc(index, &params);
  outcome.error = finish(name, hr);
  outcome.ok = SUCCEEDED(hr);
  if (outcome.ok && returns) {
    std::string error;
    outcome.value = from_variant(result, error);
    if (!error.empty()) violations_.add(name + ": " + error);
  }
  VariantClear(&result);
  if (params != nullptr) SafeArrayDestroy(params);
  return outcome;
}

CallResult Addin::get(const std::string& name) {
  CallResult outcome;
  const Bstr text(name);
  long index = -1;
  extender_->FindProp(text.text, &index);
  if (index < 0) {
    outcome.error = "no property " + name;
    violations_.add(outcome.error);
    return outcome;
  }
  connection_.take_errors();
  VARIANT result;
  VariantInit(&result);
  const HRESULT hr = extender_->GetPropVal(index, &result);
  outcome.error = finish(name, hr);
  outcome.ok = SUCCEEDED(hr);
  std::string error;
  if (outcome.ok) outcome.value = from_variant(result, error);
  if (!error.empty()) violations_.add(name + ": " + error);
  VariantClear(&result);
  return outcome;
}

void Addin::close() {
  if (init_ == nullptr) return;
  if (initialized_) init_->Done();
  extender_->Release();
  init_->Release();
  extender_ = nullptr;
  init_ = nullptr;
  if (initialized_ && connection_.outstanding() != 0) {
    violations_.add("the add-in still holds " + std::to_string(connection_.outstanding()) +
                    " reference(s) to the connection after Done and Release");
  }
}

}  // namespace hserver::comhost
