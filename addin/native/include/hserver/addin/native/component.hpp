#pragma once
/// @brief The Native API add-in object (AddIn.<Name>.HServer): IComponentBase over the method table
/// and hserver::addin::Core.

#include <mutex>
#include <string>

#include "hserver/addin/core.hpp"
#include "hserver/addin/native/native_api.hpp"

namespace hserver::addin::native {

/// The class name 1C asks GetClassObject for (so 1C code creates `AddIn.<Name>.HServer`).
inline constexpr char16_t kClassName[] = u"HServer";
/// The name given to RegisterExtensionAs, the original add-in's.
inline constexpr char16_t kExtensionName[] = u"1CHServer";
/// AddError's `source` and the ExternalEvent source.
inline constexpr char16_t kErrorSource[] = u"1CHServer";

/// @brief The scode passed to AddError: nonzero so that 1C raises an exception in the calling code.
/// E_FAIL's bit pattern, as 1C's own samples use an HRESULT here.
inline constexpr long kErrorScode = static_cast<long>(0x80004005u);

/// @brief Bridges Core's events to 1C's IAddInDefBase. Thread-safe: raise_event is called from the
/// core's channel thread while 1C's thread may be attaching or detaching the connection.
class NativeEventSink final : public EventSink {
 public:
  /// @brief Sets (Init) or clears (Done) the connection; after clearing, events are refused (false).
  void set_connection(IAddInDefBase* connection) noexcept;
  /// @brief The connection for calls made on 1C's own thread (AddError); null before Init, after Done.
  IAddInDefBase* connection() const noexcept;

  bool raise_event(const std::string& source, const std::string& event, const std::string& data) override;
  long event_buffer_depth() override;
  /// CleanEventBuffer: 1C's buffer of this object holds only our events.
  void withdraw_events() override;

 private:
  mutable std::mutex mutex_;  // held across ExternalEvent so Done cannot clear the connection mid-call
  IAddInDefBase* connection_ = nullptr;
};

/// @brief The object 1C gets from GetClassObject and deletes with DestroyObject. Called by 1C on its own
/// thread; no exception leaves any method (errors go to AddError and the method returns false).
class Component final : public IComponentBase {
 public:
  /// @throws std::bad_alloc (GetClassObject catches it).
  Component();
  ~Component();

  // IInitDoneBase
  bool ADDIN_API Init(void* disp) override;
  bool ADDIN_API setMemManager(void* mem) override;
  long ADDIN_API GetInfo() override;
  void ADDIN_API Done() override;

  // ILanguageExtenderBase
  bool ADDIN_API RegisterExtensionAs(WCHAR_T** wsExtensionName) override;
  long ADDIN_API GetNProps() override;
  long ADDIN_API FindProp(const WCHAR_T* wsPropName) override;
  const WCHAR_T* ADDIN_API GetPropName(long lPropNum, long lPropAlias) override;
  bool ADDIN_API GetPropVal(const long lPropNum, tVariant* pvarPropVal) override;
  bool ADDIN_API SetPropVal(const long lPropNum, tVariant* varPropVal) override;
  bool ADDIN_API IsPropReadable(const long lPropNum) override;
  bool ADDIN_API IsPropWritable(const long lPropNum) override;
  long ADDIN_API GetNMethods() override;
  long ADDIN_API FindMethod(const WCHAR_T* wsMethodName) override;
  const WCHAR_T* ADDIN_API GetMethodName(const long lMethodNum, const long lMethodAlias) override;
  long ADDIN_API GetNParams(const long lMethodNum) override;
  bool ADDIN_API GetParamDefValue(const long lMethodNum, const long lParamNum, tVariant* pvarParamDefValue) override;
  bool ADDIN_API HasRetVal(const long lMethodNum) override;
  bool ADDIN_API CallAsProc(const long lMethodNum, tVariant* paParams, const long lSizeArray) override;
  bool ADDIN_API CallAsFunc(const long lMethodNum, tVariant* pvarRetValue, tVariant* paParams,
                            const long lSizeArray) override;

  // LocaleBase, UserLanguageBase: messages are bilingual, so the locale is only remembered.
  void ADDIN_API SetLocale(const WCHAR_T* loc) override;
  void ADDIN_API SetUserInterfaceLanguageCode(const WCHAR_T* lang) override;

 private:
  /// Reports `message` with AddError(ADDIN_E_FAIL, "1CHServer", message, kErrorScode): 1C raises an
  /// exception in the calling code. Never throws.
  void report(const std::string& message) noexcept;
  /// Tells 1C what happened since the last call (Core::take_notice: the service lost, or lost and
  /// restored) with AddError(ADDIN_E_IMPORTANT, ..., 0): shown to the user, no exception. Never throws.
  void report_notice() noexcept;
  /// Runs `body`, turning any exception into report() and `on_failure`.
  template <class Result, class Body>
  Result guarded(Result on_failure, Body&& body) noexcept;
  bool call(long method, tVariant* result, tVariant* params, long count);

  IMemoryManager* memory_ = nullptr;
  std::u16string locale_;
  std::u16string language_;
  NativeEventSink sink_;
  Core core_;  // declared after sink_: destroyed first, so its threads stop before the sink goes
};

}  // namespace hserver::addin::native
