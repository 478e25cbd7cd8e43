#pragma once
/// @brief The COM add-in object (ProgID AddIn.1CHServer): IInitDone and ILanguageExtender over the
/// binding-neutral method table and hserver::addin::Core, plus IDispatch over the same table so that
/// scripts (and 1C's late binding) see the same names.
///
/// Apartment-threaded: every interface method runs on the thread that created the object (1C's STA);
/// only the core's channel thread reaches the object, through ComEventSink. No C++ exception leaves any
/// method: failures are reported with IErrorLog::AddError and an error HRESULT.

#include <atomic>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "hserver/addin/com/event_sink.hpp"
#include "hserver/addin/com/interfaces.hpp"
#include "hserver/addin/core.hpp"
#include "hserver/addin/method_table.hpp"

namespace hserver::addin::com {

/// The name RegisterExtensionAs returns and the source of errors and events (the original add-in's).
inline constexpr wchar_t kExtensionName[] = L"1CHServer";

/// @brief Live objects and server locks of this dll (DllCanUnloadNow).
std::atomic<long>& module_references() noexcept;

class Component final : public IInitDone, public ILanguageExtender, public IDispatch {
 public:
  /// @throws std::bad_alloc (the class factory catches it).
  explicit Component(HINSTANCE module);
  ~Component();
  Component(const Component&) = delete;
  Component& operator=(const Component&) = delete;

  // IUnknown (one identity for all three interfaces)
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID iid, void** out) override;
  ULONG STDMETHODCALLTYPE AddRef() override;
  ULONG STDMETHODCALLTYPE Release() override;

  // IInitDone
  HRESULT STDMETHODCALLTYPE Init(IDispatch* connection) override;
  HRESULT STDMETHODCALLTYPE Done() override;
  HRESULT STDMETHODCALLTYPE GetInfo(SAFEARRAY** info) override;

  // ILanguageExtender
  HRESULT STDMETHODCALLTYPE RegisterExtensionAs(BSTR* name) override;
  HRESULT STDMETHODCALLTYPE GetNProps(long* count) override;
  HRESULT STDMETHODCALLTYPE FindProp(BSTR name, long* index) override;
  HRESULT STDMETHODCALLTYPE GetPropName(long index, long alias, BSTR* name) override;
  HRESULT STDMETHODCALLTYPE GetPropVal(long index, VARIANT* value) override;
  HRESULT STDMETHODCALLTYPE SetPropVal(long index, VARIANT* value) override;
  HRESULT STDMETHODCALLTYPE IsPropReadable(long index, BOOL* readable) override;
  HRESULT STDMETHODCALLTYPE IsPropWritable(long index, BOOL* writable) override;
  HRESULT STDMETHODCALLTYPE GetNMethods(long* count) override;
  HRESULT STDMETHODCALLTYPE FindMethod(BSTR name, long* index) override;
  HRESULT STDMETHODCALLTYPE GetMethodName(long index, long alias, BSTR* name) override;
  HRESULT STDMETHODCALLTYPE GetNParams(long index, long* count) override;
  HRESULT STDMETHODCALLTYPE GetParamDefValue(long method, long param, VARIANT* value) override;
  HRESULT STDMETHODCALLTYPE HasRetVal(long index, BOOL* has) override;
  HRESULT STDMETHODCALLTYPE CallAsProc(long index, SAFEARRAY** params) override;
  HRESULT STDMETHODCALLTYPE CallAsFunc(long index, VARIANT* result, SAFEARRAY** params) override;

  // IDispatch: DISPIDs are method index + 1 and property index + kPropertyDispIdBase; no type info.
  HRESULT STDMETHODCALLTYPE GetTypeInfoCount(UINT* count) override;
  HRESULT STDMETHODCALLTYPE GetTypeInfo(UINT index, LCID locale, ITypeInfo** info) override;
  HRESULT STDMETHODCALLTYPE GetIDsOfNames(REFIID iid, LPOLESTR* names, UINT count, LCID locale, DISPID* ids) override;
  HRESULT STDMETHODCALLTYPE Invoke(DISPID id, REFIID iid, LCID locale, WORD flags, DISPPARAMS* params, VARIANT* result,
                                   EXCEPINFO* exception, UINT* argument_error) override;

  /// @brief IDispatch DISPIDs of properties start here (methods are 1..N).
  static constexpr DISPID kPropertyDispIdBase = 1000;

 private:
  /// IErrorLog::AddError(wCode 1006, scode E_FAIL, source "1CHServer", `message`). Never throws.
  void report(const std::string& message) noexcept;
  /// Core::take_notice (the service lost, or lost and restored) through IErrorLog::AddError with wCode
  /// 1003 (important) and scode S_OK: 1C shows it and raises no exception. Never throws.
  void report_notice() noexcept;
  /// Runs `body` (returns an HRESULT), turning any exception into report() and E_FAIL.
  template <class Body>
  HRESULT guarded(Body&& body) noexcept;
  /// The common path of CallAsProc, CallAsFunc and Invoke: arguments already converted.
  HRESULT call(long index, VARIANT* result, std::vector<Value> args);
  HRESULT read_params(long index, SAFEARRAY* params, std::vector<Value>& args);
  HRESULT get_property(long index, VARIANT* value);
  HRESULT set_property(long index, const VARIANT* value);

  std::atomic<ULONG> references_{1};
  IDispatch* connection_ = nullptr;
  IErrorLog* error_log_ = nullptr;
  IStatusLine* status_line_ = nullptr;
  std::string last_reported_;  // the last message given to AddError (for IDispatch's EXCEPINFO)
  ComEventSink sink_;
  Core core_;  // declared after sink_: destroyed first, so its threads stop before the sink goes
};

template <class Body>
inline HRESULT Component::guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    report("Недостаточно памяти / out of memory");
    return E_OUTOFMEMORY;
  } catch (const std::exception& e) {
    report(std::string("Внутренняя ошибка компоненты: ") + e.what() + " / add-in internal error: " + e.what());
  } catch (...) {
    report("Внутренняя ошибка компоненты / add-in internal error");
  }
  return E_FAIL;
}

}  // namespace hserver::addin::com
